import { screen, waitFor, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import type { AgentServer, Queue, Worker } from '@/api/types'
import { renderView } from '@/test-utils/render'
import { server } from '@/test-utils/server'
import WorkersView from './WorkersView.vue'

const EXECUTION = '11111111-2222-4333-8444-555555555555'

function worker(overrides: Partial<Worker> = {}): Worker {
  const now = Date.now() / 1000
  return {
    name: 'box:4242',
    host: 'box',
    pid: 4242,
    pool: 'prefork',
    concurrency: 4,
    queues: ['celery', 'executions'],
    started_at: now - 600,
    last_heartbeat: now - 3,
    state: 'online',
    running: [{ id: EXECUTION, lease_expires_at: new Date(Date.now() + 30_000).toISOString() }],
    active_tasks: 1,
    ...overrides,
  }
}

const QUEUES: Queue[] = [
  { name: 'celery', depth: 2 },
  { name: 'executions', depth: null },
]
const SERVERS: AgentServer[] = [
  { url: 'http://agents:8080', reachable: true, latency_ms: 4.2, status: 'ok', runtimes: ['synthetic', 'chat'], active_runs: 1, error: '' },
  { url: 'http://spare:8080', reachable: false, latency_ms: null, status: null, runtimes: [], active_runs: null, error: 'Connection refused' },
]

function serve(workers: () => Worker[]) {
  const asked = { workers: 0 }
  server.use(
    http.get('/api/ops/workers/', () => {
      asked.workers += 1
      return HttpResponse.json(workers())
    }),
    http.get('/api/ops/queues/', () => HttpResponse.json(QUEUES)),
    http.get('/api/ops/agent-servers/', () => HttpResponse.json(SERVERS)),
  )
  return asked
}

describe('WorkersView', () => {
  it('lists the workers with what they run, their heartbeat and state, the queues and the agent servers', async () => {
    serve(() => [worker(), worker({ name: 'box:4243', pid: 4243, state: 'lost', last_heartbeat: Date.now() / 1000 - 125, running: [], active_tasks: null })])
    const { container } = await renderView(WorkersView, { path: '/workers', staff: true })

    const online = await screen.findByRole('row', { name: 'Worker box:4242' })
    expect(online).toHaveAttribute('data-state', 'online')
    expect(online).toHaveAttribute('data-pid', '4242')
    expect(within(online).getByText('Online')).toBeInTheDocument()
    expect(online).toHaveTextContent('prefork')
    expect(online).toHaveTextContent('celery, executions')
    expect(online).toHaveTextContent(/\d s ago/)
    expect(online).toHaveTextContent(/lease ends in \d+ s/)
    expect(online).toHaveTextContent('1 task in Celery')
    expect(within(online).getByRole('link', { name: '11111111' })).toHaveAttribute('href', `/executions/${EXECUTION}`)

    const lost = screen.getByRole('row', { name: 'Worker box:4243' })
    expect(lost).toHaveAttribute('data-state', 'lost')
    expect(within(lost).getByText('Lost')).toBeInTheDocument()
    expect(lost).toHaveTextContent('2 min ago')
    expect(lost).toHaveTextContent('none')
    expect(container.querySelector('[data-testid="worker-row"][data-pid="4243"]')).toBe(lost)
    expect(screen.getByText('2 workers, 1 lost')).toBeInTheDocument()

    const queues = screen.getByRole('table', { name: 'Queues' })
    expect(within(queues).getByRole('row', { name: 'Queue celery' })).toHaveTextContent('2')
    expect(within(queues).getByRole('row', { name: 'Queue executions' })).toHaveTextContent('unknown')

    const servers = screen.getByRole('table', { name: 'Agent servers' })
    const up = within(servers).getByRole('row', { name: 'Agent server http://agents:8080' })
    expect(up).toHaveTextContent('Yes')
    expect(up).toHaveTextContent('4.2 ms')
    expect(up).toHaveTextContent('synthetic, chat')
    const down = within(servers).getByRole('row', { name: 'Agent server http://spare:8080' })
    expect(down).toHaveTextContent('No')
    expect(down).toHaveTextContent('Connection refused')
  })

  it('reads the workers again while the page is open, and stops when it is left', async () => {
    let state: Worker['state'] = 'online'
    const asked = serve(() => [worker({ state })])
    const { unmount } = await renderView(WorkersView, { path: '/workers', staff: true, props: { pollMs: 20 } })
    expect(await screen.findByRole('row', { name: 'Worker box:4242' })).toHaveAttribute('data-state', 'online')
    state = 'lost'
    await waitFor(() => expect(screen.getByRole('row', { name: 'Worker box:4242' })).toHaveAttribute('data-state', 'lost'))
    unmount()
    const after = asked.workers
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(asked.workers).toBe(after)
  })

  it('tells a user who is not staff that the page is for staff, without asking the server', async () => {
    const asked = serve(() => [worker()])
    await renderView(WorkersView, { path: '/workers' })
    expect(screen.getByRole('status')).toHaveTextContent(/staff only/)
    expect(screen.queryByRole('table')).not.toBeInTheDocument()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(asked.workers).toBe(0)
  })

  it('shows a refusal in words', async () => {
    server.use(
      http.get('/api/ops/workers/', () => HttpResponse.json({ detail: 'You do not have permission to perform this action.' }, { status: 403 })),
      http.get('/api/ops/queues/', () => HttpResponse.json(QUEUES)),
      http.get('/api/ops/agent-servers/', () => HttpResponse.json(SERVERS)),
    )
    await renderView(WorkersView, { path: '/workers', staff: true })
    expect(await screen.findByRole('alert')).toHaveTextContent(/Could not load the workers/)
  })
})
