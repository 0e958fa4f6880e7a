/**
 * Executions store: execution records, each agent's history, and the live
 * log of every execution on screen.
 *
 * A log is filled from a REST snapshot first (loadEvents), then from
 * WebSocket events; both go through the one applyEvent(), which dedupes by
 * seq and reports gaps (see lib/liveLog.ts).
 */
import { defineStore } from 'pinia'
import { ref, type Ref } from 'vue'
import { api } from '@/api/client'
import { isTerminal, type Execution, type ExecutionStatus, type JsonObject, type Uuid } from '@/api/types'
import { applyEvent as applyToLog, createLiveLog, type ApplyResult, type LiveLog } from '@/lib/liveLog'
import type { ExecutionEvent } from '@/realtime/frames'

export const HISTORY_PAGE_SIZE = 10

export interface History {
  ids: Uuid[]
  count: number
  page: number
  hasNext: boolean
  hasPrevious: boolean
}

const STATUS_RANK: Record<ExecutionStatus, number> = { pending: 0, running: 1, completed: 2, failed: 2, stopped: 2 }

/** The further along of two statuses; events can be ahead of a REST snapshot and vice versa. */
export function furtherStatus(a: ExecutionStatus | null | undefined, b: ExecutionStatus | null | undefined) {
  if (!a) return b ?? null
  if (!b) return a
  return STATUS_RANK[b] > STATUS_RANK[a] ? b : a
}

export const useExecutionsStore = defineStore('executions', () => {
  // Typed as Ref<T>: unwrapping the recursive JsonValue type is too deep for TS.
  const executions = ref({}) as Ref<Record<Uuid, Execution>>
  const logs = ref({}) as Ref<Record<Uuid, LiveLog>>
  const histories = ref({}) as Ref<Record<Uuid, History>>

  function logFor(id: Uuid): LiveLog {
    let log = logs.value[id]
    if (!log) {
      logs.value[id] = createLiveLog(id)
      log = logs.value[id]!
    }
    return log
  }

  function lastSeq(id: Uuid): number {
    return logs.value[id]?.lastSeq ?? 0
  }

  function statusOf(id: Uuid): ExecutionStatus | null {
    return furtherStatus(executions.value[id]?.status, logs.value[id]?.status)
  }

  function upsertExecution(execution: Execution): Execution {
    const known = executions.value[execution.id]
    const status = furtherStatus(execution.status, logs.value[execution.id]?.status) ?? execution.status
    executions.value[execution.id] = { ...known, ...execution, status }
    return executions.value[execution.id]!
  }

  /** The single entry point for events, from REST or WebSocket. */
  function applyEvent(event: ExecutionEvent): ApplyResult {
    const result = applyToLog(logFor(event.execution_id), event)
    if (result.status === 'applied') setStatus(event.execution_id, statusOf(event.execution_id))
    return result
  }

  /** Records are replaced, not edited: their fields are read-only, as the API sends them. */
  function setStatus(id: Uuid, status: ExecutionStatus | null): void {
    const record = executions.value[id]
    if (record && status && record.status !== status) executions.value[id] = { ...record, status }
  }

  /**
   * A status change announced on the agent's socket. Returns false for an
   * execution this page does not know yet (e.g. started in another tab).
   */
  function noteStatus(id: Uuid, status: ExecutionStatus): boolean {
    const record = executions.value[id]
    if (!record) return false
    setStatus(id, furtherStatus(record.status, status))
    return true
  }

  async function fetchExecution(id: Uuid): Promise<Execution> {
    return upsertExecution(await api.getExecution(id))
  }

  /** REST snapshot of every stored event after what the log already has. */
  async function loadEvents(id: Uuid): Promise<void> {
    const events = await api.eventsAfter(id, lastSeq(id))
    for (const event of events) applyEvent(event)
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
