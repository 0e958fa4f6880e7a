import { http, HttpResponse } from 'msw'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, ref } from 'vue'
import { useExecutionsStore } from '@/stores/executions'
import { useRoomsStore } from '@/stores/rooms'
import { ev, EXEC_ID } from '@/test-utils/events'
import { createFakeSocket, FakeSocket } from '@/test-utils/fakeSocket'
import { EXEC_B, inRoom, room, ROOM_ID, ROOM_STREAM, roomEv, turn } from '@/test-utils/rooms'
import { paginated, server } from '@/test-utils/server'
import type { RoomEvent } from './frames'
import { useRoomStream, type RoomStreamOptions } from './useRoomStream'

function setup(options: RoomStreamOptions = {}) {
  const scope = effectScope()
  const roomEvents: RoomEvent[] = []
  const stream = scope.run(() =>
    useRoomStream(ref(ROOM_ID), {
      onRoomEvent: (event) => roomEvents.push(event),
      ...options,
      socket: { createSocket: createFakeSocket, random: () => 0 },
    }),
  )!
  return { stream, scope, roomEvents, socket: () => FakeSocket.last }
}

beforeEach(() => {
  setActivePinia(createPinia())
  FakeSocket.reset()
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('useRoomStream', () => {
  it("subscribes to the room's stream on the user socket and resumes from the last cursor after a reconnect", () => {
    const { scope, socket } = setup()
    expect(socket().url).toMatch(/\/ws\/$/)
    socket().open()
    expect(socket().framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: ROOM_STREAM }])
    socket().receive(roomEv.started(1))
    socket().receive(roomEv.turnStarted(2, 0, 1, EXEC_ID))
    socket().receive(inRoom(3, ev.started(1)))
    socket().serverClose(1006)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.instances).toHaveLength(2)
    socket().open()
    expect(socket().framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: ROOM_STREAM, cursor: '3' }])
    scope.stop()
    expect(socket().closedWith).toBe(1000)
  })

  it("takes the room's events to the rooms store and its turns' events to the executions store, each once", () => {
    const { scope, socket, roomEvents } = setup()
    const rooms = useRoomsStore()
    const executions = useExecutionsStore()
    rooms.byId[ROOM_ID] = room()
    socket().open()
    socket().receive(roomEv.started(1, 'parallel'))
    socket().receive(roomEv.turnStarted(2, 0, 1, EXEC_ID))
    socket().receive(roomEv.turnStarted(3, 1, 1, EXEC_B))
    // Both seats' turns at once, their events interleaved in the room's order.
    socket().receive(inRoom(4, ev.started(1)))
    socket().receive(inRoom(5, ev.started(1, { executionId: EXEC_B })))
    socket().receive(inRoom(6, ev.token(2, 'a1 ')))
    socket().receive(inRoom(7, ev.token(2, 'b1 ', { executionId: EXEC_B })))
    socket().receive(inRoom(8, ev.token(3, 'a2 ')))
    // Sent again (a replay over a new subscription): dropped by room_seq.
    socket().receive(inRoom(8, ev.token(3, 'a2 ')))
    socket().receive(roomEv.turnStarted(3, 1, 1, EXEC_B))
    expect(executions.logs[EXEC_ID]!.text).toBe('a1 a2 ')
    expect(executions.logs[EXEC_B]!.text).toBe('b1 ')
    expect(roomEvents.map((event) => event.type)).toEqual(['room_started', 'turn_started', 'turn_started'])
    expect(rooms.byId[ROOM_ID]).toMatchObject({ status: 'running', round: 1 })
    expect(rooms.turns[ROOM_ID]!.map((item) => item.execution)).toEqual([EXEC_ID, EXEC_B])
    expect(rooms.lastSeq(ROOM_ID)).toBe(8)
    expect(rooms.streamCursor(ROOM_ID)).toBe('8')
    scope.stop()
  })

  it("ignores another stream's messages and errors", () => {
    const { scope, socket, stream } = setup()
    const executions = useExecutionsStore()
    socket().open()
    socket().receive({ ...inRoom(1, ev.started(1)), stream: 'room:someone-else' })
    socket().receive({ ...ev.started(1), stream: 'thread:abc', cursor: 'x' })
    socket().receive({ type: 'error', code: 'not_found', message: 'No such room.', stream: 'room:someone-else' })
    expect(executions.logs[EXEC_ID]).toBeUndefined()
    expect(stream.connection.lastServerError).toBeNull()
    socket().receive({ type: 'error', code: 'not_found', message: 'No such room.', stream: ROOM_STREAM })
    expect(stream.connection.lastServerError).toBe('No such room.')
    scope.stop()
  })

  it('skips the replay of a turn that had ended before, unless the page shows it', async () => {
    server.use(
      http.get(`/api/rooms/${ROOM_ID}/turns/`, () =>
        HttpResponse.json(paginated([turn({ status: 'completed' }), turn({ seat: 1, execution: EXEC_B, status: 'completed' })])),
      ),
    )
    const shown = new Set([EXEC_B])
    const { scope, socket } = setup({ isShown: (id) => shown.has(id) })
    const executions = useExecutionsStore()
    await useRoomsStore().fetchTurns(ROOM_ID)
    socket().open()
    socket().receive(inRoom(1, ev.started(1)))
    socket().receive(inRoom(2, ev.token(2, 'old ')))
    socket().receive(inRoom(3, ev.started(1, { executionId: EXEC_B })))
    socket().receive(inRoom(4, ev.token(2, 'shown ', { executionId: EXEC_B })))
    expect(executions.logs[EXEC_ID]).toBeUndefined()
    expect(executions.logs[EXEC_B]!.text).toBe('shown ')
    scope.stop()
  })

  it('tells when a turn ends, and fills a gap in its events from REST', async () => {
    server.use(
      http.get(`/api/executions/${EXEC_ID}/events/`, () =>
        HttpResponse.json({ results: [ev.started(1), ev.token(2, 'a ')], next: null }),
      ),
    )
    const ended: string[] = []
    const { scope, socket } = setup({ onTurnEnded: (id) => ended.push(id) })
    const executions = useExecutionsStore()
    socket().open()
    // Subscribed after the turn's first events (a page opened mid-turn, with a cursor).
    socket().receive(inRoom(5, ev.token(3, 'b ')))
    await vi.waitFor(() => expect(executions.logs[EXEC_ID]!.text).toBe('a b '))
    socket().receive(inRoom(6, ev.completed(4, { text: 'a b ' })))
    expect(ended).toEqual([EXEC_ID])
    scope.stop()
  })

  it('takes the stream from its start when the server refuses the cursor, and retries when it is unavailable', () => {
    const { scope, socket } = setup()
    const rooms = useRoomsStore()
    socket().open()
    socket().receive(roomEv.started(1))
    socket().receive({ type: 'error', code: 'invalid_field', message: 'Not a cursor.', fields: { cursor: ['Not a cursor.'] }, stream: ROOM_STREAM })
    expect(rooms.streamCursor(ROOM_ID)).toBeNull()
    expect(socket().framesOf('subscribe')).toEqual([
      { action: 'subscribe', stream: ROOM_STREAM },
      { action: 'subscribe', stream: ROOM_STREAM },
    ])
    // The replay from the start brings nothing twice.
    socket().receive(roomEv.started(1))
    expect(rooms.lastSeq(ROOM_ID)).toBe(1)
    socket().receive({ type: 'error', code: 'unavailable', message: 'Live updates are unavailable.', stream: ROOM_STREAM })
    expect(socket().framesOf('subscribe')).toHaveLength(2)
    vi.advanceTimersByTime(2_000)
    expect(socket().framesOf('subscribe')).toHaveLength(3)
    scope.stop()
  })

  it('polls the followed turns and the room over REST while the socket is down', async () => {
    let fetches = 0
    server.use(
      http.get(`/api/executions/${EXEC_ID}/events/`, ({ request }) => {
        fetches += 1
        const after = Number(new URL(request.url).searchParams.get('after_seq'))
        return HttpResponse.json({ results: after === 0 ? [ev.started(1)] : [ev.token(2, 'x ')].filter((e) => e.seq > after), next: null })
      }),
    )
    let polls = 0
    const { scope, stream } = setup({ onPoll: () => (polls += 1), pollMs: 1_000 })
    await stream.follow(EXEC_ID)
    expect(fetches).toBe(1)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(polls).toBe(1)
    await vi.waitFor(() => expect(useExecutionsStore().logs[EXEC_ID]!.text).toBe('x '))
    FakeSocket.last.open()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(polls).toBe(1)
    scope.stop()
  })
})
