import { screen, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { agent, AGENT_ID, at, ev, EXEC_ID, execution } from '@/test-utils/events'
import { FakeSocket } from '@/test-utils/fakeSocket'
import { renderView } from '@/test-utils/render'
import { server } from '@/test-utils/server'
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
})
