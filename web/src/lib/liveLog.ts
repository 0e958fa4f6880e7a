/**
 * The live log of one execution, built from its events in seq order.
 *
 * applyEvent() is the only way in, for REST replays and WebSocket events
 * alike. Events arrive at least once and may come out of order across a
 * reconnect, so it
 *   - ignores seq <= lastSeq (duplicate, e.g. at the replay/live seam),
 *   - holds back seq > lastSeq + 1 (a gap) and asks the caller, once per gap,
 *     to fetch everything after lastSeq; held events are applied as soon as
 *     the gap is filled.
 * The result: every event applied exactly once, in order.
 */
import type { ExecutionStatus, IsoDateTime, JsonObject, JsonValue, Uuid } from '@/api/types'
import type { ExecutionEvent, InterruptRequest, ProgressContent } from '@/realtime/frames'

export type LogEntry =
  | { kind: 'started'; seq: number; timestamp: string; input: JsonObject; attempt: number }
  | { kind: 'requeued'; seq: number; timestamp: string; attempt: number; code: string; message: string }
  | { kind: 'step'; seq: number; timestamp: string; name: string; content: JsonValue }
  | { kind: 'tool_call'; seq: number; timestamp: string; tool: string; arguments: JsonValue }
  | { kind: 'tool_result'; seq: number; timestamp: string; tool: string; result: JsonValue }
  | { kind: 'message'; seq: number; timestamp: string; role: string; content: string }
  | { kind: 'interrupted'; seq: number; timestamp: string; interrupt: InterruptRequest }
  | { kind: 'resumed'; seq: number; timestamp: string; interruptId: Uuid }
  | { kind: 'completed'; seq: number; timestamp: string; output: JsonValue }
  | { kind: 'error'; seq: number; timestamp: string; message: string; code: string }
  | { kind: 'stopped'; seq: number; timestamp: string; message: string }

export interface LiveLog {
  executionId: Uuid
  /**
   * Status as the events tell it; null until the first event. It goes back
   * from running to pending once per execution_requeued (to waiting_input
   * when the lost run was a resumed one), and between running and
   * waiting_input with each interrupt and resume.
   */
  status: ExecutionStatus | null
  /** The run the events are at: 1, then the attempt of each execution_requeued. */
  attempt: number
  /** Timestamps of the latest execution_started and of the terminal event, as the events tell them. */
  startedAt: IsoDateTime | null
  endedAt: IsoDateTime | null
  /** The highest seq applied; every seq from 1 to here is applied exactly once. */
  lastSeq: number
  events: ExecutionEvent[]
  /** The token stream so far: the deltas appended in seq order. */
  text: string
  tokenCount: number
  progress: (ProgressContent & { seq: number }) | null
  entries: LogEntry[]
  output: JsonValue | undefined
  error: { message: string; code: string } | null
  stopMessage: string | null
  /** What the run waits for, from its execution_interrupted until its execution_resumed or its end. */
  interrupt: InterruptRequest | null
  /** How the latest run was claimed: started, or resumed after an answer (a requeue goes back to that). */
  claimedBy: 'started' | 'resumed' | null
  /** Events that arrived ahead of a gap, by seq. */
  held: Record<number, ExecutionEvent>
  /** lastSeq at which a refill was last requested, so a gap is asked for once. */
  refillRequestedAt: number | null
}

export type ApplyResult =
  | { status: 'applied'; applied: number }
  | { status: 'duplicate' }
  /** The event is held; resubscribeFrom is set the first time for this gap. */
  | { status: 'gap'; resubscribeFrom: number | null }

/** Enough to cover a long hiccup; past this, held events are dropped and refetched. */
export const MAX_HELD_EVENTS = 5_000

export function createLiveLog(executionId: Uuid): LiveLog {
  return {
    executionId,
    status: null,
    attempt: 1,
    startedAt: null,
    endedAt: null,
    lastSeq: 0,
    events: [],
    text: '',
    tokenCount: 0,
    progress: null,
    entries: [],
    output: undefined,
    error: null,
    stopMessage: null,
    interrupt: null,
    claimedBy: null,
    held: {},
    refillRequestedAt: null,
  }
}

