import { fireEvent, screen, waitFor, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Room, RoomMessage, RoomTurn } from '@/api/types'
import type { ExecutionEvent } from '@/realtime/frames'
import { ev, EXEC_ID } from '@/test-utils/events'
import { FakeSocket } from '@/test-utils/fakeSocket'
import { renderView } from '@/test-utils/render'
import { answer, EXEC_B, inRoom, room, ROOM_ID, ROOM_STREAM, roomEv, roomMessage, turn } from '@/test-utils/rooms'
import { paginated, server } from '@/test-utils/server'
import RoomView from './RoomView.vue'

/** The backend of one room: its record, messages, turns and its turns' stored events, as the spec sets them. */
function backend(initial: { room?: Room; messages?: RoomMessage[]; turns?: RoomTurn[] } = {}) {
  const state = {
    room: initial.room ?? room(),
    messages: initial.messages ?? [],
    turns: initial.turns ?? [],
    events: {} as Record<string, ExecutionEvent[]>,
    posted: [] as [string, unknown][],
  }
  const action = (name: string) =>
    http.post(`/api/rooms/${ROOM_ID}/${name}/`, async ({ request }) => {
      state.posted.push([name, await request.json().catch(() => null)])
      return HttpResponse.json(state.room)
    })
  server.use(
    http.get(`/api/rooms/${ROOM_ID}/`, () => HttpResponse.json(state.room)),
    http.get(`/api/rooms/${ROOM_ID}/messages/`, () => HttpResponse.json(paginated(state.messages))),
    http.get(`/api/rooms/${ROOM_ID}/turns/`, () => HttpResponse.json(paginated(state.turns))),
    http.get('/api/executions/:id/events/', ({ params }) =>
      HttpResponse.json({ results: state.events[params.id as string] ?? [], next: null }),
    ),
    action('start'),
    action('pause'),
    action('resume'),
    action('stop'),
  )
  return state
}

async function open(path = `/rooms/${ROOM_ID}`) {
  const result = await renderView(RoomView, { path, props: { id: ROOM_ID } })
  await screen.findByRole('heading', { name: 'Story time', level: 1 })
  await waitFor(() => expect(FakeSocket.instances).toHaveLength(1))
  const socket = FakeSocket.last
  socket.open()
  return { ...result, socket }
}

function seatItem(name: string) {
  return within(screen.getByRole('list', { name: 'Seats' })).getByRole('listitem', { name })
}

function turnOf(agent: string, round: number) {
  return screen.getByRole('article', { name: `Turn of ${agent}, round ${round}` })
}

function conversation() {
  return screen.getByRole('log', { name: 'Conversation' })
}

function button(name: string) {
  return within(screen.getByRole('form', { name: 'Room controls' })).getByRole('button', { name })
}

beforeEach(() => {
  FakeSocket.reset()
  vi.stubGlobal('WebSocket', FakeSocket)
})
afterEach(() => {
  vi.unstubAllGlobals()
})

