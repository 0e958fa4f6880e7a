import { http, HttpResponse } from 'msw'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, ref } from 'vue'
import { useExecutionsStore } from '@/stores/executions'
import { AGENT_ID, at, ev, EXEC_ID, execution } from '@/test-utils/events'
import { createFakeSocket, FakeSocket } from '@/test-utils/fakeSocket'
import { paginated, server } from '@/test-utils/server'
import { useAgentSocket, useUserSocket } from './useAgentSocket'

function setup() {
  const scope = effectScope()
  const socket = scope.run(() =>
    useAgentSocket(ref(AGENT_ID), { createSocket: createFakeSocket, random: () => 0 }),
  )!
  return { socket, scope }
}

beforeEach(() => {
  setActivePinia(createPinia())
  FakeSocket.reset()
  vi.useFakeTimers()
  // A finished execution's record is fetched again for its output.
  server.use(http.get(`/api/executions/${EXEC_ID}/`, () => HttpResponse.json(execution({ status: 'completed' }))))
})
afterEach(() => {
  vi.useRealTimers()
})

describe('useAgentSocket', () => {
  it('connects to the agent socket and returns the state of the connection', () => {
    const { socket, scope } = setup()
    expect(FakeSocket.last.url).toMatch(new RegExp(`/ws/agents/${AGENT_ID}/$`))
    expect(socket.connection.state).toBe('connecting')
    FakeSocket.last.open()
    expect(socket.connection.state).toBe('connected')
    FakeSocket.last.serverClose(1006)
    expect(socket.connection).toMatchObject({ state: 'reconnecting', detail: { closeCode: 1006 } })
    vi.advanceTimersByTime(1)
    expect(FakeSocket.instances).toHaveLength(2)
    scope.stop()
    expect(FakeSocket.last.closedWith).toBe(1000)
  })

  it('connects to the user socket for the executions of any agent', () => {
    const scope = effectScope()
    const socket = scope.run(() => useUserSocket({ createSocket: createFakeSocket, random: () => 0 }))!
    expect(FakeSocket.last.url).toMatch(/\/ws\/$/)
    FakeSocket.last.open()
    socket.watch(EXEC_ID)
    expect(FakeSocket.last.framesOf('subscribe')).toEqual([{ action: 'subscribe', execution_id: EXEC_ID, after_seq: 0 }])
    scope.stop()
    expect(FakeSocket.last.closedWith).toBe(1000)
  })

  it("keeps the state of each page's socket apart", () => {
    const first = setup()
    const second = setup()
    FakeSocket.instances[0]!.open()
    expect(first.socket.connection.state).toBe('connected')
    expect(second.socket.connection.state).toBe('connecting')
  })

  it('resubscribes from the last applied seq when an event arrives after a gap', () => {
    const { socket } = setup()
    const executions = useExecutionsStore()
    FakeSocket.last.open()
    socket.watch(EXEC_ID)
    const server = FakeSocket.last
    server.receive(ev.started(1))
    server.receive(ev.token(2, 'a'))
    server.receive(ev.token(5, 'd'))
    server.receive(ev.token(6, 'e'))
    expect(server.framesOf('subscribe')).toEqual([
      { action: 'subscribe', execution_id: EXEC_ID, after_seq: 0 },
      { action: 'subscribe', execution_id: EXEC_ID, after_seq: 2 },
    ])
    // The server replays 3..6; 5 and 6 arrive twice and count once.
    for (const event of [ev.token(3, 'b'), ev.token(4, 'c'), ev.token(5, 'd'), ev.token(6, 'e')]) server.receive(event)
    expect(executions.logs[EXEC_ID]!.text).toBe('abcde')
  })

  it('ends with every event exactly once across a reconnect', () => {
    const { socket } = setup()
    const executions = useExecutionsStore()
    socket.watch(EXEC_ID)
    FakeSocket.last.open()
    const all = [ev.started(1), ...Array.from({ length: 8 }, (_, i) => ev.token(i + 2, `t${i + 2} `)), ev.completed(10)]
    all.slice(0, 5).forEach((event) => FakeSocket.last.receive(event))
    FakeSocket.last.serverClose(1006)
    vi.advanceTimersByTime(1)
    const second = FakeSocket.last
    second.open()
    expect(second.framesOf('subscribe')).toEqual([{ action: 'subscribe', execution_id: EXEC_ID, after_seq: 5 }])
    // Replay overlaps what we had (the seam), then live events follow.
    all.slice(3).forEach((event) => second.receive(event))
    const log = executions.logs[EXEC_ID]!
    expect(log.events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(log.text).toBe('t2 t3 t4 t5 t6 t7 t8 t9 ')
    expect(log.status).toBe('completed')
  })

  it('applies the events of a requeued execution without asking for them again', () => {
    const { socket } = setup()
    const executions = useExecutionsStore()
    socket.watch(EXEC_ID)
    FakeSocket.last.open()
    const statuses: (string | null)[] = []
    for (const event of [
      ev.started(1),
      ev.requeued(2, 2, 'worker_lost'),
      ev.started(3, { attempt: 2 }),
      ev.token(4, 'Hi'),
      ev.completed(5),
    ]) {
      FakeSocket.last.receive(event)
      statuses.push(executions.logs[EXEC_ID]!.status)
    }
    expect(statuses).toEqual(['running', 'pending', 'running', 'running', 'completed'])
    expect(executions.logs[EXEC_ID]!.lastSeq).toBe(5)
    expect(FakeSocket.last.framesOf('subscribe')).toEqual([{ action: 'subscribe', execution_id: EXEC_ID, after_seq: 0 }])
  })

  it('unsubscribes from an execution once it has finished', () => {
    const { socket } = setup()
    socket.watch(EXEC_ID)
    FakeSocket.last.open()
    FakeSocket.last.receive(ev.started(1))
    FakeSocket.last.receive(ev.stopped(2))
    expect(FakeSocket.last.framesOf('unsubscribe')).toEqual([{ action: 'unsubscribe', execution_id: EXEC_ID }])
  })

  it('follows status changes the agent socket announces', async () => {
    setup()
    const executions = useExecutionsStore()
    executions.upsertExecution(execution({ status: 'pending' }))
    const asked: Record<string, string>[] = []
    server.use(
      http.get(`/api/executions/${EXEC_ID}/`, () => HttpResponse.json(execution({ status: 'running', started_at: at(50) }))),
      http.get('/api/executions/', ({ request }) => {
        asked.push(Object.fromEntries(new URL(request.url).searchParams))
        return HttpResponse.json(paginated([execution({ id: 'other', status: 'pending' })]))
      }),
    )
    FakeSocket.last.open()
    FakeSocket.last.receive({ type: 'execution_status', execution_id: EXEC_ID, status: 'running' })
    expect(executions.statusOf(EXEC_ID)).toBe('running')
    // Not followed here, so its start time comes from REST.
    await vi.waitFor(() => expect(executions.executions[EXEC_ID]!.started_at).toBe(at(50)))
    // One it does not know (started in another tab) refreshes the history.
    FakeSocket.last.receive({ type: 'execution_status', execution_id: 'other', status: 'pending' })
    await vi.waitFor(() => expect(executions.histories[AGENT_ID]?.ids).toEqual(['other']))
    expect(asked).toEqual([{ agent: AGENT_ID, page: '1', page_size: '10' }])
  })

  it('keeps the server error message for display', () => {
    const { socket } = setup()
    FakeSocket.last.open()
    FakeSocket.last.receive({ type: 'error', message: 'Unknown action.', code: 'unknown_action' })
    expect(socket.connection.lastServerError).toBe('Unknown action.')
  })
})