export function applyEvent(log: LiveLog, event: ExecutionEvent): ApplyResult {
  if (event.seq <= log.lastSeq || log.held[event.seq]) return { status: 'duplicate' }
  if (event.seq > log.lastSeq + 1) {
    if (Object.keys(log.held).length < MAX_HELD_EVENTS) log.held[event.seq] = event
    const first = log.refillRequestedAt !== log.lastSeq
    if (first) log.refillRequestedAt = log.lastSeq
    return { status: 'gap', resubscribeFrom: first ? log.lastSeq : null }
  }
  record(log, event)
  let applied = 1
  for (let next = log.held[log.lastSeq + 1]; next; next = log.held[log.lastSeq + 1]) {
    delete log.held[next.seq]
    record(log, next)
    applied += 1
  }
  return { status: 'applied', applied }
}

/** True while events are held back waiting for a gap to be filled. */
export function hasGap(log: LiveLog): boolean {
  return Object.keys(log.held).length > 0
}

function record(log: LiveLog, event: ExecutionEvent): void {
  log.lastSeq = event.seq
  log.events.push(event)
  const at = { seq: event.seq, timestamp: event.timestamp }
  switch (event.type) {
    case 'execution_started':
      if (log.status === null || log.status === 'pending') log.status = 'running'
      log.attempt = Math.max(log.attempt, event.attempt ?? 1)
      // A run after a requeue starts later than the first: its start is the one that counts.
      log.startedAt = event.timestamp
      log.claimedBy = 'started'
      log.entries.push({ kind: 'started', ...at, input: event.input_data, attempt: event.attempt ?? 1 })
      break
    case 'execution_requeued':
      // Only a run that streamed no agent event is requeued, so there is no
      // text, progress or output to take back: the log keeps what it has.
      // A lost resumed run waits again, answered, to be resumed once more.
      if (log.status === null || log.status === 'running') {
        log.status = log.claimedBy === 'resumed' ? 'waiting_input' : 'pending'
      }
      log.attempt = Math.max(log.attempt, event.attempt)
      log.entries.push({ kind: 'requeued', ...at, attempt: event.attempt, code: event.code, message: event.message })
      break
    case 'execution_interrupted':
      log.status = 'waiting_input'
      log.interrupt = event.interrupt
      log.entries.push({ kind: 'interrupted', ...at, interrupt: event.interrupt })
      break
    case 'execution_resumed':
      log.status = 'running'
      log.interrupt = null
      log.claimedBy = 'resumed'
      log.entries.push({ kind: 'resumed', ...at, interruptId: event.interrupt_id })
      break
    case 'execution_completed':
      log.status = 'completed'
      log.endedAt = event.timestamp
      log.output = event.output
      log.interrupt = null
      log.entries.push({ kind: 'completed', ...at, output: event.output })
      break
    case 'execution_error':
      log.status = 'failed'
      log.endedAt = event.timestamp
      log.error = { message: event.message, code: event.code }
      log.interrupt = null
      log.entries.push({ kind: 'error', ...at, message: event.message, code: event.code })
      break
    case 'execution_stopped':
      log.status = 'stopped'
      log.endedAt = event.timestamp
      log.stopMessage = event.message
      log.interrupt = null
      log.entries.push({ kind: 'stopped', ...at, message: event.message })
      break
    case 'agent_event':
      if (log.status === null || log.status === 'pending') log.status = 'running'
      recordAgentEvent(log, event, at)
      break
  }
}

function recordAgentEvent(
  log: LiveLog,
  event: Extract<ExecutionEvent, { type: 'agent_event' }>,
  at: { seq: number; timestamp: string },
): void {
  switch (event.event_type) {
    case 'token':
      log.text += event.content.content
      log.tokenCount += 1
      break
    case 'progress':
      log.progress = { ...event.content, seq: event.seq }
      break
    case 'step':
      log.entries.push({ kind: 'step', ...at, name: event.content.name, content: event.content.content })
      break
    case 'tool_call':
      log.entries.push({ kind: 'tool_call', ...at, tool: event.content.tool, arguments: event.content.arguments })
      break
    case 'tool_result':
      log.entries.push({ kind: 'tool_result', ...at, tool: event.content.tool, result: event.content.result })
      break
    case 'message':
      log.entries.push({ kind: 'message', ...at, role: event.content.role, content: event.content.content })
      break
  }
}
