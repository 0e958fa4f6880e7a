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
import { type Ref } from 'vue'
import type { ExecutionStatus, Uuid } from '@/api/types'
import { useExecutionsStore } from '@/stores/executions'
import { useThreadsStore } from '@/stores/threads'
import { isExecutionEvent, type ServerMessage } from './frames'
import { useStreamSubscription, type StreamSubscriptionOptions } from './streamSubscription'

export interface ThreadStreamOptions extends StreamSubscriptionOptions {
  /** A run of the thread was created or changed status. */
  onRunStatus?: (executionId: Uuid, status: ExecutionStatus) => void
  /** A run of the thread reached its terminal event. */
  onRunEnded?: (executionId: Uuid) => void
}

export function useThreadStream(threadId: Readonly<Ref<Uuid | null>>, options: ThreadStreamOptions = {}) {
  const executions = useExecutionsStore()
  const threads = useThreadsStore()

  function handleMessage(message: ServerMessage): void {
    const stream = subscription.currentStream()
    if (isExecutionEvent(message)) {
      if (!stream || message.stream !== stream) return
      if (message.cursor) threads.setStreamCursor(threadId.value!, message.cursor)
      const id = message.execution_id
      const wasFinished = executions.isFinished(id)
      // The replay of a run known to have ended, and not on screen: nothing to show, nothing to keep.
      if (wasFinished && !executions.logs[id]) return
      const result = executions.applyEvent(message)
      if (result.status === 'gap' && result.resubscribeFrom !== null) void subscription.refresh(id).catch(() => undefined)
      if (result.status === 'applied' && !wasFinished && executions.isFinished(id)) {
        subscription.followed.delete(id)
        options.onRunEnded?.(id)
      }
    } else if (message.type === 'execution_status') {
      if (!stream || message.stream !== stream) return
      executions.noteStatus(message.execution_id, message.status)
      options.onRunStatus?.(message.execution_id, message.status)
    }
  }

  const subscription = useStreamSubscription(threadId, {
    ...options,
    kind: 'thread',
    cursor: { get: (id) => threads.streamCursor(id), set: (id, cursor) => threads.setStreamCursor(id, cursor) },
    onMessage: handleMessage,
  })
  const { follow, unfollow, connection, socket } = subscription
  return { follow, unfollow, connection, socket }
}
