/**
 * useThreadStream: a thread's stream on the user socket /ws/ — every event of
 * every run of the thread, run after run, on one subscription that never
 * ends (`{"action": "subscribe", "stream": "thread:<id>", "cursor"?}`).
 *
 * - Each event goes to the executions store's applyEvent(), which drops one
 *   already applied (dedupe by execution and seq: a replay after a
 *   reconnect, or an event the REST poll brought first) and holds one ahead
 *   of a gap; a gap is filled from the events endpoint.
 * - The last cursor received is kept (threads store), and every
 *   (re)subscribe sends it, so a reconnect resumes right after the last
 *   event, across runs. A cursor the server refuses (`invalid_field` on
 *   `cursor`) is dropped and the stream taken from its first run (the
 *   dedupe absorbs the replay); `unavailable` (Redis down) and
 *   `rate_limited` are retried a moment later.
 * - `execution_status` with the stream names a run created or changed:
 *   told to `onRunStatus`, so a new run is shown without a new subscribe.
 * - `onRunEnded` is called once a run of the thread reaches a terminal
 *   event here (not for one that had ended before it was seen). The replay
 *   of a run whose record says it ended, and that has no log here, is
 *   skipped: without a cursor the stream starts at the thread's first run.
 * - While the socket is down, the runs passed to follow() are polled over
 *   REST, so the current run keeps moving through an api restart.
 */
import { getCurrentScope, onScopeDispose, reactive, readonly, watch, type Ref } from 'vue'
import type { ExecutionStatus, Uuid } from '@/api/types'
import { useExecutionsStore } from '@/stores/executions'
import { useThreadsStore } from '@/stores/threads'
import { AgentSocket, userSocketUrl } from './agentSocket'
import { isExecutionEvent, threadStream, type ServerMessage } from './frames'
import type { SocketConnection, SocketOverrides } from './useAgentSocket'

export interface ThreadStreamOptions {
  /** A run of the thread was created or changed status. */
  onRunStatus?: (executionId: Uuid, status: ExecutionStatus) => void
  /** A run of the thread reached its terminal event. */
  onRunEnded?: (executionId: Uuid) => void
  pollMs?: number
  /** How long to wait before subscribing again after `unavailable` or `rate_limited`. */
  retryMs?: number
  socket?: SocketOverrides
}

const RETRIED = ['unavailable', 'rate_limited']

export function useThreadStream(threadId: Readonly<Ref<Uuid | null>>, options: ThreadStreamOptions = {}) {
  const executions = useExecutionsStore()
  const threads = useThreadsStore()
  const connection = reactive<SocketConnection>({ state: 'idle', detail: {}, lastServerError: null })
  const followed = new Set<Uuid>()
  const loading = new Set<Uuid>()
  let retryTimer: ReturnType<typeof setTimeout> | null = null

  const currentStream = () => (threadId.value ? threadStream(threadId.value) : null)
  const threadOf = (stream: string) => (stream.startsWith('thread:') ? stream.slice('thread:'.length) : null)

  async function refresh(id: Uuid): Promise<void> {
    if (loading.has(id)) return
    loading.add(id)
    try {
      await executions.loadEvents(id)
    } finally {
      loading.delete(id)
    }
  }

  function handleMessage(message: ServerMessage): void {
    const stream = currentStream()
    if (isExecutionEvent(message)) {
      if (!stream || message.stream !== stream) return
      if (message.cursor) threads.setStreamCursor(threadId.value!, message.cursor)
      const id = message.execution_id
      const wasFinished = executions.isFinished(id)
      // The replay of a run known to have ended, and not on screen: nothing to show, nothing to keep.
      if (wasFinished && !executions.logs[id]) return
      const result = executions.applyEvent(message)
      if (result.status === 'gap' && result.resubscribeFrom !== null) void refresh(id).catch(() => undefined)
      if (result.status === 'applied' && !wasFinished && executions.isFinished(id)) {
        followed.delete(id)
        options.onRunEnded?.(id)
      }
    } else if (message.type === 'execution_status') {
      if (!stream || message.stream !== stream) return
      executions.noteStatus(message.execution_id, message.status)
      options.onRunStatus?.(message.execution_id, message.status)
    } else if (message.type === 'error') {
      connection.lastServerError = message.message
      if (!stream) return
      if (message.code === 'invalid_field' && message.fields?.cursor) {
        threads.setStreamCursor(threadId.value!, null)
        socket.resubscribeStream(stream)
      } else if (message.code && RETRIED.includes(message.code)) {
        clearRetry()
        retryTimer = setTimeout(() => {
          retryTimer = null
          const again = currentStream()
          if (again) socket.resubscribeStream(again)
        }, options.retryMs ?? 2_000)
      }
    } else if (message.type === 'connection') {
      connection.lastServerError = null
    }
  }

  function clearRetry(): void {
    if (retryTimer !== null) clearTimeout(retryTimer)
    retryTimer = null
  }

  const socket = new AgentSocket({
    url: userSocketUrl(),
    lastSeq: (executionId) => executions.lastSeq(executionId),
    streamCursor: (stream) => {
      const id = threadOf(stream)
      return id ? threads.streamCursor(id) : null
    },
    onMessage: handleMessage,
    onStateChange: (state, detail) => {
      connection.state = state
      connection.detail = detail
    },
    isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine !== false),
    ...options.socket,
  })

  const stop = watch(
    threadId,
    (id, previous) => {
      clearRetry()
      if (previous) socket.unwatchStream(threadStream(previous))
      followed.clear()
      if (id) socket.watchStream(threadStream(id))
    },
    { immediate: true },
  )
  socket.connect()

  /** The stored events of a run first (shown before the socket is up), then its stream's. */
  async function follow(id: Uuid): Promise<void> {
    followed.add(id)
    executions.logFor(id)
    await refresh(id)
    if (executions.isFinished(id)) followed.delete(id)
  }

  function unfollow(id: Uuid): void {
    followed.delete(id)
  }

  const timer = setInterval(() => {
    if (connection.state === 'connected') return
    for (const id of followed) {
      if (executions.isFinished(id)) followed.delete(id)
      else void refresh(id).catch(() => undefined)
    }
  }, options.pollMs ?? 2_000)

  function onOnline(): void {
    socket.reconnectNow()
  }
  window.addEventListener('online', onOnline)

  if (getCurrentScope()) {
    onScopeDispose(() => {
      stop()
      clearInterval(timer)
      clearRetry()
      window.removeEventListener('online', onOnline)
      socket.close()
    })
  }

  return {
    follow,
    unfollow,
    connection: readonly(connection),
    /** For tests and diagnostics. */
    socket,
  }
}
