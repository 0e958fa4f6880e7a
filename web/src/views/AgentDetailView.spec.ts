import { fireEvent, screen, waitFor } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Agent, Execution } from '@/api/types'
import { agent, AGENT_ID, chatRuntime, ev, EXEC_ID, execution, runtime } from '@/test-utils/events'
import { FakeSocket } from '@/test-utils/fakeSocket'
import { renderView } from '@/test-utils/render'
import { paginated, server } from '@/test-utils/server'
import AgentDetailView from './AgentDetailView.vue'

const writer = agent({ config: { steps: 1, tokens: 3, delay_ms: 1, fail_at: null } })

/** The backend of one agent page: the agent, its history, the catalog, the events of EXEC_ID. */
function serve({ shown = writer, history = [] as Execution[] }: { shown?: Agent; history?: Execution[] } = {}) {
  server.use(
    http.get(`/api/agents/${AGENT_ID}/`, () => HttpResponse.json(shown)),
    http.get('/api/executions/', () => HttpResponse.json(paginated(history))),
    http.get('/api/runtimes/', () => HttpResponse.json([chatRuntime, runtime()])),
    http.get(`/api/executions/${EXEC_ID}/events/`, () => HttpResponse.json({ results: [], next: null })),
    http.get(`/api/executions/${EXEC_ID}/`, () => HttpResponse.json(execution({ status: 'stopped' }))),
  )
}

/** Answers a start with a pending EXEC_ID, or with `failure`; keeps the bodies sent. */
function acceptStarts(failure?: { status: number; body: Record<string, unknown> }) {
  const sent: unknown[] = []
  server.use(
    http.post(`/api/agents/${AGENT_ID}/executions/`, async ({ request }) => {
      sent.push(await request.json())
      if (failure) return HttpResponse.json(failure.body, { status: failure.status })
      return HttpResponse.json(execution({ status: 'pending', started_at: null }), { status: 201 })
    }),
  )
  return sent
}

beforeEach(() => {
  FakeSocket.reset()
  vi.stubGlobal('WebSocket', FakeSocket)
})
afterEach(() => {
  vi.unstubAllGlobals()
})

async function openPage() {
  await renderView(AgentDetailView, { path: `/agents/${AGENT_ID}`, props: { id: AGENT_ID } })
  await screen.findByRole('heading', { name: 'Writer' })
  FakeSocket.last.open()
  FakeSocket.last.receive({ type: 'connection', status: 'connected', agent_id: AGENT_ID })
  await screen.findByRole('status', { name: 'Live updates: Connected' })
}

describe('AgentDetailView', () => {
  it('runs the agent, streams its text live and stops it', async () => {
    serve()
    const created = acceptStarts()
    const stops: string[] = []
    server.use(
      http.post('/api/executions/:id/stop/', ({ params }) => {
        stops.push(String(params.id))
        return HttpResponse.json(execution({ status: 'running' }), { status: 202 })
      }),
    )
    await openPage()

    await fireEvent.update(screen.getByRole('textbox', { name: 'Input (JSON object)' }), '{"prompt": "go"}')
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    await waitFor(() => expect(created).toEqual([{ input_data: { prompt: 'go' } }]))
    await waitFor(() =>
      expect(FakeSocket.last.framesOf('subscribe')).toEqual([
        { action: 'subscribe', execution_id: EXEC_ID, after_seq: 0 },
      ]),
    )
    expect(screen.getByRole('button', { name: 'Stop' })).toBeEnabled()

    FakeSocket.last.receive(ev.started(1))
    FakeSocket.last.receive(ev.token(2, 'Once'))
    await waitFor(() => expect(screen.getByTestId('token-text')).toHaveTextContent('Once'))
    FakeSocket.last.receive(ev.token(3, ' upon'))
    await waitFor(() => expect(screen.getByTestId('token-text')).toHaveTextContent('Once upon'))

    await fireEvent.click(screen.getByRole('button', { name: 'Stop' }))
    await waitFor(() => expect(stops).toEqual([EXEC_ID]))
    await waitFor(() => expect(screen.getByRole('button', { name: 'Stopping…' })).toBeDisabled())

    FakeSocket.last.receive(ev.stopped(4))
    await waitFor(() => expect(screen.getByRole('button', { name: 'Stop' })).toBeDisabled())
    expect(screen.getByText(/Stopped: Stopped by user\./)).toBeInTheDocument()
  })

  it("starts from the example of a synthetic agent's runtime", async () => {
    serve()
    await openPage()
    const input = screen.getByRole('textbox', { name: 'Input (JSON object)' })
    expect(JSON.parse((input as HTMLTextAreaElement).value)).toEqual({ prompt: 'hello' })
  })

  it('after a reload mid-run, shows the input of the latest execution and follows it', async () => {
    const latest = execution({ status: 'running', input_data: { prompt: 'Tell a story' } })
    serve({ history: [latest] })
    await openPage()
    const input = await screen.findByRole('textbox', { name: 'Input (JSON object)' })
    expect(JSON.parse((input as HTMLTextAreaElement).value)).toEqual({ prompt: 'Tell a story' })
    await waitFor(() =>
      expect(FakeSocket.last.framesOf('subscribe')).toEqual([
        { action: 'subscribe', execution_id: EXEC_ID, after_seq: 0 },
      ]),
    )
    expect(screen.getByRole('button', { name: 'Stop' })).toBeEnabled()
  })

  it('gives a chat agent a message form prefilled from the example, and sends what is typed', async () => {
    serve({ shown: agent({ runtime: 'chat', config: {} }) })
    const sent = acceptStarts()
    await openPage()
    const message = screen.getByRole('textbox', { name: 'Message' })
    expect(message).toHaveValue('Hello! What can you do?')
    await fireEvent.update(message, 'Write me a haiku.')
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    await waitFor(() => expect(sent).toEqual([{ input_data: { message: 'Write me a haiku.' } }]))
  })

  it("puts the server's objection to an input next to its field", async () => {
    serve({ shown: agent({ runtime: 'chat', config: {} }) })
    acceptStarts({ status: 400, body: { input_data: { message: ['Enter some text, not only spaces.'] } } })
    await openPage()
    await fireEvent.update(screen.getByRole('textbox', { name: 'Message' }), '   ')
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    await waitFor(() =>
      expect(screen.getByRole('textbox', { name: 'Message' })).toHaveAccessibleDescription(
        /Enter some text, not only spaces\./,
      ),
    )
    expect(screen.getByRole('alert')).toHaveTextContent('Could not start: Please correct the highlighted fields.')
  })

  it('shows reconnecting when the socket drops', async () => {
    serve()
    await openPage()
    FakeSocket.last.serverClose(1006)
    expect(await screen.findByRole('status', { name: 'Live updates: Reconnecting…' })).toBeInTheDocument()
  })
})
