/**
 * Executions store: execution records, each agent's history, and the live
 * log of every execution on screen.
 *
 * A log is filled from a REST snapshot first (loadEvents), then from
 * WebSocket events; both go through the one applyEvent(), which dedupes by
 * seq and reports gaps (see lib/liveLog.ts).
 *
 * A live log takes thousands of events, a token each, so it is not deeply
 * reactive: the reducer works on a plain object kept out of Vue's sight, and
 * after each applied event the store publishes a shallow copy of it
 * (markRaw) under `logs[id]`. A token thus costs one small copy and one
 * trigger of the readers of that one log, instead of a proxy per event.
 * Execution records are replaced too, never edited in place.
 *
 * A run streams thousands of events a second, and the page reading a log
 * does work that grows with it (its text laid out again, the timeline and
 * model calls derived again). So the first event after a quiet spell is
 * published at once and the rest of a burst together, at most once a frame
 * (PUBLISH_INTERVAL_MS): what is shown is never more than a frame behind.
 */
import { defineStore } from 'pinia'
import { markRaw, ref, shallowReactive, type Ref } from 'vue'
import { api } from '@/api/client'
import { isTerminal, type Execution, type ExecutionStatus, type JsonObject, type Uuid } from '@/api/types'
import { applyEvent as applyToLog, createLiveLog, type ApplyResult, type LiveLog } from '@/lib/liveLog'
import type { ExecutionEvent } from '@/realtime/frames'

export const HISTORY_PAGE_SIZE = 10
/** Events asked for per request of a REST snapshot (the server's maximum). */
export const EVENTS_PAGE_SIZE = 5000

export interface History {
  ids: Uuid[]
  count: number
  page: number
  hasNext: boolean
  hasPrevious: boolean
}

/** How far along a run is. Running and waiting_input share a rank: a run goes back and forth between them. */
const STATUS_RANK: Record<ExecutionStatus, number> = {
  queued: 0,
  pending: 1,
  running: 2,
  waiting_input: 2,
  completed: 3,
  failed: 3,
  stopped: 3,
}

/** The further along of two statuses of one run; events can be ahead of a REST snapshot and vice versa. */
export function furtherStatus(a: ExecutionStatus | null | undefined, b: ExecutionStatus | null | undefined) {
  if (!a) return b ?? null
  if (!b) return a
  return STATUS_RANK[b] > STATUS_RANK[a] ? b : a
}

/** Where an execution is: which run, and how far along that run. */
export interface Progress {
  status: ExecutionStatus
  attempt: number
  /** The seq the status was told at (a record's last_seq, a log's), when known. */
  last_seq?: number
}

/**
 * The further along of two progresses; `b` is the newer news. A requeue
 * takes the status back from running to pending, but always for a later
 * attempt, so a later attempt is further whatever its status; within one
 * run the status only goes forward, but for running and waiting_input,
 * which follow each other with each interrupt and resume: of those, the one
 * told at the higher seq wins. A status announced without a seq
 * (execution_status) does not undo one that events told.
 */
export function furtherProgress(a: Progress, b: Progress | null): Progress {
  if (!b) return a
  if (a.attempt !== b.attempt) return b.attempt > a.attempt ? b : a
  if (a.status === b.status) return b
  const [rankA, rankB] = [STATUS_RANK[a.status], STATUS_RANK[b.status]]
  if (rankA !== rankB) return rankB > rankA ? b : a
  if (a.status === 'running' || a.status === 'waiting_input') {
    if (a.last_seq === undefined || b.last_seq === undefined) return a
    return a.last_seq > b.last_seq ? a : b
  }
  return a
}

/** Least time between two publications of the logs during a burst of events: about a frame. */
export const PUBLISH_INTERVAL_MS = 16

type PublishScheduler = (flush: () => void, delayMs: number) => void
const timerScheduler: PublishScheduler = (flush, delayMs) => void setTimeout(flush, delayMs)
let scheduler: PublishScheduler | 'immediate' = timerScheduler

/**
 * How the rest of a burst is published: after a timer (the default), with
 * another scheduler, or 'immediate' (every event at once: tests of what one
 * event does).
 */
export function setPublishScheduler(next: PublishScheduler | 'immediate' | null): void {
  scheduler = next ?? timerScheduler
}

/** The run whose start started_at is: a requeued execution keeps its last run's start while pending. */
function startedRun({ status, attempt }: Progress): number {
  return status === 'pending' ? attempt - 1 : attempt
}

