/**
 * The execution page's full event history as rows: every stored event, in
 * seq order, with each run of consecutive `token` agent events folded into
 * one row (the text they form and how many), which can be expanded back into
 * its token events.
 *
 * Folding is incremental: `foldEvents` takes the events after the ones it has
 * seen (the log's array only grows), so a live token costs one step, not a
 * pass over 100,000 events. `visibleRows` flattens the rows with the expanded
 * runs and the type filter applied; with neither it returns the rows as is.
 */
import type { ExecutionEvent } from '@/realtime/frames'

export type HistoryRow =
  | { kind: 'event'; key: string; event: ExecutionEvent; child: boolean }
  | {
      kind: 'tokens'
      key: string
      /** The run's events, in seq order (the array grows while the run goes on). */
      events: ExecutionEvent[]
      text: string
      firstSeq: number
      lastSeq: number
    }

export interface HistoryFold {
  rows: HistoryRow[]
  /** How many events of the source were folded in. */
  seen: number
  /** The highest seq folded in; an event at or below it is a duplicate. */
  lastSeq: number
  /** Bumped whenever rows change, so a caller can recompute what depends on them. */
  version: number
}

export function createFold(): HistoryFold {
  return { rows: [], seen: 0, lastSeq: 0, version: 0 }
}

export function isToken(event: ExecutionEvent): boolean {
  return event.type === 'agent_event' && event.event_type === 'token'
}

function tokenText(event: ExecutionEvent): string {
  if (event.type !== 'agent_event' || event.event_type !== 'token') return ''
  return typeof event.content?.content === 'string' ? event.content.content : ''
}

/** The type a row is filtered by: `agent_event:token`, `agent_event:step`, `execution_started`... */
export function eventKind(event: ExecutionEvent): string {
  return event.type === 'agent_event' ? `agent_event:${event.event_type}` : event.type
}

/** Fold `events` from `fold.seen` on into `fold` (in place); events at or below the last seq are skipped. */
export function foldEvents(fold: HistoryFold, events: readonly ExecutionEvent[]): HistoryFold {
  const start = fold.seen
  for (let i = start; i < events.length; i++) {
    const event = events[i]!
    if (event.seq <= fold.lastSeq) continue
    fold.lastSeq = event.seq
    const last = fold.rows[fold.rows.length - 1]
    if (isToken(event)) {
      if (last?.kind === 'tokens') {
        last.events.push(event)
        last.text += tokenText(event)
        last.lastSeq = event.seq
        continue
      }
      fold.rows.push({
        kind: 'tokens',
        key: `t${event.seq}`,
        events: [event],
        text: tokenText(event),
        firstSeq: event.seq,
        lastSeq: event.seq,
      })
      continue
    }
    fold.rows.push({ kind: 'event', key: `e${event.seq}`, event, child: false })
  }
  fold.seen = events.length
  if (events.length > start) fold.version += 1
  return fold
}

/** Fold a whole list at once. */
export function foldAll(events: readonly ExecutionEvent[]): HistoryRow[] {
  return foldEvents(createFold(), events).rows
}

/**
 * What the list shows: the rows, each expanded token run followed by its
 * token events (as child rows), and only the kinds in `filter` when it is
 * given (a token run counts as `agent_event:token`).
 */
export function visibleRows(
  rows: readonly HistoryRow[],
  expanded: ReadonlySet<string>,
  filter: ReadonlySet<string> | null = null,
): readonly HistoryRow[] {
  if (expanded.size === 0 && !filter) return rows
  const out: HistoryRow[] = []
  for (const row of rows) {
    if (row.kind === 'tokens') {
      if (filter && !filter.has('agent_event:token')) continue
      out.push(row)
      if (expanded.has(row.key)) {
        for (const event of row.events) out.push({ kind: 'event', key: `e${event.seq}`, event, child: true })
      }
      continue
    }
    if (filter && !filter.has(eventKind(row.event))) continue
    out.push(row)
  }
  return out
}

/** The kinds present, for the filter's choices, in order of first appearance. */
export function kindsOf(rows: readonly HistoryRow[]): string[] {
  const kinds = new Set<string>()
  for (const row of rows) kinds.add(row.kind === 'tokens' ? 'agent_event:token' : eventKind(row.event))
  return [...kinds]
}

const PREVIEW_CHARS = 120

function clip(text: string, max = PREVIEW_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/** The event without what every row shows anyway (seq, time, type, execution). */
export function payloadOf(event: ExecutionEvent): Record<string, unknown> {
  const { execution_id: _id, seq: _seq, timestamp: _ts, type: _type, ...rest } = event as unknown as Record<
    string,
    unknown
  >
  if (event.type === 'agent_event') delete rest.event_type
  return rest
}

/** A one-line preview of a row: a token run's count and text, else the payload's compact JSON. */
export function previewOf(row: HistoryRow): string {
  if (row.kind === 'tokens') {
    const n = row.events.length
    return `${n} ${n === 1 ? 'token' : 'tokens'}: ${clip(row.text)}`
  }
  return clip(JSON.stringify(payloadOf(row.event)) ?? '')
}

/** The row's type as shown. */
export function typeOf(row: HistoryRow): string {
  if (row.kind === 'tokens') return 'agent_event: token'
  const event = row.event
  return event.type === 'agent_event' ? `agent_event: ${event.event_type}` : event.type
}

/** The row's first seq (a token run's span as "12–153"). */
export function seqOf(row: HistoryRow): string {
  if (row.kind === 'tokens') return row.firstSeq === row.lastSeq ? `${row.firstSeq}` : `${row.firstSeq}–${row.lastSeq}`
  return `${row.event.seq}`
}

export function timestampOf(row: HistoryRow): string {
  return row.kind === 'tokens' ? row.events[0]!.timestamp : row.event.timestamp
}

/** The row's highest seq, as data-seq. */
export function lastSeqOf(row: HistoryRow): number {
  return row.kind === 'tokens' ? row.lastSeq : row.event.seq
}
