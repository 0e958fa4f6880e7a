import { delay, http, HttpResponse } from 'msw'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { EXEC_ID } from '@/test-utils/events'
import { EXEC_B, room, ROOM_ID, roomEv, roomMessage, turn } from '@/test-utils/rooms'
import { paginated, server } from '@/test-utils/server'
import { useRoomsStore } from './rooms'

beforeEach(() => {
  setActivePinia(createPinia())
})

describe('rooms store', () => {
  it('creates a room with its seats and puts it first on the first page', async () => {
    const posted: unknown[] = []
    server.use(
      http.get('/api/rooms/', () => HttpResponse.json(paginated([room({ id: 'older', name: 'Older' })]))),
      http.post('/api/rooms/', async ({ request }) => {
        posted.push(await request.json())
        return HttpResponse.json(room(), { status: 201 })
      }),
    )
    const store = useRoomsStore()
    await store.fetchPage(1)
    const input = {
      name: 'Story time',
      task: 'Write',
      mode: 'parallel' as const,
      max_rounds: 2,
      seats: [{ agent: 'a', instructions: 'Be brief.' }, { agent: 'b' }],
    }
    await store.createRoom(input)
    expect(posted).toEqual([input])
    expect(store.page!.results.map((item) => item.name)).toEqual(['Story time', 'Older'])
    expect(store.page!.count).toBe(2)
  })

  it('sends the actions and keeps their answers; a pause may be at once', async () => {
    const calls: [string, unknown][] = []
    const answer = (status: 'running' | 'paused' | 'stopped', extra = {}) =>
      async ({ request }: { request: Request }) => {
        calls.push([new URL(request.url).pathname, await request.json().catch(() => null)])
        return HttpResponse.json(room({ status, round: 1, ...extra }))
      }
    server.use(
      http.post(`/api/rooms/${ROOM_ID}/start/`, answer('running')),
      http.post(`/api/rooms/${ROOM_ID}/pause/`, answer('running', { pause_requested: true })),
      http.post(`/api/rooms/${ROOM_ID}/resume/`, answer('running')),
      http.post(`/api/rooms/${ROOM_ID}/stop/`, answer('stopped')),
    )
    const store = useRoomsStore()
    await store.startRoom(ROOM_ID, 'Another task')
    expect(store.byId[ROOM_ID]!.status).toBe('running')
    await store.pauseRoom(ROOM_ID)
    expect(store.byId[ROOM_ID]!.pause_requested).toBe(true)
    await store.pauseRoom(ROOM_ID, true)
    await store.resumeRoom(ROOM_ID)
    await store.stopRoom(ROOM_ID)
    expect(store.byId[ROOM_ID]!.status).toBe('stopped')
    expect(calls).toEqual([
      [`/api/rooms/${ROOM_ID}/start/`, { task: 'Another task' }],
      [`/api/rooms/${ROOM_ID}/pause/`, {}],
      [`/api/rooms/${ROOM_ID}/pause/`, { pause_now: true }],
      [`/api/rooms/${ROOM_ID}/resume/`, null],
      [`/api/rooms/${ROOM_ID}/stop/`, null],
    ])
  })

  it('drops the answer of a fetch overtaken by a later one, and never takes an ended room back', async () => {
    let answers = 0
    server.use(
      http.get(`/api/rooms/${ROOM_ID}/`, async () => {
        answers += 1
        // The first fetch is answered last, with what it read before the pause.
        if (answers === 1) {
          await delay(50)
          return HttpResponse.json(room({ status: 'running', round: 1 }))
        }
        return HttpResponse.json(room({ status: 'paused', round: 1 }))
      }),
    )
    const store = useRoomsStore()
    await Promise.all([store.fetchRoom(ROOM_ID), store.fetchRoom(ROOM_ID)])
    expect(store.byId[ROOM_ID]!.status).toBe('paused')

    store.applyEvent(ROOM_ID, roomEv.completed(9, 1))
    expect(store.byId[ROOM_ID]!.status).toBe('completed')
    server.use(http.get(`/api/rooms/${ROOM_ID}/`, () => HttpResponse.json(room({ status: 'running', round: 1 }))))
    await store.fetchRoom(ROOM_ID)
    expect(store.byId[ROOM_ID]!.status).toBe('completed')
  })

  it("reads every page of a room's messages and turns, and moves the turns with the stream", async () => {
    server.use(
      http.get(`/api/rooms/${ROOM_ID}/messages/`, ({ request }) => {
        const page = new URL(request.url).searchParams.get('page')
        return page === '1'
          ? HttpResponse.json(paginated([roomMessage()], { next: 'http://testserver/next' }))
          : HttpResponse.json(paginated([roomMessage({ role: 'assistant', content: 'Once upon a time' })]))
      }),
      http.get(`/api/rooms/${ROOM_ID}/turns/`, () => HttpResponse.json(paginated([turn({ status: 'completed' })]))),
    )
    const store = useRoomsStore()
    expect((await store.fetchMessages(ROOM_ID)).map((message) => message.content)).toEqual([
      'Write a short story together.',
      'Once upon a time',
    ])
    await store.fetchTurns(ROOM_ID)
    expect(store.turnEnded(ROOM_ID, EXEC_ID)).toBe(true)
    expect(store.turnEnded(ROOM_ID, EXEC_B)).toBe(false)
    store.applyEvent(ROOM_ID, roomEv.turnStarted(5, 1, 1, EXEC_B))
    expect(store.turns[ROOM_ID]!.map((item) => [item.seat, item.status])).toEqual([
      [0, 'completed'],
      [1, 'pending'],
    ])
    store.applyEvent(ROOM_ID, roomEv.turnCompleted(9, 1, 1, EXEC_B, 'failed'))
    expect(store.turnEnded(ROOM_ID, EXEC_B)).toBe(true)
  })

  it("keeps each room's stream cursor and takes each room_seq once", () => {
    const store = useRoomsStore()
    expect(store.streamCursor(ROOM_ID)).toBeNull()
    store.setStreamCursor(ROOM_ID, '7')
    expect(store.streamCursor(ROOM_ID)).toBe('7')
    expect(store.noteSeq(ROOM_ID, 1)).toBe(true)
    expect(store.noteSeq(ROOM_ID, 2)).toBe(true)
    expect(store.noteSeq(ROOM_ID, 2)).toBe(false)
    expect(store.noteSeq(ROOM_ID, 1)).toBe(false)
    expect(store.lastSeq(ROOM_ID)).toBe(2)
    expect(store.noteSeq('other', 1)).toBe(true)
    store.setStreamCursor(ROOM_ID, null)
    expect(store.streamCursor(ROOM_ID)).toBeNull()
  })

  it('deletes a room from the list', async () => {
    server.use(
      http.get('/api/rooms/', () => HttpResponse.json(paginated([room()]))),
      http.delete(`/api/rooms/${ROOM_ID}/`, () => new HttpResponse(null, { status: 204 })),
    )
    const store = useRoomsStore()
    await store.fetchPage(1)
    await store.deleteRoom(ROOM_ID)
    expect(store.page!.results).toEqual([])
    expect(store.byId[ROOM_ID]).toBeUndefined()
  })
})
