/**
 * useRoomStream: a room's stream on the user socket /ws/ — the room's own
 * events (room_started, turn_started, turn_completed, round_completed,
 * room_paused, room_resumed, and its end) and every event of every turn,
 * in one order (`room_seq`), on one subscription
 * (`{"action": "subscribe", "stream": "room:<id>", "cursor"?}`).
 *
 * - Each message carries a `cursor`; the last one received is kept (rooms
 *   store) and every (re)subscribe sends it, so a reconnect resumes right
 *   after it. Messages are deduped by `room_seq` as well: one taken in
 *   already (a replay from the start after a refused cursor) is dropped.
 * - The room's own events go to the rooms store (its record and turns move
 *   at once), then to `onRoomEvent`.
 * - A turn's events go to the executions store's applyEvent(), as a
 *   thread's runs do (dedupe by execution and seq; a gap is filled from the
 *   events endpoint). The replay of a turn that had ended before the page
 *   was loaded, has no log here and is not on screen (`isShown`) is
 *   skipped: without a cursor the stream starts at the room's start.
 * - A cursor the server refuses (`invalid_field` on `cursor`) is dropped
 *   and the stream taken from the start; `unavailable` and `rate_limited`
 *   are retried a moment later.
 * - While the socket is down, the turns passed to follow() are polled over
 *   REST, and `onPoll` is called (the page fetches the room again), so the
 *   room keeps moving through an api restart.
 */
import { getCurrentScope, onScopeDispose, reactive, readonly, watch, type Ref } from 'vue'
import type { Uuid } from '@/api/types'
import { useExecutionsStore } from '@/stores/executions'
import { useRoomsStore } from '@/stores/rooms'
import { AgentSocket, userSocketUrl } from './agentSocket'
import { isExecutionEvent, isRoomEvent, roomStream, type RoomEvent, type ServerMessage } from './frames'
import type { SocketConnection, SocketOverrides } from './useAgentSocket'

export interface RoomStreamOptions {
  /** One of the room's own events, once the rooms store has taken it in. */
  onRoomEvent?: (event: RoomEvent) => void
  /** A turn of the room reached its terminal event here. */
  onTurnEnded?: (executionId: Uuid) => void
  /** Whether the page shows this turn: its replay is kept even though the turn had ended. */
  isShown?: (executionId: Uuid) => boolean
  /** Called every pollMs while the socket is down. */
  onPoll?: () => void
  pollMs?: number
  /** How long to wait before subscribing again after `unavailable` or `rate_limited`. */
  retryMs?: number
  socket?: SocketOverrides
}

const RETRIED = ['unavailable', 'rate_limited']

export function useRoomStream(roomId: Readonly<Ref<Uuid | null>>, options: RoomStreamOptions = {}) {
  const executions = useExecutionsStore()
  const rooms = useRoomsStore()
  const connection = reactive<SocketConnection>({ state: 'idle', detail: {}, lastServerError: null })
  const followed = new Set<Uuid>()
  const loading = new Set<Uuid>()
  let retryTimer: ReturnType<typeof setTimeout> | null = null

  const currentStream = () => (roomId.value ? roomStream(roomId.value) : null)
  const roomOf = (stream: string) => (stream.startsWith('room:') ? stream.slice('room:'.length) : null)

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
    if (message.type === 'error') {
      handleError(message)
      return
    }
    if (message.type === 'connection') {
      connection.lastServerError = null
      return
    }
    const stream = currentStream()
    const id = roomId.value
    if (!stream || !id || !('stream' in message) || message.stream !== stream) return
    if (!('room_seq' in message) || typeof message.room_seq !== 'number') return
    if (!rooms.noteSeq(id, message.room_seq)) return
    if (message.cursor) rooms.setStreamCursor(id, message.cursor)
    if (isRoomEvent(message)) {
      rooms.applyEvent(id, message)
      options.onRoomEvent?.(message)
    } else if (isExecutionEvent(message)) {
      applyTurnEvent(id, message)
    }
  }

  function applyTurnEvent(id: Uuid, event: Parameters<typeof executions.applyEvent>[0]): void {
    const executionId = event.execution_id
    // The replay of a turn known to have ended, and not on screen: nothing to show, nothing to keep.
    if (!executions.logs[executionId] && rooms.turnEnded(id, executionId) && !options.isShown?.(executionId)) return
    const wasFinished = executions.isFinished(executionId)
    const result = executions.applyEvent(event)
    if (result.status === 'gap' && result.resubscribeFrom !== null) void refresh(executionId).catch(() => undefined)
    if (result.status === 'applied' && !wasFinished && executions.isFinished(executionId)) {
      followed.delete(executionId)
      options.onTurnEnded?.(executionId)
    }
  }

  function handleError(message: Extract<ServerMessage, { type: 'error' }>): void {
    const stream = currentStream()
    // Another stream's refusal (a second page's room on a shared socket) is not ours.
    if (message.stream && message.stream !== stream) return
    connection.lastServerError = message.message
    if (!stream || !roomId.value) return
    if (message.code === 'invalid_field' && message.fields?.cursor) {
      rooms.setStreamCursor(roomId.value, null)
      socket.resubscribeStream(stream)
    } else if (message.code && RETRIED.includes(message.code)) {
      clearRetry()
      retryTimer = setTimeout(() => {
        retryTimer = null
        const again = currentStream()
        if (again) socket.resubscribeStream(again)
      }, options.retryMs ?? 2_000)
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
      const id = roomOf(stream)
      return id ? rooms.streamCursor(id) : null
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
    roomId,
    (id, previous) => {
      clearRetry()
      if (previous) socket.unwatchStream(roomStream(previous))
      followed.clear()
      if (id) socket.watchStream(roomStream(id))
    },
    { immediate: true },
  )
  socket.connect()

  /** The stored events of a turn first (shown before the socket is up), then its stream's. */
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
    options.onPoll?.()
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
