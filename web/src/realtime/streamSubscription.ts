/**
 * One named stream on the user socket /ws/ (`thread:<id>`, `room:<id>`),
 * followed for as long as the caller's scope lives: what a thread's and a
 * room's stream have in common, so that each composable keeps only what
 * its events mean.
 *
 * - The socket subscribes to the stream of the current id (and drops the
 *   previous one's when the id changes), with the last cursor kept by the
 *   caller's store; a cursor the server refuses (`invalid_field` on
 *   `cursor`) is dropped and the stream taken from its start, and
 *   `unavailable` or `rate_limited` is retried a moment later.
 * - Every message but `error` and `connection` goes to `onMessage`.
 * - The executions passed to follow() get their stored events first, and
 *   are polled over REST while the socket is down (`onPoll` is called then
 *   too), until they end.
 */
import { getCurrentScope, onScopeDispose, reactive, readonly, watch, type Ref } from 'vue'
import type { Uuid } from '@/api/types'
import { useExecutionsStore } from '@/stores/executions'
import { AgentSocket, userSocketUrl } from './agentSocket'
import type { ServerMessage } from './frames'
import type { SocketConnection, SocketOverrides } from './useAgentSocket'

export interface StreamSubscriptionOptions {
  pollMs?: number
  /** How long to wait before subscribing again after `unavailable` or `rate_limited`. */
  retryMs?: number
  socket?: SocketOverrides
}

export interface StreamSubscriptionSpec extends StreamSubscriptionOptions {
  /** The stream's name before the id: `thread`, `room`. */
  kind: string
  /** Where the caller's store keeps the stream's last cursor. */
  cursor: { get: (id: Uuid) => string | null; set: (id: Uuid, cursor: string | null) => void }
  onMessage: (message: ServerMessage) => void
  /** Whether an error about another stream (a second page's on a shared socket) is ignored, not shown. */
  ignoreOtherStreamsErrors?: boolean
  onPoll?: () => void
}

const RETRIED = ['unavailable', 'rate_limited']

export function useStreamSubscription(id: Readonly<Ref<Uuid | null>>, spec: StreamSubscriptionSpec) {
  const executions = useExecutionsStore()
  const connection = reactive<SocketConnection>({ state: 'idle', detail: {}, lastServerError: null })
  const followed = new Set<Uuid>()
  const loading = new Set<Uuid>()
  const prefix = `${spec.kind}:`
  let retryTimer: ReturnType<typeof setTimeout> | null = null

  const streamOf = (value: Uuid) => `${prefix}${value}`
  const currentStream = () => (id.value ? streamOf(id.value) : null)

  /** An execution's stored events, once at a time. */
  async function refresh(executionId: Uuid): Promise<void> {
    if (loading.has(executionId)) return
    loading.add(executionId)
    try {
      await executions.loadEvents(executionId)
    } finally {
      loading.delete(executionId)
    }
  }

  function handleMessage(message: ServerMessage): void {
    if (message.type === 'error') handleError(message)
    else if (message.type === 'connection') connection.lastServerError = null
    else spec.onMessage(message)
  }

  function handleError(message: Extract<ServerMessage, { type: 'error' }>): void {
    const stream = currentStream()
    if (spec.ignoreOtherStreamsErrors && message.stream && message.stream !== stream) return
    connection.lastServerError = message.message
    if (!stream || !id.value) return
    if (message.code === 'invalid_field' && message.fields?.cursor) {
      spec.cursor.set(id.value, null)
      socket.resubscribeStream(stream)
    } else if (message.code && RETRIED.includes(message.code)) {
      clearRetry()
      retryTimer = setTimeout(() => {
        retryTimer = null
        const again = currentStream()
        if (again) socket.resubscribeStream(again)
      }, spec.retryMs ?? 2_000)
    }
  }

  function clearRetry(): void {
    if (retryTimer !== null) clearTimeout(retryTimer)
    retryTimer = null
  }

  const socket = new AgentSocket({
    url: userSocketUrl(),
    lastSeq: (executionId) => executions.lastSeq(executionId),
    streamCursor: (stream) => (stream.startsWith(prefix) ? spec.cursor.get(stream.slice(prefix.length)) : null),
    onMessage: handleMessage,
    onStateChange: (state, detail) => {
      connection.state = state
      connection.detail = detail
    },
    isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine !== false),
    ...spec.socket,
  })

  const stop = watch(
    id,
    (value, previous) => {
      clearRetry()
      if (previous) socket.unwatchStream(streamOf(previous))
      followed.clear()
      if (value) socket.watchStream(streamOf(value))
    },
    { immediate: true },
  )
  socket.connect()

  /** The stored events of an execution first (shown before the socket is up), then its stream's. */
  async function follow(executionId: Uuid): Promise<void> {
    followed.add(executionId)
    executions.logFor(executionId)
    await refresh(executionId)
    if (executions.isFinished(executionId)) followed.delete(executionId)
  }

  function unfollow(executionId: Uuid): void {
    followed.delete(executionId)
  }

  const timer = setInterval(() => {
    if (connection.state === 'connected') return
    for (const executionId of followed) {
      if (executions.isFinished(executionId)) followed.delete(executionId)
      else void refresh(executionId).catch(() => undefined)
    }
    spec.onPoll?.()
  }, spec.pollMs ?? 2_000)

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
    currentStream,
    refresh,
    /** Executions polled while the socket is down; one that ends here is taken out by the caller. */
    followed,
    follow,
    unfollow,
    connection: readonly(connection),
    /** For tests and diagnostics. */
    socket,
  }
}