export const useExecutionsStore = defineStore('executions', () => {
  /** Records by id; shallow, since a record is replaced whenever it changes. */
  const executions = shallowReactive<Record<Uuid, Execution>>({})
  /** The published (read-only) snapshot of each execution's live log. */
  const logs = shallowReactive<Record<Uuid, LiveLog>>({})
  // Typed as Ref<T>: unwrapping the recursive JsonValue type is too deep for TS.
  const histories = ref({}) as Ref<Record<Uuid, History>>
  /** The logs the reducer works on; never reactive, so applying an event tracks nothing. */
  const working = new Map<Uuid, LiveLog>()

  function workingLog(id: Uuid): LiveLog {
    let log = working.get(id)
    if (!log) {
      log = createLiveLog(id)
      working.set(id, log)
      publish(log)
    }
    return log
  }

  function publish(log: LiveLog): void {
    logs[log.executionId] = markRaw({ ...log })
  }

  /** The logs changed since they were last published, and whether their publication is due. */
  const unpublished = new Set<Uuid>()
  let flushPending = false
  let lastFlushAt = -Infinity

  function publishSoon(log: LiveLog): void {
    if (scheduler === 'immediate') return publish(log)
    const now = performance.now()
    if (!flushPending && now - lastFlushAt >= PUBLISH_INTERVAL_MS) {
      lastFlushAt = now
      return publish(log)
    }
    unpublished.add(log.executionId)
    if (flushPending) return
    flushPending = true
    scheduler(flushLogs, Math.max(0, PUBLISH_INTERVAL_MS - (now - lastFlushAt)))
  }

  function flushLogs(): void {
    flushPending = false
    lastFlushAt = performance.now()
    for (const id of unpublished) {
      const log = working.get(id)
      if (log) publish(log)
    }
    unpublished.clear()
  }

  /** The log of an execution, made (empty) if there is none yet. */
  function logFor(id: Uuid): LiveLog {
    workingLog(id)
    return logs[id]!
  }

  function lastSeq(id: Uuid): number {
    return working.get(id)?.lastSeq ?? 0
  }

  function statusOf(id: Uuid): ExecutionStatus | null {
    return progressOf(id)?.status ?? null
  }

  /** The further of what the record and the events tell. */
  function progressOf(id: Uuid): Progress | null {
    const record = executions[id]
    // What the events told so far, published or not; reading `logs` makes callers follow it.
    void logs[id]
    const log = working.get(id)
    const told = log?.status ? { status: log.status, attempt: log.attempt, last_seq: log.lastSeq } : null
    return record ? furtherProgress(record, told) : told
  }

  /** Takes a REST object; what the events already told (a later status, the times) is kept. */
  function upsertExecution(execution: Execution): Execution {
    executions[execution.id] = { ...executions[execution.id], ...execution }
    syncRecord(execution.id)
    return executions[execution.id]!
  }

  /** The single entry point for events, from REST or WebSocket. */
  function applyEvent(event: ExecutionEvent): ApplyResult {
    const log = workingLog(event.execution_id)
    const result = applyToLog(log, event)
    if (result.status === 'applied') {
      publishSoon(log)
      syncRecord(event.execution_id)
    }
    return result
  }

  /**
   * Brings a record up to what its events tell: status and attempt, and
   * started_at / completed_at until the REST object brings them, so
   * durations are right at once. Records are replaced, not edited: their
   * fields are read-only, as the API sends them.
   *
   * An announced status (execution_status) does not say which run it is
   * about; it is taken as one of the latest run known, so a late "pending"
   * never undoes a start (a requeue comes with its event, or with the REST
   * object).
   */
  function syncRecord(id: Uuid, announced: ExecutionStatus | null = null): void {
    const record = executions[id]
    if (!record) return
    const log = working.get(id)
    const known = progressOf(id) ?? record
    const { status, attempt } = announced ? furtherProgress(known, { status: announced, attempt: known.attempt }) : known
    // The API moves started_at to each new start, so the events' start wins
    // when it is of a later run than the record's.
    const laterStart =
      log?.status != null && startedRun({ status: log.status, attempt: log.attempt }) > startedRun(record)
    const started_at = (laterStart ? log.startedAt : record.started_at) ?? log?.startedAt ?? null
    const completed_at = record.completed_at ?? log?.endedAt ?? null
    if (
      status !== record.status ||
      attempt !== record.attempt ||
      started_at !== record.started_at ||
      completed_at !== record.completed_at
    ) {
      executions[id] = { ...record, status, attempt, started_at, completed_at }
    }
  }

  /**
   * A status change announced on the agent's socket. Returns false for an
   * execution this page does not know yet (e.g. started in another tab).
   */
  function noteStatus(id: Uuid, status: ExecutionStatus): boolean {
    if (!executions[id]) return false
    syncRecord(id, status)
    return true
  }

  async function fetchExecution(id: Uuid): Promise<Execution> {
    return upsertExecution(await api.getExecution(id))
  }

  /** REST snapshot of every stored event after what the log already has. */
  /**
   * Every stored event after the log's last seq, a page of 5000 at a time,
   * each page applied as it arrives (so a long history shows while it loads).
   */
  async function loadEvents(id: Uuid): Promise<void> {
    for (;;) {
      const page = await api.eventsPage(id, lastSeq(id), EVENTS_PAGE_SIZE)
      for (const event of page.results) applyEvent(event)
      if (!page.next || page.results.length === 0) return
    }
  }

  async function fetchHistory(agentId: Uuid, page = 1): Promise<History> {
    const result = await api.listExecutions({ agent: agentId, page, pageSize: HISTORY_PAGE_SIZE })
    const history: History = {
      ids: result.results.map((execution) => upsertExecution(execution).id),
      count: result.count,
      page,
      hasNext: result.next !== null,
      hasPrevious: result.previous !== null,
    }
    histories.value[agentId] = history
    return history
  }

  async function startExecution(agentId: Uuid, inputData: JsonObject): Promise<Execution> {
    const execution = upsertExecution(await api.createExecution(agentId, inputData))
    logFor(execution.id)
    const history = histories.value[agentId]
    if (history && history.page === 1 && !history.ids.includes(execution.id)) {
      history.ids.unshift(execution.id)
      history.count += 1
      if (history.ids.length > HISTORY_PAGE_SIZE) {
        history.ids.pop()
        history.hasNext = true
      }
    }
    return execution
  }

  async function stopExecution(id: Uuid): Promise<void> {
    await api.stopExecution(id)
  }

  function isFinished(id: Uuid): boolean {
    return isTerminal(statusOf(id))
  }

  return {
    executions,
    logs,
    histories,
    logFor,
    lastSeq,
    statusOf,
    isFinished,
    upsertExecution,
    applyEvent,
    noteStatus,
    fetchExecution,
    loadEvents,
    fetchHistory,
    startExecution,
    stopExecution,
  }
})
