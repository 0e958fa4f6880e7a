import { fireEvent, screen, waitFor, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import type { Execution, ThreadMessage } from '@/api/types'
import type { ExecutionEvent } from '@/realtime/frames'
import { agent, AGENT_ID, ev, EXEC_ID, execution, interrupt, message, thread, THREAD_ID } from '@/test-utils/events'
import { FakeSocket } from '@/test-utils/fakeSocket'
import { renderView } from '@/test-utils/render'
import { paginated, server } from '@/test-utils/server'
import ThreadView from './ThreadView.vue'

/** The backend of one thread: its runs, messages and interrupts as the spec sets them. */
function backend({ runs = [] as Execution[], messages = [] as ThreadMessage[], open = [] as ReturnType<typeof interrupt>[] } = {}) {
  const state = { runs, messages, open, events: [] as ReturnType<typeof ev.started>[] }
  server.use(
    http.get('/api/executions/', ({ request }) => {
      expect(new URL(request.url).searchParams.get('thread')).toBe(THREAD_ID)
      return HttpResponse.json(paginated(state.runs))
    }),
    http.get(`/api/executions/${EXEC_ID}/`, () => HttpResponse.json(state.runs[0] ?? execution({ thread: THREAD_ID }))),
    http.get(`/api/executions/${EXEC_ID}/events/`, () => HttpResponse.json({ results: state.events, next: null })),
    http.get(`/api/threads/${THREAD_ID}/`, () => HttpResponse.json(thread())),
    http.get(`/api/threads/${THREAD_ID}/messages/`, () => HttpResponse.json(paginated(state.messages))),
    http.get('/api/interrupts/', ({ request }) =>
      HttpResponse.json(paginated(new URL(request.url).searchParams.get('open') ? state.open : [])),
    ),
    http.get(`/api/agents/${AGENT_ID}/`, () => HttpResponse.json(agent({ name: 'Painter' }))),
  )
  return state
}

const STREAM = `thread:${THREAD_ID}`
const EXEC2 = '55555555-5555-4555-8555-555555555555'

/** An event as the thread's stream carries it: with the stream's name and a cursor right after it. */
function onStream(event: ExecutionEvent) {
  return { ...event, stream: STREAM, cursor: `c-${event.execution_id}-${event.seq}` }
}

/** The second run of the thread: its record and its stored events. */
function secondRun(record: () => Execution, events: () => ExecutionEvent[] = () => []) {
  server.use(
    http.get(`/api/executions/${EXEC2}/`, () => HttpResponse.json(record())),
    http.get(`/api/executions/${EXEC2}/events/`, () => HttpResponse.json({ results: events(), next: null })),
  )
}

function conversation() {
  return screen.getByRole('log', { name: 'Conversation' })
}

beforeEach(() => {
  FakeSocket.reset()
  vi.stubGlobal('WebSocket', FakeSocket)
})
afterEach(() => {
  vi.unstubAllGlobals()
})

describe('ThreadView', () => {
  it("streams the active run from the thread's stream on the user socket, then shows the stored answer in its place", async () => {
    const state = backend({
      runs: [execution({ thread: THREAD_ID, status: 'running', last_seq: 1 })],
      messages: [message({ content: 'Paint me something' })],
    })
    state.events = [ev.started(1)]
    await renderView(ThreadView, { path: `/threads/${THREAD_ID}`, props: { id: THREAD_ID } })
    await screen.findByText('Paint me something')
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1))
    const socket = FakeSocket.last
    expect(socket.url).toMatch(/\/ws\/$/)
    socket.open()
    await waitFor(() => expect(socket.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: STREAM }]))

    // The stream starts with the thread's first run: what REST already brought is dropped.
    socket.receive(onStream(ev.started(1)))
    socket.receive(onStream(ev.token(2, 'tok1 ')))
    socket.receive(onStream(ev.toolCall(3, 'palette')))
    await nextTick()
    const streamed = screen.getByTestId('streamed-reply')
    expect(streamed).toHaveTextContent('tok1')
    expect(within(conversation()).getByText('(waiting for its result…)')).toBeInTheDocument()
    socket.receive(onStream(ev.toolResult(4, 'palette')))
    socket.receive(onStream(ev.token(5, 'tok2 ')))
    await nextTick()
    expect(streamed).toHaveTextContent('tok1 tok2')
    expect(within(conversation()).queryByText('(waiting for its result…)')).not.toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Stop' })).toBeEnabled()

    state.messages = [
      ...state.messages,
      message({ role: 'tool', content: 'ok', data: { tool: 'palette', arguments: { q: 'x' }, result: 'ok' } }),
      message({ role: 'assistant', content: 'tok1 tok2 ' }),
    ]
    state.runs = [execution({ thread: THREAD_ID, status: 'completed', last_seq: 6 })]
    socket.receive(onStream(ev.completed(6, { text: 'tok1 tok2 ' })))
    await waitFor(() => expect(screen.queryByTestId('streamed-reply')).not.toBeInTheDocument())
    expect(within(conversation()).getByText('tok1 tok2')).toBeInTheDocument()
    expect(within(conversation()).getByText('palette')).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Stop' })).not.toBeInTheDocument()
  })

  it('posts a message and follows the run that answers it', async () => {
    const state = backend()
    const posted: unknown[] = []
    server.use(
      http.post(`/api/threads/${THREAD_ID}/messages/`, async ({ request }) => {
        posted.push(await request.json())
        const run = execution({ thread: THREAD_ID, status: 'pending', started_at: null })
        state.runs = [run]
        return HttpResponse.json({ message: message({ content: 'Hi there' }), execution: run }, { status: 201 })
      }),
    )
    await renderView(ThreadView, { path: `/threads/${THREAD_ID}`, props: { id: THREAD_ID } })
    await screen.findByText('No messages yet. Say hello below.')
    const box = screen.getByRole('textbox', { name: 'Message' })
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }))
    expect(screen.getByText('Write a message first.')).toBeInTheDocument()

    await fireEvent.update(box, 'Hi there')
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }))
    await within(conversation()).findByText('Hi there')
    expect(posted).toEqual([{ content: 'Hi there' }])
    await waitFor(() => expect(box).toHaveValue(''))
    expect(await screen.findByText('Thinking…')).toBeInTheDocument()
    // A thread that refuses a second run takes no message while this one runs.
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled()
    FakeSocket.last.open()
    // The thread's stream brings the posted run's events: no subscription of its own.
    await waitFor(() => expect(FakeSocket.last.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: STREAM }]))
    FakeSocket.last.receive(onStream(ev.started(1)))
    FakeSocket.last.receive(onStream(ev.token(2, 'Hello back')))
    await waitFor(() => expect(screen.getByTestId('streamed-reply')).toHaveTextContent('Hello back'))
  })

  it('shows the question a run waits on once, as a card, and lets the composer answer it', async () => {
    const state = backend({
      runs: [execution({ thread: THREAD_ID, status: 'waiting_input', last_seq: 2 })],
      messages: [
        message({ content: 'Paint me something' }),
        message({ role: 'assistant', content: 'Which colour?', data: { interrupt: interrupt().id, question: 'Which colour?' } }),
      ],
      open: [interrupt({ thread: THREAD_ID })],
    })
    state.events = [ev.started(1), ev.interrupted(2)]
    await renderView(ThreadView, { path: `/threads/${THREAD_ID}`, props: { id: THREAD_ID } })
    const card = await screen.findByRole('region', { name: 'Question from the agent' })
    expect(card).toHaveTextContent('Which colour?')
    expect(within(conversation()).queryByText('Which colour?')).not.toBeInTheDocument()
    expect(screen.getByText('Sending a message answers the question.')).toBeInTheDocument()
    expect(screen.getAllByText('Waiting for input').length).toBeGreaterThan(0)
    expect(screen.getByRole('button', { name: 'Send' })).toBeEnabled()

    // The message answers the question: the same run goes on.
    server.use(
      http.post(`/api/threads/${THREAD_ID}/messages/`, () =>
        HttpResponse.json(
          { message: message({ content: 'red', data: { answers: interrupt().id } }), execution: state.runs[0] },
          { status: 201 },
        ),
      ),
    )
    await fireEvent.update(screen.getByRole('textbox', { name: 'Message' }), 'red')
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }))
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Question from the agent' })).not.toBeInTheDocument())
    expect(within(conversation()).getByText('Which colour?')).toBeInTheDocument()
    expect(within(conversation()).getByText('red').closest('li')).toHaveTextContent('You answered')
    expect(FakeSocket.instances).toHaveLength(1)
  })

  it('resumes the stream from the last cursor after a reconnect, without duplicates or gaps', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const state = backend({ runs: [execution({ thread: THREAD_ID, status: 'running', last_seq: 1 })] })
    state.events = [ev.started(1)]
    await renderView(ThreadView, { path: `/threads/${THREAD_ID}`, props: { id: THREAD_ID } })
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1))
    const first = FakeSocket.last
    first.open()
    first.receive(onStream(ev.started(1)))
    first.receive(onStream(ev.token(2, 'one ')))
    first.receive(onStream(ev.token(3, 'two ')))
    await waitFor(() => expect(screen.getByTestId('streamed-reply')).toHaveTextContent('one two'))

    first.serverClose(1006)
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(2))
    const second = FakeSocket.last
    second.open()
    expect(second.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: STREAM, cursor: `c-${EXEC_ID}-3` }])
    // Defensively: an event seen already is dropped even if the server sends it again.
    second.receive(onStream(ev.token(3, 'two ')))
    second.receive(onStream(ev.token(4, 'three')))
    await waitFor(() => expect(screen.getByTestId('streamed-reply').querySelector('.bubble')).toHaveTextContent(/^one two three$/))
    expect(screen.getByTestId('streamed-reply')).toHaveAttribute('data-last-seq', '4')
    vi.restoreAllMocks()
  })

  it('follows two consecutive runs on the one subscription', async () => {
    const state = backend({
      runs: [execution({ thread: THREAD_ID, status: 'running', last_seq: 1 })],
      messages: [message({ content: 'First question' })],
    })
    state.events = [ev.started(1)]
    const next = execution({ id: EXEC2, thread: THREAD_ID, status: 'pending', started_at: null })
    secondRun(() => next)
    await renderView(ThreadView, { path: `/threads/${THREAD_ID}`, props: { id: THREAD_ID } })
    await screen.findByText('First question')
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1))
    const socket = FakeSocket.last
    socket.open()
    socket.receive(onStream(ev.token(2, 'first answer')))
    await waitFor(() => expect(screen.getByTestId('streamed-reply')).toHaveTextContent('first answer'))

    // The first run ends: its answer is stored, and the second one (queued behind it) is next.
    state.messages = [
      ...state.messages,
      message({ role: 'assistant', content: 'first answer' }),
      message({ content: 'Second question', execution: EXEC2 }),
    ]
    state.runs = [next, execution({ thread: THREAD_ID, status: 'completed', last_seq: 3 })]
    socket.receive(onStream(ev.completed(3, { text: 'first answer' })))
    await within(conversation()).findByText('Second question')
    expect(within(conversation()).getByText('first answer')).toBeInTheDocument()
    await screen.findByRole('link', { name: EXEC2.slice(0, 8) })

    socket.receive(onStream(ev.started(1, { executionId: EXEC2 })))
    socket.receive(onStream(ev.token(2, 'second answer', { executionId: EXEC2 })))
    await waitFor(() => expect(screen.getByTestId('streamed-reply')).toHaveTextContent('second answer'))
    expect(screen.getByTestId('streamed-reply')).not.toHaveTextContent('first answer')
    expect(socket.framesOf('subscribe')).toHaveLength(1)
    expect(FakeSocket.instances).toHaveLength(1)
  })

  it('shows a run started elsewhere as soon as the stream announces it, without a new subscribe', async () => {
    const state = backend({ messages: [message({ content: 'Earlier' }), message({ role: 'assistant', content: 'Earlier answer' })] })
    const run = execution({ id: EXEC2, thread: THREAD_ID, status: 'pending', started_at: null })
    secondRun(() => run)
    await renderView(ThreadView, { path: `/threads/${THREAD_ID}`, props: { id: THREAD_ID } })
    await screen.findByText('Earlier answer')
    expect(screen.queryByRole('button', { name: 'Stop' })).not.toBeInTheDocument()
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1))
    const socket = FakeSocket.last
    socket.open()

    // Another tab posted a message: the stream tells of its run, then brings its events.
    state.messages = [...state.messages, message({ content: 'From the other tab', execution: EXEC2 })]
    state.runs = [run]
    socket.receive({ type: 'execution_status', execution_id: EXEC2, status: 'pending', stream: STREAM })
    expect(await screen.findByText('Thinking…')).toBeInTheDocument()
    expect(await screen.findByRole('button', { name: 'Stop' })).toBeEnabled()
    socket.receive(onStream(ev.started(1, { executionId: EXEC2 })))
    socket.receive(onStream(ev.token(2, 'Hello from afar', { executionId: EXEC2 })))
    await waitFor(() => expect(screen.getByTestId('streamed-reply')).toHaveTextContent('Hello from afar'))
    expect(socket.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: STREAM }])

    // Its end refreshes the stored conversation.
    state.messages = [...state.messages, message({ role: 'assistant', content: 'Hello from afar', execution: EXEC2 })]
    state.runs = [{ ...run, status: 'completed' }]
    socket.receive(onStream(ev.completed(3, { text: 'Hello from afar' }, { executionId: EXEC2 })))
    await within(conversation()).findByText('From the other tab')
    await waitFor(() => expect(screen.queryByTestId('streamed-reply')).not.toBeInTheDocument())
    expect(within(conversation()).getByText('Hello from afar')).toBeInTheDocument()
  })

  it("replays the thread's ended runs from its first one without showing them or fetching the messages again", async () => {
    const state = backend({
      runs: [
        execution({ thread: THREAD_ID, status: 'running', last_seq: 1 }),
        execution({ id: EXEC2, thread: THREAD_ID, status: 'completed', last_seq: 3 }),
      ],
      messages: [message({ content: 'Old question', execution: EXEC2 }), message({ role: 'assistant', content: 'Old answer', execution: EXEC2 })],
    })
    state.events = [ev.started(1)]
    let messageFetches = 0
    server.use(
      http.get(`/api/threads/${THREAD_ID}/messages/`, () => {
        messageFetches += 1
        return HttpResponse.json(paginated(state.messages))
      }),
    )
    await renderView(ThreadView, { path: `/threads/${THREAD_ID}`, props: { id: THREAD_ID } })
    await screen.findByText('Old answer')
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1))
    const socket = FakeSocket.last
    socket.open()
    socket.receive(onStream(ev.started(1, { executionId: EXEC2 })))
    socket.receive(onStream(ev.token(2, 'Old answer', { executionId: EXEC2 })))
    socket.receive(onStream(ev.completed(3, { text: 'Old answer' }, { executionId: EXEC2 })))
    socket.receive(onStream(ev.started(1)))
    socket.receive(onStream(ev.token(2, 'New answer')))
    await waitFor(() => expect(screen.getByTestId('streamed-reply')).toHaveTextContent('New answer'))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(screen.getByTestId('streamed-reply')).not.toHaveTextContent('Old answer')
    expect(messageFetches).toBe(1)
  })

  it('takes the stream from its start again when the server refuses the cursor, and retries when it is unavailable', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    backend()
    await renderView(ThreadView, { path: `/threads/${THREAD_ID}`, props: { id: THREAD_ID } })
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(1))
    const socket = FakeSocket.last
    socket.open()
    socket.receive({ type: 'error', code: 'unavailable', message: 'Live updates are unavailable.' })
    expect(socket.framesOf('subscribe')).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(socket.framesOf('subscribe')).toEqual([
      { action: 'subscribe', stream: STREAM },
      { action: 'subscribe', stream: STREAM },
    ])
    socket.receive({ type: 'error', code: 'invalid_field', message: 'Bad cursor.', fields: { cursor: ['Not a cursor.'] } })
    expect(socket.framesOf('subscribe')).toHaveLength(3)
    vi.useRealTimers()
  })
})
