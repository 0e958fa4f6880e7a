// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createFakeSocket, FakeSocket } from '@/test-utils/fakeSocket'
import { AgentSocket, agentSocketUrl, type AgentSocketOptions, type ConnectionState } from './agentSocket'

const URL = 'ws://127.0.0.1/ws/agents/a1/'

function makeSocket(overrides: Partial<AgentSocketOptions> = {}) {
  const states: ConnectionState[] = []
  const delays: (number | undefined)[] = []
  const messages: unknown[] = []
  const lastSeqs: Record<string, number> = {}
  const socket = new AgentSocket({
    url: URL,
    createSocket: createFakeSocket,
    random: () => 0.5,
    lastSeq: (id) => lastSeqs[id] ?? 0,
    onMessage: (message) => messages.push(message),
    onStateChange: (state, detail) => {
      states.push(state)
      if (state === 'reconnecting' && detail.retryInMs !== undefined) delays.push(detail.retryInMs)
    },
    ...overrides,
  })
  return { socket, states, delays, messages, lastSeqs }
}

beforeEach(() => {
  FakeSocket.reset()
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('AgentSocket', () => {
  it('builds ws: or wss: urls from the page protocol', () => {
    expect(agentSocketUrl('a1', { protocol: 'http:', host: 'localhost:8000' })).toBe('ws://localhost:8000/ws/agents/a1/')
    expect(agentSocketUrl('a1', { protocol: 'https:', host: 'example.org' })).toBe('wss://example.org/ws/agents/a1/')
  })

  it('reports connecting, then connected, and passes server messages on', () => {
    const { socket, states, messages } = makeSocket()
    socket.connect()
    expect(states).toEqual(['connecting'])
    FakeSocket.last.open()
    FakeSocket.last.receive({ type: 'connection', status: 'connected', agent_id: 'a1' })
    expect(states).toEqual(['connecting', 'connected'])
    expect(messages).toEqual([{ type: 'connection', status: 'connected', agent_id: 'a1' }])
  })

  it('ignores frames that are not JSON objects', () => {
    const { socket, messages } = makeSocket()
    socket.connect()
    FakeSocket.last.open()
    FakeSocket.last.receive('not json {')
    FakeSocket.last.receive('42')
    expect(messages).toEqual([])
  })

  it('grows the reconnect delay exponentially with jitter, up to the cap', () => {
    const { socket, delays } = makeSocket({ random: () => 0.999, backoff: { baseMs: 500, capMs: 10_000 } })
    socket.connect()
    for (let i = 0; i < 8; i++) {
      FakeSocket.last.serverClose(1006)
      vi.runOnlyPendingTimers()
    }
    expect(delays).toEqual([499, 999, 1998, 3996, 7992, 9990, 9990, 9990])
    expect(FakeSocket.instances).toHaveLength(9)
  })

  it('draws each delay at random between zero and the ceiling (full jitter)', () => {
    const draws = [0, 0.25, 0.75]
    const { socket, delays } = makeSocket({ random: () => draws.shift() ?? 0 })
    socket.connect()
    for (let i = 0; i < 3; i++) {
      FakeSocket.last.serverClose(1006)
      vi.runOnlyPendingTimers()
    }
    expect(delays).toEqual([0, 250, 1500])
  })

  it('waits out the backoff before the next attempt', () => {
    const { socket } = makeSocket({ random: () => 0.5 })
    socket.connect()
    FakeSocket.last.serverClose(1006)
    expect(FakeSocket.instances).toHaveLength(1)
    vi.advanceTimersByTime(249)
    expect(FakeSocket.instances).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.instances).toHaveLength(2)
  })

  it('resets the backoff once a new connection hears from the server', () => {
    const { socket, delays } = makeSocket({ random: () => 0.999 })
    socket.connect()
    FakeSocket.last.serverClose(1006)
    vi.runOnlyPendingTimers()
    FakeSocket.last.serverClose(1006)
    vi.runOnlyPendingTimers()
    FakeSocket.last.open()
    FakeSocket.last.receive({ type: 'connection', status: 'connected', agent_id: 'a1' })
    FakeSocket.last.serverClose(1006)
    expect(delays).toEqual([499, 999, 499])
  })

  it('resubscribes every watched execution from its last seq after a reconnect', () => {
    const { socket, lastSeqs } = makeSocket()
    socket.watch('e1')
    socket.watch('e2')
    socket.connect()
    FakeSocket.last.open()
    expect(FakeSocket.last.framesOf('subscribe')).toEqual([
      { action: 'subscribe', execution_id: 'e1', after_seq: 0 },
      { action: 'subscribe', execution_id: 'e2', after_seq: 0 },
    ])

    lastSeqs.e1 = 17
    lastSeqs.e2 = 4
    FakeSocket.last.serverClose(1012)
    vi.runOnlyPendingTimers()
    const second = FakeSocket.last
    expect(second).not.toBe(FakeSocket.instances[0])
    expect(second.sent).toEqual([])
    second.open()
    expect(second.framesOf('subscribe')).toEqual([
      { action: 'subscribe', execution_id: 'e1', after_seq: 17 },
      { action: 'subscribe', execution_id: 'e2', after_seq: 4 },
    ])
  })

  it("resubscribes a watched stream from its last cursor after a reconnect, and not once it is unwatched", () => {
    const cursors: Record<string, string> = {}
    const { socket } = makeSocket({ streamCursor: (stream) => cursors[stream] ?? null })
    socket.watchStream('thread:t1')
    socket.connect()
    FakeSocket.last.open()
    expect(FakeSocket.last.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: 'thread:t1' }])

    cursors['thread:t1'] = '123:e2:7'
    FakeSocket.last.serverClose(1006)
    vi.runOnlyPendingTimers()
    FakeSocket.last.open()
    expect(FakeSocket.last.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: 'thread:t1', cursor: '123:e2:7' }])

    socket.unwatchStream('thread:t1')
    expect(FakeSocket.last.framesOf('unsubscribe')).toEqual([{ action: 'unsubscribe', stream: 'thread:t1' }])
    FakeSocket.last.serverClose(1006)
    vi.runOnlyPendingTimers()
    FakeSocket.last.open()
    expect(FakeSocket.last.framesOf('subscribe')).toEqual([])
  })

  it('stops resubscribing an execution once it is unwatched', () => {
    const { socket } = makeSocket()
    socket.connect()
    FakeSocket.last.open()
    socket.watch('e1')
    socket.unwatch('e1')
    expect(FakeSocket.last.frames).toEqual([
      { action: 'subscribe', execution_id: 'e1', after_seq: 0 },
      { action: 'unsubscribe', execution_id: 'e1' },
    ])
    FakeSocket.last.serverClose(1006)
    vi.runOnlyPendingTimers()
    FakeSocket.last.open()
    expect(FakeSocket.last.framesOf('subscribe')).toEqual([])
  })

  it('sends a ping every 5 seconds while connected', () => {
    const { socket } = makeSocket()
    socket.connect()
    FakeSocket.last.open()
    vi.advanceTimersByTime(4_999)
    expect(FakeSocket.last.framesOf('ping')).toHaveLength(0)
    FakeSocket.last.receive({ type: 'pong' })
    vi.advanceTimersByTime(1)
    expect(FakeSocket.last.framesOf('ping')).toHaveLength(1)
    FakeSocket.last.receive({ type: 'pong' })
    vi.advanceTimersByTime(5_000)
    expect(FakeSocket.last.framesOf('ping')).toHaveLength(2)
  })

  it('keeps a socket that answers its pings', () => {
    const { socket, states } = makeSocket()
    socket.connect()
    FakeSocket.last.open()
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(5_000)
      FakeSocket.last.receive({ type: 'pong' })
    }
    expect(FakeSocket.instances).toHaveLength(1)
    expect(FakeSocket.last.closedWith).toBeNull()
    expect(states.at(-1)).toBe('connected')
  })

  it('takes a silent socket for dead after 10 seconds, closes it and reconnects', () => {
    const { socket, states } = makeSocket({ random: () => 0 })
    socket.connect()
    const first = FakeSocket.last
    first.open()
    first.receive({ type: 'connection', status: 'connected', agent_id: 'a1' })
    vi.advanceTimersByTime(9_999)
    expect(first.closedWith).toBeNull()
    vi.advanceTimersByTime(1)
    expect(first.closedWith).toBe(4000)
    expect(states.at(-1)).toBe('reconnecting')
    // A zero delay still takes a tick of the fake clock.
    vi.advanceTimersByTime(1)
    expect(FakeSocket.instances).toHaveLength(2)
    // A late close event of the dead socket must not start yet another attempt.
    first.onclose?.({ code: 1006 })
    vi.runOnlyPendingTimers()
    expect(FakeSocket.instances).toHaveLength(2)
  })

  it('gives up on a connect attempt that never opens', () => {
    const { socket } = makeSocket({ random: () => 0 })
    socket.connect()
    vi.advanceTimersByTime(10_000)
    expect(FakeSocket.instances[0]!.closedWith).toBe(4000)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.instances).toHaveLength(2)
  })

  it('goes offline without retrying when the server refuses the login or the agent', () => {
    for (const code of [4001, 4003]) {
      FakeSocket.reset()
      const { socket, states } = makeSocket()
      socket.connect()
      FakeSocket.last.open()
      FakeSocket.last.serverClose(code)
      vi.runAllTimers()
      expect(states.at(-1)).toBe('offline')
      expect(FakeSocket.instances).toHaveLength(1)
    }
  })

  it('reports offline while the browser is offline, and retries at once when it is back', () => {
    let online = false
    const { socket, states } = makeSocket({ isOnline: () => online, random: () => 0.999 })
    socket.connect()
    FakeSocket.last.open()
    FakeSocket.last.serverClose(1006)
    expect(states.at(-1)).toBe('offline')
    online = true
    socket.reconnectNow()
    expect(FakeSocket.instances).toHaveLength(2)
    expect(states.at(-1)).toBe('reconnecting')
  })

  it('closes for good when asked, with no reconnect and no stray timers', () => {
    const { socket, states } = makeSocket()
    socket.connect()
    FakeSocket.last.open()
    socket.close()
    expect(FakeSocket.last.closedWith).toBe(1000)
    expect(states.at(-1)).toBe('offline')
    vi.runAllTimers()
    expect(FakeSocket.instances).toHaveLength(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('does not send frames while disconnected', () => {
    const { socket } = makeSocket()
    socket.connect()
    expect(socket.send({ action: 'ping' })).toBe(false)
    FakeSocket.last.open()
    expect(socket.send({ action: 'ping' })).toBe(true)
  })
})
