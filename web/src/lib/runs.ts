/**
 * The runs view in plain functions: its filters as they sit in the URL and
 * as the API reads them, the count in words, what a live status frame does
 * to the page shown, and a bulk action's result in words.
 */
import type { LocationQuery, LocationQueryRaw } from 'vue-router'
import type { RunQuery } from '@/api/client'
import type { BulkResult, Execution, ExecutionStatus, Run, Uuid } from '@/api/types'
import type { RunStatusFrame } from '@/realtime/frames'
import { STATUS_LABELS } from './format'

export const RUN_STATUSES = Object.keys(STATUS_LABELS) as ExecutionStatus[]

/** How far back the runs go: a preset, between two times (`from`, `to`), or all of them. */
export type RunRange = '' | 'hour' | 'day' | 'week' | 'between'

export const RANGE_LABELS: Record<RunRange, string> = {
  '': 'Any time',
  hour: 'Last hour',
  day: 'Last day',
  week: 'Last week',
  between: 'Between…',
}

const RANGE_MS: Record<Exclude<RunRange, '' | 'between'>, number> = {
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
}

export interface RunFilters {
  status: ExecutionStatus[]
  agent: string
  runtime: string
  errorCode: string
  range: RunRange
  /** With range `between`: local date-times as a datetime-local box gives them (YYYY-MM-DDTHH:mm); either may be empty. */
  from: string
  to: string
  q: string
}

export const NO_FILTERS: RunFilters = { status: [], agent: '', runtime: '', errorCode: '', range: '', from: '', to: '', q: '' }

/** The page asked for besides the filters: a cursor of the API's `next` / `previous` links. */
export interface RunLocation {
  filters: RunFilters
  cursor: string | null
}

function first(value: LocationQuery[string] | undefined): string {
  const item = Array.isArray(value) ? value[0] : value
  return typeof item === 'string' ? item : ''
}

function all(value: LocationQuery[string] | undefined): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value]
  return list.filter((item): item is string => typeof item === 'string' && item !== '')
}

/** The filters and the cursor a URL's query names; unknown values are dropped. */
export function locationFromQuery(query: LocationQuery): RunLocation {
  const range = first(query.range)
  const statuses = all(query.status).filter((status): status is ExecutionStatus =>
    (RUN_STATUSES as string[]).includes(status),
  )
  return {
    filters: {
      status: RUN_STATUSES.filter((status) => statuses.includes(status)),
      agent: first(query.agent),
      runtime: first(query.runtime),
      errorCode: first(query.error_code),
      range: range in RANGE_LABELS ? (range as RunRange) : '',
      from: range === 'between' ? first(query.from) : '',
      to: range === 'between' ? first(query.to) : '',
      q: first(query.q),
    },
    cursor: first(query.cursor) || null,
  }
}

/** The URL's query for the filters and the cursor: only what is set, so an unfiltered view is plain /runs. */
export function queryFromLocation({ filters, cursor }: RunLocation): LocationQueryRaw {
  const query: LocationQueryRaw = {}
  if (filters.status.length) query.status = [...filters.status]
  if (filters.agent) query.agent = filters.agent
  if (filters.runtime) query.runtime = filters.runtime
  if (filters.errorCode.trim()) query.error_code = filters.errorCode.trim()
  if (filters.range) query.range = filters.range
  if (filters.range === 'between' && filters.from) query.from = filters.from
  if (filters.range === 'between' && filters.to) query.to = filters.to
  if (filters.q.trim()) query.q = filters.q.trim()
  if (cursor) query.cursor = cursor
  return query
}

/** The query of GET /api/runs/; a time range is counted back from `now`. */
export function apiQuery({ filters, cursor }: RunLocation, now: number, pageSize?: number): RunQuery {
  const query: RunQuery = {}
  if (filters.status.length) query.status = [...filters.status]
  if (filters.agent) query.agent = filters.agent
  if (filters.runtime) query.runtime = filters.runtime
  if (filters.errorCode.trim()) query.error_code = filters.errorCode.trim()
  if (filters.range === 'between') {
    const after = isoOf(filters.from)
    const before = isoOf(filters.to)
    if (after) query.created_after = after
    if (before) query.created_before = before
  } else if (filters.range) query.created_after = new Date(now - RANGE_MS[filters.range]).toISOString()
  if (filters.q.trim()) query.q = filters.q.trim()
  if (cursor) query.cursor = cursor
  if (pageSize) query.page_size = pageSize
  return query
}

