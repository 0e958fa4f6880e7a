import { fireEvent, screen, waitFor, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import type { Execution, ThreadMessage } from '@/api/types'
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
  it('streams the active run on the user socket, then shows the stored answer in its place', async () => {
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
    await waitFor(() =>
      expect(socket.framesOf('subscribe')).toEqual([{ action: 'subscribe', execution_id: EXEC_ID, after_seq: 1 }]),
    )

    socket.receive(ev.token(2, 'tok1 '))
    socket.receive(ev.toolCall(3, 'palette'))
    await nextTick()
    const streamed = screen.getByTestId('streamed-reply')
    expect(streamed).toHaveTextContent('tok1')
    expect(within(conversation()).getByText('(waiting for its result…)')).toBeInTheDocument()
    socket.receive(ev.toolResult(4, 'palette'))
    socket.receive(ev.token(5, 'tok2 '))
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
    socket.receive(ev.completed(6, { text: 'tok1 tok2 ' }))
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
    await waitFor(() =>
      expect(FakeSocket.last.framesOf('subscribe')).toEqual([{ action: 'subscribe', execution_id: EXEC_ID, after_seq: 0 }]),
    )
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
})
