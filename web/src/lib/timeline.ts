/**
 * A timeline of one execution computed from its event timestamps.
 *
 * Events are points in time, so durations are inferred:
 * - a stage (progress.stage) lasts until a progress event names another stage;
 * - a step lasts until the next step, stage change or tool call, or the first
 *   token after it;
 * - a tool call lasts until the first later tool_result of the same tool;
 * - a token run is a stretch of consecutive token events;
 * - anything still open ends where the execution ended (or "now" if it runs).
 *
 * A requeued execution is drawn from its latest execution_started, as its
 * started_at is: the run before streamed no agent event, so it has nothing
 * to draw.
 */
import type { ExecutionEvent } from '@/realtime/frames'

export type Lane = 'stage' | 'step' | 'tool' | 'tokens' | 'message'

export interface Span {
  lane: Lane
  label: string
  seq: number
  /** Milliseconds from the start of the execution. */
  start: number
  end: number
  /** Still going: it ran to the end of a running execution. */
  open: boolean
}

export interface Timeline {
  startedAt: number
  /** The run drawn: 1, or the attempt of the latest execution_started. */
  attempt: number
  /** Milliseconds from start to the terminal event (or to `now`). */
  total: number
  finished: boolean
  spans: Span[]
}

const TERMINAL = new Set(['execution_completed', 'execution_error', 'execution_stopped'])

// Events never change, and the timeline is drawn again as each batch arrives:
// each timestamp is parsed once.
const times = new WeakMap<ExecutionEvent, number>()

function at(event: ExecutionEvent): number {
  let time = times.get(event)
  if (time === undefined) {
    time = Date.parse(event.timestamp)
    times.set(event, time)
  }
  return time
}

function truncate(text: string, length = 60): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text
}

/** `events` in seq order, without those of no readable time; a live log's are in order already. */
function inOrder(events: readonly ExecutionEvent[]): readonly ExecutionEvent[] {
  let sorted = true
  let timed = true
  for (let index = 0; index < events.length; index += 1) {
    if (index > 0 && events[index]!.seq < events[index - 1]!.seq) sorted = false
    if (!Number.isFinite(at(events[index]!))) timed = false
  }
  if (sorted && timed) return events
  return events.filter((event) => Number.isFinite(at(event))).sort((a, b) => a.seq - b.seq)
}

export function buildTimeline(events: readonly ExecutionEvent[], now: number = Date.now()): Timeline | null {
  const ordered = inOrder(events)
  const first = ordered[0]
  if (!first) return null
  const started = ordered.filter((event) => event.type === 'execution_started').pop()
  const startedAt = at(started ?? first)
  const terminal = ordered.find((event) => TERMINAL.has(event.type))
  const endAt = terminal ? at(terminal) : Math.max(now, at(ordered[ordered.length - 1]!))
  const rel = (time: number) => Math.max(0, time - startedAt)
  const spans: Span[] = []
  const close = (span: Span | null, time: number | null) => {
    if (!span) return
    span.end = Math.max(span.start, rel(time ?? endAt))
    span.open = time === null && !terminal
    spans.push(span)
  }

  // `as` keeps TypeScript from narrowing these to null for the whole loop.
  let stage = null as Span | null
  let step = null as Span | null
  let tokens = null as (Span & { count: number }) | null
  const toolCalls: Span[] = []

  for (const event of ordered) {
    const time = at(event)
    const isToken = event.type === 'agent_event' && event.event_type === 'token'
    if (tokens && !isToken) {
      tokens.label = `${tokens.count} tokens`
      close(tokens, tokens.end + startedAt)
      tokens = null
    }
    if (event.type !== 'agent_event') continue
    switch (event.event_type) {
      case 'progress':
        if (stage?.label !== event.content.stage) {
          close(stage, time)
          close(step, time)
          step = null
          stage = { lane: 'stage', label: event.content.stage, seq: event.seq, start: rel(time), end: 0, open: false }
        }
        break
      case 'step':
        close(step, time)
        step = { lane: 'step', label: event.content.name, seq: event.seq, start: rel(time), end: 0, open: false }
        break
      case 'tool_call':
        close(step, time)
        step = null
        toolCalls.push({ lane: 'tool', label: event.content.tool, seq: event.seq, start: rel(time), end: 0, open: false })
        break
      case 'tool_result': {
        const index = toolCalls.findIndex((call) => call.label === event.content.tool)
        if (index >= 0) close(toolCalls.splice(index, 1)[0]!, time)
        break
      }
      case 'token':
        if (!tokens) {
          close(step, time)
          step = null
          tokens = { lane: 'tokens', label: '', seq: event.seq, start: rel(time), end: rel(time), open: false, count: 0 }
        }
        tokens.count += 1
        tokens.end = rel(time)
        break
      case 'message':
        spans.push({
          lane: 'message',
          label: truncate(`${event.content.role}: ${event.content.content}`),
          seq: event.seq,
          start: rel(time),
          end: rel(time),
          open: false,
        })
        break
    }
  }
  if (tokens) {
    tokens.label = `${tokens.count} tokens`
    // A token run that is still growing ends "now", like any open span.
    close(tokens, terminal ? tokens.end + startedAt : null)
  }
  close(stage, null)
  close(step, null)
  toolCalls.forEach((call) => close(call, null))
  spans.sort((a, b) => a.seq - b.seq)
  return { startedAt, attempt: started?.attempt ?? 1, total: Math.max(0, endAt - startedAt), finished: Boolean(terminal), spans }
}