/** A datetime-local value (the browser's time zone) as ISO 8601, or null when empty or not a time. */
function isoOf(local: string): string | null {
  if (!local) return null
  const time = new Date(local).getTime()
  return Number.isNaN(time) ? null : new Date(time).toISOString()
}

/** The cursor of a `next` / `previous` link, or null (none, or the link has none: the first page). */
export function cursorOf(url: string | null | undefined): string | null {
  if (!url) return null
  try {
    return new URL(url, 'http://localhost').searchParams.get('cursor')
  } catch {
    return null
  }
}

/** "1 run", "123 runs", "10,000+ runs" when the count reached its limit. */
export function countLabel(count: number, limit: number): string {
  const number = count.toLocaleString('en-US')
  if (limit > 0 && count >= limit) return `${number}+ runs`
  return count === 1 ? '1 run' : `${number} runs`
}

/**
 * What a status frame of the runs stream does to the page shown:
 * - a run on the page: its status changes in place, and the row is read
 *   again (`refetch`) for its times and error;
 * - another run, on the first (newest) page: the page is read again
 *   (`reload`), since it may be new or may now match the filters;
 * - another run, on an older page: nothing.
 */
export type LiveAction = { kind: 'refetch'; id: Uuid; status: ExecutionStatus } | { kind: 'reload' } | { kind: 'ignore' }

export function liveAction(frame: Pick<RunStatusFrame, 'execution_id' | 'status'>, rows: readonly Run[], onFirstPage: boolean): LiveAction {
  if (rows.some((run) => run.id === frame.execution_id)) return { kind: 'refetch', id: frame.execution_id, status: frame.status }
  return onFirstPage ? { kind: 'reload' } : { kind: 'ignore' }
}

/** The rows with one run's status changed (a new array; the others untouched). */
export function withStatus(rows: readonly Run[], id: Uuid, status: ExecutionStatus): Run[] {
  return rows.map((run) => (run.id === id && run.status !== status ? { ...run, status } : run))
}

/** The rows with one run replaced by its fresh execution record, keeping the agent's name and runtime. */
export function withExecution(rows: readonly Run[], execution: Execution): Run[] {
  return rows.map((run) => (run.id === execution.id ? { ...run, ...execution, agent_name: run.agent_name, runtime: run.runtime } : run))
}

/** The selected ids still on the page (a reload keeps the selection of what is still shown). */
export function keepSelected(selected: ReadonlySet<Uuid>, rows: readonly Run[]): Set<Uuid> {
  return new Set(rows.filter((run) => selected.has(run.id)).map((run) => run.id))
}

export type BulkKind = 'stop' | 'rerun'

export interface BulkReport {
  /** What was done, in a sentence. */
  summary: string
  /** One line for each run not acted on. */
  problems: string[]
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}

/** A bulk stop's or re-run's result in words: what was done, and why each of the others was not. */
export function bulkReport(kind: BulkKind, result: BulkResult, shortId: (id: Uuid) => string): BulkReport {
  const done = result.results.length
  const summary =
    kind === 'stop'
      ? done
        ? `Asked ${plural(done, 'run', 'runs')} to stop.`
        : 'No run was stopped.'
      : done
        ? `Started ${plural(done, 'new run', 'new runs')}.`
        : 'No run was started again.'
  const problems = [
    ...result.not_found.map((id) => `${shortId(id)}: not found (deleted, or not yours).`),
    ...Object.entries(result.errors).map(([id, error]) => {
      const message = typeof error.message === 'string' && error.message ? error.message : null
      const code = typeof error.code === 'string' && error.code ? error.code : null
      return `${shortId(id)}: ${message ?? code ?? 'could not be done.'}${message && code ? ` (${code})` : ''}`
    }),
  ]
  return { summary, problems }
}
