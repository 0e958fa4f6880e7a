import { fireEvent, screen, waitFor } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { agent, AGENT_ID, ev, EXEC_ID, execution } from '@/test-utils/events'
import { FakeSocket } from '@/test-utils/fakeSocket'
import { renderView } from '@/test-utils/render'
import { paginated, server } from '@/test-utils/server'
import AgentDetailView from './AgentDetailView.vue'

const writer = agent({ config: { steps: 1, tokens: 3, delay_ms: 1, fail_at: null } })

beforeEach(() => {
  FakeSocket.reset()
  vi.stubGlobal('WebSocket', FakeSocket)
  server.use(
    http.get(`/api/agents/${AGENT_ID}/`, () => HttpResponse.json(writer)),
    http.get('/api/executions/', () => HttpResponse.json(paginated([]))),
    http.get(`/api/executions/${EXEC_ID}/events/`, () => HttpResponse.json({ results: [], next: null })),
    http.get(`/api/executions/${EXEC_ID}/`, () => HttpResponse.json(execution({ status: 'stopped' }))),
  )
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
    const created: unknown[] = []
    const stops: string[] = []
    server.use(
      http.post(`/api/agents/${AGENT_ID}/executions/`, async ({ request }) => {
        created.push(await request.json())
        return HttpResponse.json(execution({ status: 'pending' }), { status: 201 })
      }),
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

  it('shows reconnecting when the socket drops', async () => {
    await openPage()
    FakeSocket.last.serverClose(1006)
    expect(await screen.findByRole('status', { name: 'Live updates: Reconnecting…' })).toBeInTheDocument()
  })
})
