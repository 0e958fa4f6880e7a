/**
 * The `runs` stream of the user socket /ws/, for as long as the caller's
 * scope lives: every run of the user's (staff: anyone's) created or changed
 * is told as an `execution_status` with `stream: "runs"`.
 *
 * The stream has no replay: after every reconnect (not the first connect)
 * the socket subscribes again by itself and `onReconnect` is called, for
 * the page to be read again over REST. `unavailable` and `rate_limited`
 * are retried a moment later.
 */
import { getCurrentScope, onScopeDispose, reactive, readonly } from 'vue'
import { AgentSocket, userSocketUrl } from './agentSocket'
import { isRunStatus, RUNS_STREAM, type RunStatusFrame, type ServerMessage } from './frames'
import type { SocketConnection, SocketOverrides } from './useAgentSocket'

export interface RunsStreamOptions {
  onStatus: (frame: RunStatusFrame) => void
  onReconnect?: () => void
  retryMs?: number
  socket?: SocketOverrides
}

const RETRIED = ['unavailable', 'rate_limited']

export function useRunsStream(options: RunsStreamOptions) {
  const connection = reactive<SocketConnection>({ state: 'idle', detail: {}, lastServerError: null })
  let connectedBefore = false
  let retryTimer: ReturnType<typeof setTimeout> | null = null

  function handleMessage(message: ServerMessage): void {
    if (isRunStatus(message)) options.onStatus(message)
    else if (message.type === 'connection') connection.lastServerError = null
    else if (message.type === 'error' && (!message.stream || message.stream === RUNS_STREAM)) {
      connection.lastServerError = message.message
      if (message.code && RETRIED.includes(message.code)) {
        if (retryTimer !== null) clearTimeout(retryTimer)
        retryTimer = setTimeout(() => {
          retryTimer = null
          socket.resubscribeStream(RUNS_STREAM)
        }, options.retryMs ?? 2_000)
      }
    }
  }

  const socket = new AgentSocket({
    url: userSocketUrl(),
    lastSeq: () => 0,
    onMessage: handleMessage,
    onStateChange: (state, detail) => {
      connection.state = state
      connection.detail = detail
      if (state !== 'connected') return
      if (connectedBefore) options.onReconnect?.()
      connectedBefore = true
    },
    isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine !== false),
    ...options.socket,
  })
  socket.watchStream(RUNS_STREAM)
  socket.connect()

  function onOnline(): void {
    socket.reconnectNow()
  }
  window.addEventListener('online', onOnline)

  if (getCurrentScope()) {
    onScopeDispose(() => {
      if (retryTimer !== null) clearTimeout(retryTimer)
      window.removeEventListener('online', onOnline)
      socket.unwatchStream(RUNS_STREAM)
      socket.close()
    })
  }

  return { connection: readonly(connection), socket }
}
