import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { AGENT_ID, EXEC_ID } from '@/test-utils/events'
import { createFakeSocket, FakeSocket } from '@/test-utils/fakeSocket'
import type { RunStatusFrame } from './frames'
import { useRunsStream } from './useRunsStream'

const FRAME: RunStatusFrame = {
  type: 'execution_status',
  stream: 'runs',
  execution_id: EXEC_ID,
  agent_id: AGENT_ID,
  thread_id: null,
  room_id: null,
  status: 'running',
}

function setup() {
  const statuses: RunStatusFrame[] = []
  const onReconnect = vi.fn()
  const scope = effectScope()
  const stream = scope.run(() =>
    useRunsStream({
      onStatus: (frame) => statuses.push(frame),
      onReconnect,
      retryMs: 1_000,
      socket: { createSocket: createFakeSocket, random: () => 0 },
    }),
  )!
  return { stream, scope, statuses, onReconnect }
}

beforeEach(() => {
  FakeSocket.reset()
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('useRunsStream', () => {
  it("subscribes to the runs stream on the user socket and passes on its status frames only", () => {
    const { stream, statuses } = setup()
    expect(FakeSocket.last.url).toMatch(/\/ws\/$/)
    FakeSocket.last.open()
    expect(stream.connection.state).toBe('connected')
    expect(FakeSocket.last.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: 'runs' }])
    FakeSocket.last.receive(FRAME)
    FakeSocket.last.receive({ type: 'execution_status', execution_id: EXEC_ID, status: 'failed' })
    FakeSocket.last.receive({ type: 'execution_status', stream: 'thread:x', execution_id: EXEC_ID, status: 'failed' })
    expect(statuses).toEqual([FRAME])
  })

  it('subscribes again after a reconnect and asks for the page to be read again, not on the first connect', () => {
    const { onReconnect } = setup()
    FakeSocket.last.open()
    expect(onReconnect).not.toHaveBeenCalled()
    FakeSocket.last.serverClose(1006)
    vi.advanceTimersByTime(1)
    FakeSocket.last.open()
    expect(onReconnect).toHaveBeenCalledTimes(1)
    expect(FakeSocket.last.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: 'runs' }])
  })

  it('shows a refusal and tries again a moment later when the stream is unavailable', () => {
    const { stream } = setup()
    FakeSocket.last.open()
    FakeSocket.last.receive({ type: 'error', message: 'Try again later.', code: 'unavailable', stream: 'runs' })
    expect(stream.connection.lastServerError).toBe('Try again later.')
    vi.advanceTimersByTime(999)
    expect(FakeSocket.last.framesOf('subscribe')).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.last.framesOf('subscribe')).toHaveLength(2)
    // Another stream's complaint is not this page's.
    FakeSocket.last.receive({ type: 'error', message: 'No.', code: 'not_found', stream: 'thread:x' })
    expect(stream.connection.lastServerError).toBe('Try again later.')
  })

  it('unsubscribes and closes with its scope', () => {
    const { scope } = setup()
    const socket = FakeSocket.last
    socket.open()
    scope.stop()
    expect(socket.framesOf('unsubscribe')).toEqual([{ action: 'unsubscribe', stream: 'runs' }])
    expect(socket.closedWith).toBe(1000)
  })
})