describe('RoomView', () => {
  it('streams the running turn, shows its stored answer labelled by agent and round, and moves to the next seat', async () => {
    const state = backend({
      room: room({ status: 'running', round: 1 }),
      messages: [roomMessage()],
      turns: [turn({ status: 'running' })],
    })
    state.events[EXEC_ID] = [ev.started(1)]
    const { socket } = await open()
    expect(socket.url).toMatch(/\/ws\/$/)
    expect(socket.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: ROOM_STREAM }])
    expect(within(conversation()).getByText('Task')).toBeInTheDocument()
    expect(screen.getByTestId('room-round')).toHaveTextContent('Round 1 of 2')
    await waitFor(() => expect(seatItem('Seat 1: Writer')).toHaveTextContent('Running'))
    expect(seatItem('Seat 2: Critic')).toHaveTextContent('Idle')

    // The room's stream from its start: what REST brought already is dropped.
    socket.receive(roomEv.started(1))
    socket.receive(roomEv.turnStarted(2, 0, 1, EXEC_ID))
    socket.receive(inRoom(3, ev.started(1)))
    socket.receive(inRoom(4, ev.token(2, 'Once ')))
    socket.receive(inRoom(5, ev.token(3, 'upon ')))
    await waitFor(() => expect(within(turnOf('Writer', 1)).getByTestId('token-text')).toHaveTextContent('Once upon'))

    // The turn ends: its answer joins the room, and the next seat's turn starts.
    state.messages = [...state.messages, answer(0, 1, 'Once upon ', EXEC_ID)]
    state.turns = [turn({ status: 'completed' }), turn({ seat: 1, execution: EXEC_B, agent: state.room.seats[1]!.agent })]
    socket.receive(inRoom(6, ev.completed(4, { text: 'Once upon ' })))
    socket.receive(roomEv.turnCompleted(7, 0, 1, EXEC_ID))
    socket.receive(roomEv.turnStarted(8, 1, 1, EXEC_B))
    socket.receive(inRoom(9, ev.started(1, { executionId: EXEC_B })))
    socket.receive(inRoom(10, ev.token(2, 'Nice start. ', { executionId: EXEC_B })))
    await waitFor(() => expect(screen.queryByRole('article', { name: 'Turn of Writer, round 1' })).not.toBeInTheDocument())
    const stored = within(conversation()).getByText('Once upon').closest('li')!
    expect(stored).toHaveTextContent('Writer · round 1')
    await waitFor(() => expect(within(turnOf('Critic', 1)).getByTestId('token-text')).toHaveTextContent('Nice start.'))
    expect(seatItem('Seat 1: Writer')).toHaveTextContent('Done')
    expect(seatItem('Seat 2: Critic')).toHaveTextContent('Running')
    expect(screen.getAllByRole('region', { name: 'Live log' })).toHaveLength(1)
  })

  it('streams every seat of a parallel round at once, each in its own turn, until the round joins their answers', async () => {
    const state = backend({ room: room({ mode: 'parallel', status: 'running', round: 1 }), messages: [roomMessage()] })
    const { socket } = await open()
    socket.receive(roomEv.started(1, 'parallel'))
    socket.receive(roomEv.turnStarted(2, 0, 1, EXEC_ID))
    socket.receive(roomEv.turnStarted(3, 1, 1, EXEC_B))
    socket.receive(inRoom(4, ev.started(1)))
    socket.receive(inRoom(5, ev.started(1, { executionId: EXEC_B })))
    socket.receive(inRoom(6, ev.token(2, 'a1 ')))
    socket.receive(inRoom(7, ev.token(2, 'b1 ', { executionId: EXEC_B })))
    socket.receive(inRoom(8, ev.token(3, 'a2 ')))
    socket.receive(inRoom(9, ev.token(3, 'b2 ', { executionId: EXEC_B })))
    await waitFor(() => expect(within(turnOf('Writer', 1)).getByTestId('token-text')).toHaveTextContent(/^a1 a2$/))
    await waitFor(() => expect(within(turnOf('Critic', 1)).getByTestId('token-text')).toHaveTextContent(/^b1 b2$/))
    expect(seatItem('Seat 1: Writer')).toHaveTextContent('Running')
    expect(seatItem('Seat 2: Critic')).toHaveTextContent('Running')

    // The first seat is done and its text stays while the other still runs; the second fails.
    socket.receive(inRoom(10, ev.completed(4, { text: 'a1 a2 ' })))
    socket.receive(roomEv.turnCompleted(11, 0, 1, EXEC_ID))
    await waitFor(() => expect(seatItem('Seat 1: Writer')).toHaveTextContent('Done'))
    expect(within(turnOf('Writer', 1)).getByTestId('token-text')).toHaveTextContent('a1 a2')
    socket.receive(inRoom(12, ev.error(4, 'Synthetic failure at event 4', 'synthetic_failure', { executionId: EXEC_B })))
    socket.receive(roomEv.turnCompleted(13, 1, 1, EXEC_B, 'failed'))
    await waitFor(() => expect(seatItem('Seat 2: Critic')).toHaveTextContent('Failed'))
    expect(within(turnOf('Critic', 1)).getByRole('alert')).toHaveTextContent('Synthetic failure at event 4')

    // The round ends: the answers join the room in seat order, and round 2 begins.
    state.messages = [...state.messages, answer(0, 1, 'a1 a2 ', EXEC_ID)]
    state.room = room({ mode: 'parallel', status: 'running', round: 2 })
    socket.receive(roomEv.roundCompleted(14, 1, [1]))
    await within(conversation()).findByText('a1 a2')
    await waitFor(() => expect(screen.getByTestId('room-round')).toHaveTextContent('Round 2 of 2'))
    expect(screen.queryByRole('article')).not.toBeInTheDocument()
    expect(seatItem('Seat 1: Writer')).toHaveTextContent('Idle')
  })

  it('enables the controls by status and sends them: start with the task, pause, resume and stop', async () => {
    const state = backend({ room: room({ task: '' }) })
    await open()
    expect(button('Start')).toBeEnabled()
    for (const name of ['Pause', 'Resume', 'Stop']) expect(button(name)).toBeDisabled()

    // No task yet: the server says so beside the box.
    server.use(
      http.post(`/api/rooms/${ROOM_ID}/start/`, () =>
        HttpResponse.json({ task: ['Say what the agents are to do.'] }, { status: 400 }),
      ),
    )
    await fireEvent.click(button('Start'))
    expect(await screen.findByText('Say what the agents are to do.')).toBeInTheDocument()
    expect(screen.getByRole('textbox', { name: 'Task' })).toHaveAttribute('aria-invalid', 'true')

    backend({ room: room({ task: '' }) })
    state.room = room({ status: 'running', round: 1, task: 'Tell a tale' })
    server.use(
      http.post(`/api/rooms/${ROOM_ID}/start/`, async ({ request }) => {
        state.posted.push(['start', await request.json()])
        return HttpResponse.json(state.room)
      }),
      http.get(`/api/rooms/${ROOM_ID}/`, () => HttpResponse.json(state.room)),
      http.post(`/api/rooms/${ROOM_ID}/pause/`, async ({ request }) => {
        state.posted.push(['pause', await request.json()])
        state.room = { ...state.room, pause_requested: true }
        return HttpResponse.json(state.room)
      }),
      http.post(`/api/rooms/${ROOM_ID}/resume/`, () => {
        state.posted.push(['resume', null])
        state.room = { ...state.room, status: 'running', pause_requested: false }
        return HttpResponse.json(state.room)
      }),
      http.post(`/api/rooms/${ROOM_ID}/stop/`, () => {
        state.posted.push(['stop', null])
        state.room = { ...state.room, status: 'stopped', end_reason: 'stopped' }
        return HttpResponse.json(state.room)
      }),
    )
    await fireEvent.update(screen.getByRole('textbox', { name: 'Task' }), 'Tell a tale')
    await fireEvent.click(button('Start'))
    await waitFor(() => expect(button('Pause')).toBeEnabled())
    expect(button('Start')).toBeDisabled()
    expect(button('Resume')).toBeDisabled()
    expect(button('Stop')).toBeEnabled()
    expect(screen.getByRole('status', { name: /Live updates/ })).toBeInTheDocument()

    // A pause waits for the running turns; until then, resuming cancels it.
    await fireEvent.click(button('Pause'))
    expect(await screen.findByText('Pausing once the running turns have ended…')).toBeInTheDocument()
    // The buttons wait for the action's answer to be taken in.
    await waitFor(() => expect(button('Resume')).toBeEnabled())
    expect(button('Pause')).toBeDisabled()
    await fireEvent.click(button('Resume'))
    await waitFor(() => expect(button('Pause')).toBeEnabled())

    await fireEvent.click(screen.getByRole('checkbox', { name: /At once/ }))
    await fireEvent.click(button('Pause'))
    await waitFor(() => expect(button('Resume')).toBeEnabled())
    await fireEvent.click(button('Stop'))
    expect(await screen.findByText('Stopped by a person.')).toBeInTheDocument()
    for (const name of ['Start', 'Pause', 'Resume', 'Stop']) expect(button(name)).toBeDisabled()
    expect(state.posted).toEqual([
      ['start', { task: 'Tell a tale' }],
      ['pause', {}],
      ['resume', null],
      ['pause', { pause_now: true }],
      ['stop', null],
    ])
  })

  it('follows a pause and a resume told by the stream, and says why a refused action was refused', async () => {
    const state = backend({ room: room({ status: 'running', round: 1 }), messages: [roomMessage()] })
    const { socket } = await open()
    state.room = room({ status: 'paused', round: 1 })
    socket.receive(roomEv.paused(3, 1))
    await waitFor(() => expect(button('Resume')).toBeEnabled())
    expect(screen.getAllByText('Paused').length).toBeGreaterThan(0)
    expect(button('Pause')).toBeDisabled()

    server.use(
      http.post(`/api/rooms/${ROOM_ID}/resume/`, () =>
        HttpResponse.json({ detail: 'The room is completed: only a paused room resumes.', code: 'room_state' }, { status: 409 }),
      ),
    )
    await fireEvent.click(button('Resume'))
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not resume: The room is completed: only a paused room resumes.')

    state.room = room({ status: 'running', round: 1 })
    socket.receive(roomEv.resumed(4, 1))
    await waitFor(() => expect(button('Pause')).toBeEnabled())
  })

  it('resumes the stream from the last cursor after a reconnect, without duplicates', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const state = backend({ room: room({ status: 'running', round: 1 }), messages: [roomMessage()], turns: [turn()] })
    state.events[EXEC_ID] = [ev.started(1)]
    const { socket } = await open()
    socket.receive(inRoom(3, ev.started(1)))
    socket.receive(inRoom(4, ev.token(2, 'one ')))
    socket.receive(inRoom(5, ev.token(3, 'two ')))
    await waitFor(() => expect(within(turnOf('Writer', 1)).getByTestId('token-text')).toHaveTextContent('one two'))

    socket.serverClose(1006)
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(2))
    const second = FakeSocket.last
    second.open()
    expect(second.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: ROOM_STREAM, cursor: '5' }])
    second.receive(inRoom(5, ev.token(3, 'two ')))
    second.receive(inRoom(6, ev.token(4, 'three')))
    await waitFor(() => expect(within(turnOf('Writer', 1)).getByTestId('token-text')).toHaveTextContent(/^one two three$/))
    vi.restoreAllMocks()
  })

  it('shows an ended room as stored: its conversation, why it ended, and no control to use', async () => {
    backend({
      room: room({ status: 'completed', round: 2, end_reason: 'max_rounds' }),
      messages: [roomMessage(), answer(0, 1, 'First', EXEC_ID), answer(1, 1, 'Second', EXEC_B)],
      turns: [turn({ status: 'completed' }), turn({ seat: 1, execution: EXEC_B, status: 'completed' })],
    })
    const { socket } = await open()
    // The stream replays the room from its start: its ended turns are not shown again.
    socket.receive(roomEv.started(1))
    socket.receive(roomEv.turnStarted(2, 0, 1, EXEC_ID))
    socket.receive(inRoom(3, ev.started(1)))
    socket.receive(inRoom(4, ev.token(2, 'First')))
    expect(within(conversation()).getByText('Second').closest('li')).toHaveTextContent('Critic · round 1')
    expect(screen.getByText('Every round was played.')).toBeInTheDocument()
    expect(screen.getAllByText('Completed').length).toBeGreaterThan(0)
    for (const name of ['Start', 'Pause', 'Resume', 'Stop']) expect(button(name)).toBeDisabled()
    expect(screen.queryByRole('article')).not.toBeInTheDocument()
    expect(screen.queryByRole('status', { name: /Live updates/ })).not.toBeInTheDocument()
  })

  it('deletes the room after a confirmation', async () => {
    backend()
    server.use(http.delete(`/api/rooms/${ROOM_ID}/`, () => new HttpResponse(null, { status: 204 })))
    server.use(http.get('/api/rooms/', () => HttpResponse.json(paginated([]))), http.get('/api/agents/', () => HttpResponse.json(paginated([]))))
    const { router } = await open()
    await fireEvent.click(screen.getByRole('button', { name: 'Delete room' }))
    await fireEvent.click(screen.getByRole('button', { name: 'Yes, delete' }))
    await waitFor(() => expect(router.currentRoute.value.name).toBe('rooms'))
  })
})
