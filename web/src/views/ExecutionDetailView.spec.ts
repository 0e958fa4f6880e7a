import { screen, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { agent, AGENT_ID, at, ev, EXEC_ID, execution, INTERRUPT_ID, interrupt } from '@/test-utils/events'
import { FakeSocket } from '@/test-utils/fakeSocket'
import { renderView } from '@/test-utils/render'
import { paginated, server } from '@/test-utils/server'
import ExecutionDetailView from './ExecutionDetailView.vue'

beforeEach(() => {
  FakeSocket.reset()
  vi.stubGlobal('WebSocket', FakeSocket)
})
afterEach(() => {
  vi.unstubAllGlobals()
})

describe('ExecutionDetailView', () => {
  it('shows the attempt of an execution that was started again, and why', async () => {
    const events = [
      ev.started(1, { ms: 0 }),
      ev.requeued(2, 2, 'worker_lost', { ms: 30_000 }),
      ev.started(3, { ms: 31_000, attempt: 2 }),
      ev.token(4, 'Hi', { ms: 31_500 }),
      ev.completed(5, { text: 'Hi' }, { ms: 32_000 }),
    ]
    server.use(
      http.get(`/api/executions/${EXEC_ID}/`, () =>
        HttpResponse.json(
          execution({ status: 'completed', attempt: 2, started_at: at(31_000), completed_at: at(32_000), last_seq: 5 }),
        ),
      ),
      http.get(`/api/executions/${EXEC_ID}/events/`, () => HttpResponse.json({ results: events, next: null })),
      http.get(`/api/agents/${AGENT_ID}/`, () => HttpResponse.json(agent())),
    )
    await renderView(ExecutionDetailView, { path: `/executions/${EXEC_ID}`, props: { id: EXEC_ID } })
    await screen.findByText('Starting again (attempt 2): The worker running this execution stopped responding.')
    expect(screen.getByText('Attempt').nextElementSibling).toHaveTextContent('2 (started again, see the log)')
    expect(screen.getByText('Duration').nextElementSibling).toHaveTextContent('1.00 s')
    const log = screen.getByRole('log', { name: 'Events' })
    expect(within(log).getByText('Started (attempt 2)')).toBeInTheDocument()
    expect(screen.getByRole('region', { name: 'Live log' })).toHaveAttribute('data-status', 'completed')
  })

  it('shows no attempt for an execution that ran once', async () => {
    server.use(
      http.get(`/api/executions/${EXEC_ID}/`, () => HttpResponse.json(execution({ status: 'completed', last_seq: 2 }))),
      http.get(`/api/executions/${EXEC_ID}/events/`, () =>
        HttpResponse.json({ results: [ev.started(1), ev.completed(2)], next: null }),
      ),
      http.get(`/api/agents/${AGENT_ID}/`, () => HttpResponse.json(agent())),
    )
    await renderView(ExecutionDetailView, { path: `/executions/${EXEC_ID}`, props: { id: EXEC_ID } })
    await screen.findByText('Started')
    expect(screen.queryByText('Attempt')).not.toBeInTheDocument()
  })

  it('shows the open question, and that it was answered elsewhere once the run is resumed', async () => {
    server.use(
      http.get(`/api/executions/${EXEC_ID}/`, () => HttpResponse.json(execution({ status: 'waiting_input', last_seq: 2 }))),
      http.get(`/api/executions/${EXEC_ID}/events/`, () =>
        HttpResponse.json({ results: [ev.started(1), ev.interrupted(2)], next: null }),
      ),
      http.get('/api/interrupts/', ({ request }) => {
        const query = new URL(request.url).searchParams
        expect(Object.fromEntries(query)).toEqual({ execution: EXEC_ID, open: 'true' })
        return HttpResponse.json(paginated([interrupt()]))
      }),
      http.get(`/api/agents/${AGENT_ID}/`, () => HttpResponse.json(agent())),
    )
    await renderView(ExecutionDetailView, { path: `/executions/${EXEC_ID}`, props: { id: EXEC_ID } })
    const card = await screen.findByRole('region', { name: 'Question from the agent' })
    expect(within(card).getByRole('button', { name: 'red' })).toBeInTheDocument()
    expect(screen.getAllByText('Waiting for input').length).toBeGreaterThan(0)
    expect(screen.getByRole('button', { name: 'Stop' })).toBeEnabled()

    // Another tab answers; this one hears of it from the resume.
    server.use(
      http.get(`/api/interrupts/${INTERRUPT_ID}/`, () =>
        HttpResponse.json(interrupt({ status: 'answered', answer: 'red', answered_by: 'grace', answered_at: at(50) })),
      ),
    )
    FakeSocket.last.open()
    FakeSocket.last.receive(ev.resumed(3))
    expect(await within(card).findByRole('status')).toHaveTextContent('Answered elsewhere by grace: red')
    expect(within(card).queryByRole('button', { name: 'red' })).not.toBeInTheDocument()
    expect(screen.getByText('Answered; resumed.')).toBeInTheDocument()
  })
})
