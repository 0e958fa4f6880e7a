/** Plain-words formatting shared by the pages. */
import { isActive, type ExecutionStatus, type ThreadStatus } from '@/api/types'

export const STATUS_LABELS: Record<ExecutionStatus, string> = {
  queued: 'Queued',
  pending: 'Pending',
  running: 'Running',
  waiting_input: 'Waiting for input',
  completed: 'Completed',
  failed: 'Failed',
  stopped: 'Stopped',
}

export const THREAD_STATUS_LABELS: Record<ThreadStatus, string> = {
  idle: 'Idle',
  busy: 'Busy',
  interrupted: 'Waiting for input',
  error: 'Error',
}

const ERROR_CODES: Record<string, string> = {
  worker_lost: 'The worker running this execution stopped responding, so it was marked failed.',
  timeout: 'The execution took too long and was ended.',
  agent_server_unavailable: 'The agent server could not be reached.',
  interrupt_expired: 'No one answered the question in time, so the execution was ended.',
}

/** An execution_error in words: the known meaning of its code, else the server's message. */
export function describeExecutionError(message: string, code: string): string {
  const known = ERROR_CODES[code]
  if (known) return message && message !== code ? `${known} (${message})` : known
  return message || `The execution failed (${code || 'no reason given'}).`
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  return `${minutes} min ${seconds} s`
}

/**
 * How long an execution ran: until completed_at, or until `now` while it
 * runs; '-' before it started (or when a finished one's end is not known).
 */
export function executionDuration(
  execution: { status: ExecutionStatus; started_at: string | null; completed_at: string | null },
  now: number,
): string {
  if (!execution.started_at) return '-'
  const started = Date.parse(execution.started_at)
  let end: number
  if (execution.completed_at) end = Date.parse(execution.completed_at)
  else if (isActive(execution.status)) end = now
  else return '-'
  return formatDuration(Math.max(0, end - started))
}

// One formatter for every call: toLocaleString builds a new one each time,
// which a long event history, rendered again as it scrolls, feels.
let dateTimeFormat: Intl.DateTimeFormat | null = null

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '-'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  dateTimeFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
  return dateTimeFormat.format(date)
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`
  return `${(size / 1024 / 1024).toFixed(1)} MB`
}

export function shortId(id: string): string {
  return id.slice(0, 8)
}

/** A lease's end relative to `now`: "expires in 12 s", "expired 3 s ago". */
export function leaseIn(iso: string | null | undefined, now: number): string {
  if (!iso) return '-'
  const end = Date.parse(iso)
  if (Number.isNaN(end)) return iso
  const seconds = Math.round((end - now) / 1000)
  const span = (s: number) => (s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`)
  return seconds >= 0 ? `expires in ${span(seconds)}` : `expired ${span(-seconds)} ago`
}
