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
import { type Ref } from 'vue'
import type { Uuid } from '@/api/types'
import { useExecutionsStore } from '@/stores/executions'
import { useRoomsStore } from '@/stores/rooms'
import { isExecutionEvent, isRoomEvent, type RoomEvent, type ServerMessage } from './frames'
import { useStreamSubscription, type StreamSubscriptionOptions } from './streamSubscription'

export interface RoomStreamOptions extends StreamSubscriptionOptions {
  /** One of the room's own events, once the rooms store has taken it in. */
  onRoomEvent?: (event: RoomEvent) => void
  /** A turn of the room reached its terminal event here. */
  onTurnEnded?: (executionId: Uuid) => void
  /** Whether the page shows this turn: its replay is kept even though the turn had ended. */
  isShown?: (executionId: Uuid) => boolean
  /** Called every pollMs while the socket is down. */
  onPoll?: () => void
}

export function useRoomStream(roomId: Readonly<Ref<Uuid | null>>, options: RoomStreamOptions = {}) {
  const executions = useExecutionsStore()
  const rooms = useRoomsStore()

  function handleMessage(message: ServerMessage): void {
    const stream = subscription.currentStream()
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
    if (result.status === 'gap' && result.resubscribeFrom !== null) {
      void subscription.refresh(executionId).catch(() => undefined)
    }
    if (result.status === 'applied' && !wasFinished && executions.isFinished(executionId)) {
      subscription.followed.delete(executionId)
      options.onTurnEnded?.(executionId)
    }
  }

  const subscription = useStreamSubscription(roomId, {
    ...options,
    kind: 'room',
    cursor: { get: (id) => rooms.streamCursor(id), set: (id, cursor) => rooms.setStreamCursor(id, cursor) },
    onMessage: handleMessage,
    // Another stream's refusal (a second page's room on a shared socket) is not ours.
    ignoreOtherStreamsErrors: true,
  })
  const { follow, unfollow, connection, socket } = subscription
  return { follow, unfollow, connection, socket }
}
