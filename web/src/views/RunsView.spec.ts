import { fireEvent, screen, waitFor, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { BulkResult, Run, RunPage } from '@/api/types'
import { agent, AGENT_ID, at, execution, runtime, THREAD_ID } from '@/test-utils/events'
import { FakeSocket } from '@/test-utils/fakeSocket'
import { renderView } from '@/test-utils/render'
import { paginated, server } from '@/test-utils/server'
import RunsView from './RunsView.vue'

const RUN_A = 'aaaaaaaa-0000-4000-8000-000000000001'
const RUN_B = 'bbbbbbbb-0000-4000-8000-000000000002'
const RUN_C = 'cccccccc-0000-4000-8000-000000000003'

function run(id: string, overrides: Partial<Run> = {}): Run {
  return { ...execution({ id }), agent_name: 'Writer', runtime: 'synthetic', ...overrides }
}

function runPage(results: Run[], extra: Partial<RunPage> = {}): RunPage {
  return { results, next: null, previous: null, count: results.length, count_limit: 10_000, ...extra }
}

/** The backend: every GET /api/runs/ query is kept, and answered by `answer`. */
function backend(answer: (query: URLSearchParams) => RunPage | Response) {
  const queries: URLSearchParams[] = []
  server.use(
    http.get('/api/runs/', ({ request }) => {
      const query = new URL(request.url).searchParams
      queries.push(query)
      const result = answer(query)
      return result instanceof Response ? result : HttpResponse.json(result)
    }),
    http.get('/api/agents/', () => HttpResponse.json(paginated([agent(), agent({ id: 'other-agent', name: 'Critic' })]))),
    http.get('/api/runtimes/', () => HttpResponse.json([runtime(), runtime({ name: 'chat' })])),
  )
  return queries
}

async function open(path = '/runs') {
  const result = await renderView(RunsView, { path, props: { debounceMs: 0, liveDebounceMs: 0 } })
  await waitFor(() => expect(FakeSocket.instances).toHaveLength(1))
  const socket = FakeSocket.last
  socket.open()
  return { ...result, socket }
}

function row(id: string) {
  return screen.getByRole('row', { name: `Run ${id.slice(0, 8)}` })
}

beforeEach(() => {
  FakeSocket.reset()
  vi.stubGlobal('WebSocket', FakeSocket)
})
afterEach(() => {
  vi.unstubAllGlobals()
})

describe('RunsView', () => {
  it('lists the runs with their status, agent, runtime, error and links, and the count', async () => {
    backend(() =>
      runPage(
        [
          run(RUN_A, { status: 'failed', error_code: 'timeout', error_message: 'Too long.', thread: THREAD_ID, completed_at: at(2_000) }),
          run(RUN_B, { status: 'completed', rerun_of: RUN_C, runtime: 'chat', completed_at: at(500) }),
        ],
        { count: 123 },
      ),
    )
    await open()
    await screen.findByText('123 runs')
    const first = row(RUN_A)
    expect(first).toHaveTextContent('Failed')
    expect(first).toHaveTextContent('timeout')
    expect(first).toHaveTextContent('2.00 s')
    expect(within(first).getByRole('link', { name: 'aaaaaaaa' })).toHaveAttribute('href', `/executions/${RUN_A}`)
    expect(within(first).getByRole('link', { name: 'Writer' })).toHaveAttribute('href', `/agents/${AGENT_ID}`)
    expect(within(first).getByRole('link', { name: 'Thread' })).toHaveAttribute('href', `/threads/${THREAD_ID}`)
    const second = row(RUN_B)
    expect(second).toHaveTextContent('chat')
    expect(within(second).getByRole('link', { name: 'Re-run of cccccccc' })).toHaveAttribute('href', `/executions/${RUN_C}`)
  })

  it('says "10,000+ runs" when the count reached its limit', async () => {
    backend(() => runPage([run(RUN_A)], { count: 10_000 }))
    await open()
    expect(await screen.findByText('10,000+ runs')).toBeInTheDocument()
  })

  it('reads its filters from the URL, and puts the ones picked in the URL and the request', async () => {
    const queries = backend(() => runPage([run(RUN_A)]))
    const { router } = await open(`/runs?status=failed&status=stopped&agent=${AGENT_ID}&range=hour`)
    await screen.findByText('1 run')
    expect(queries[0]!.getAll('status')).toEqual(['failed', 'stopped'])
    expect(queries[0]!.get('agent')).toBe(AGENT_ID)
    expect(Date.parse(queries[0]!.get('created_after')!)).toBeGreaterThan(Date.now() - 3_600_000 - 60_000)
    const filters = screen.getByRole('search', { name: 'Filter runs' })
    expect(within(filters).getByRole('checkbox', { name: 'Failed' })).toBeChecked()
    expect(within(filters).getByRole('checkbox', { name: 'Running' })).not.toBeChecked()
    await waitFor(() => expect(within(filters).getByRole('combobox', { name: 'Agent' })).toHaveValue(AGENT_ID))

    await fireEvent.click(within(filters).getByRole('checkbox', { name: 'Stopped' }))
    await waitFor(() => expect(router.currentRoute.value.query.status).toEqual(['failed']))
    await waitFor(() => expect(queries).toHaveLength(2))
    expect(queries[1]!.getAll('status')).toEqual(['failed'])

    await fireEvent.update(within(filters).getByRole('searchbox', { name: 'Search' }), 'hello')
    await waitFor(() => expect(router.currentRoute.value.query.q).toBe('hello'))
    await waitFor(() => expect(queries[queries.length - 1]!.get('q')).toBe('hello'))

    await fireEvent.update(within(filters).getByRole('combobox', { name: 'Runtime' }), 'chat')
    await waitFor(() => expect(queries[queries.length - 1]!.get('runtime')).toBe('chat'))
    expect(router.currentRoute.value.query).toMatchObject({ agent: AGENT_ID, range: 'hour', runtime: 'chat', q: 'hello' })

    await fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }))
    await waitFor(() => expect(router.currentRoute.value.query).toEqual({}))
  })

  it('filters on runs created between two times', async () => {
    const queries = backend(() => runPage([run(RUN_A)]))
    const { router } = await open()
    await screen.findByText('1 run')
    expect(screen.queryByLabelText('From')).not.toBeInTheDocument()
    await fireEvent.update(screen.getByRole('combobox', { name: 'Created' }), 'between')
    await fireEvent.update(screen.getByLabelText('From'), '2025-01-01T10:00')
    await fireEvent.change(screen.getByLabelText('From'))
    await waitFor(() => expect(router.currentRoute.value.query).toEqual({ range: 'between', from: '2025-01-01T10:00' }))
    await waitFor(() => expect(queries[queries.length - 1]!.get('created_after')).toBe(new Date('2025-01-01T10:00').toISOString()))
    expect(queries[queries.length - 1]!.get('created_before')).toBeNull()
  })

  it('waits for a pause in typing before it searches', async () => {
    const queries = backend(() => runPage([run(RUN_A)]))
    const { router } = await renderView(RunsView, { path: '/runs', props: { debounceMs: 200 } })
    await screen.findByText('1 run')
    const box = screen.getByRole('searchbox', { name: 'Search' })
    await fireEvent.update(box, 'he')
    await fireEvent.update(box, 'hello')
    expect(router.currentRoute.value.query.q).toBeUndefined()
    await waitFor(() => expect(router.currentRoute.value.query.q).toBe('hello'))
    await waitFor(() => expect(queries).toHaveLength(2))
    expect(queries[1]!.get('q')).toBe('hello')
  })

  it('shows a bad filter as the server tells it', async () => {
    backend(() => HttpResponse.json({ agent: ['Not a valid UUID.'] }, { status: 400 }))
    await open('/runs?agent=nope')
    expect(await screen.findByText('agent: Not a valid UUID.')).toBeInTheDocument()
  })

  it('goes to older and newer pages by their cursors, keeping the filters', async () => {
    const queries = backend((query) =>
      query.get('cursor') === 'older'
        ? runPage([run(RUN_B)], { previous: 'http://testserver/api/runs/?cursor=newer&status=failed' })
        : runPage([run(RUN_A)], { next: 'http://testserver/api/runs/?cursor=older&status=failed' }),
    )
    const { router } = await open('/runs?status=failed')
    await screen.findByRole('row', { name: 'Run aaaaaaaa' })
    expect(screen.getByRole('button', { name: 'Newer' })).toBeDisabled()
    await fireEvent.click(screen.getByRole('button', { name: 'Older' }))
    await screen.findByRole('row', { name: 'Run bbbbbbbb' })
    expect(router.currentRoute.value.query).toEqual({ status: ['failed'], cursor: 'older' })
    expect(queries[1]!.get('cursor')).toBe('older')
    expect(queries[1]!.getAll('status')).toEqual(['failed'])
    await fireEvent.click(screen.getByRole('button', { name: 'Newer' }))
    await waitFor(() => expect(router.currentRoute.value.query.cursor).toBe('newer'))
  })

  it('follows the runs stream: a run shown changes in place, another re-reads the first page keeping the selection', async () => {
    let pages = 0
    backend(() => {
      pages += 1
      return pages === 1
        ? runPage([run(RUN_A, { status: 'running' }), run(RUN_B, { status: 'completed' })])
        : runPage([run(RUN_C, { status: 'pending' }), run(RUN_A, { status: 'running' }), run(RUN_B, { status: 'completed' })])
    })
    server.use(
      http.get(`/api/executions/${RUN_A}/`, () =>
        HttpResponse.json(execution({ id: RUN_A, status: 'failed', error_code: 'timeout', completed_at: at(3_000) })),
      ),
    )
    const { socket } = await open()
    await screen.findByText('2 runs')
    expect(socket.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: 'runs' }])
    expect(screen.getByRole('status')).toHaveTextContent('Connected')

    await fireEvent.click(screen.getByRole('checkbox', { name: 'Select run bbbbbbbb' }))
    socket.receive({ type: 'execution_status', stream: 'runs', execution_id: RUN_A, agent_id: AGENT_ID, thread_id: null, room_id: null, status: 'failed' })
    await waitFor(() => expect(row(RUN_A)).toHaveTextContent('Failed'))
    await waitFor(() => expect(row(RUN_A)).toHaveTextContent('timeout'))
    expect(row(RUN_A)).toHaveTextContent('Writer')
    expect(pages).toBe(1)

    // A thread's status frame is not the runs stream's.
    socket.receive({ type: 'execution_status', stream: 'thread:x', execution_id: RUN_C, status: 'pending' })
    socket.receive({ type: 'execution_status', stream: 'runs', execution_id: RUN_C, agent_id: AGENT_ID, thread_id: null, room_id: null, status: 'pending' })
    await screen.findByRole('row', { name: 'Run cccccccc' })
    expect(pages).toBe(2)
    expect(screen.getByRole('checkbox', { name: 'Select run bbbbbbbb' })).toBeChecked()
    expect(screen.getByText('1 selected')).toBeInTheDocument()
  })

  it('re-reads the page after a reconnect, and leaves an older page alone', async () => {
    let pages = 0
    backend(() => {
      pages += 1
      return runPage([run(RUN_B)], { previous: 'http://testserver/api/runs/?cursor=newer' })
    })
    const { socket } = await open('/runs?cursor=older')
    await screen.findByText('1 run')
    socket.receive({ type: 'execution_status', stream: 'runs', execution_id: RUN_C, agent_id: AGENT_ID, thread_id: null, room_id: null, status: 'pending' })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(pages).toBe(1)

    socket.serverClose(1006)
    await waitFor(() => expect(FakeSocket.instances).toHaveLength(2), { timeout: 3_000 })
    FakeSocket.last.open()
    await waitFor(() => expect(pages).toBe(2))
    expect(FakeSocket.last.framesOf('subscribe')).toEqual([{ action: 'subscribe', stream: 'runs' }])
  })

  it('stops the selected runs after a confirmation, and tells what was not done', async () => {
    backend(() => runPage([run(RUN_A, { status: 'running' }), run(RUN_B, { status: 'completed' }), run(RUN_C, { status: 'running' })]))
    const posted: unknown[] = []
    server.use(
      http.post('/api/runs/stop/', async ({ request }) => {
        posted.push(await request.json())
        const result: BulkResult = {
          results: [run(RUN_A, { status: 'stopped' })],
          not_found: [RUN_C],
          errors: { [RUN_B]: { code: 'not_active', message: 'It has ended already.' } },
        }
        return HttpResponse.json(result, { status: 202 })
      }),
    )
    await open()
    await screen.findByText('3 runs')
    expect(screen.getByRole('button', { name: 'Stop selected' })).toBeDisabled()
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Select every run on this page' }))
    expect(screen.getByText('3 selected')).toBeInTheDocument()
    await fireEvent.click(screen.getByRole('button', { name: 'Stop selected' }))
    await fireEvent.click(within(screen.getByRole('group', { name: 'Stop 3 runs?' })).getByRole('button', { name: 'Yes, stop' }))
    await screen.findByText('Asked 1 run to stop.')
    expect(posted).toEqual([{ ids: [RUN_A, RUN_B, RUN_C] }])
    const problems = screen.getByRole('list', { name: 'Not done' })
    expect(problems).toHaveTextContent('cccccccc: not found (deleted, or not yours).')
    expect(problems).toHaveTextContent('bbbbbbbb: It has ended already. (not_active)')
    expect(screen.getByText('0 selected')).toBeInTheDocument()
  })

  it('runs the selected runs again and says how many started', async () => {
    backend(() => runPage([run(RUN_A, { status: 'failed' })]))
    const posted: unknown[] = []
    server.use(
      http.post('/api/runs/rerun/', async ({ request }) => {
        posted.push(await request.json())
        return HttpResponse.json({ results: [run(RUN_C, { status: 'pending', rerun_of: RUN_A })], not_found: [], errors: {} }, { status: 201 })
      }),
    )
    await open()
    await screen.findByText('1 run')
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Select run aaaaaaaa' }))
    await fireEvent.click(screen.getByRole('button', { name: 'Re-run selected' }))
    await fireEvent.click(screen.getByRole('button', { name: 'Yes, run again' }))
    await screen.findByText('Started 1 new run.')
    expect(posted).toEqual([{ ids: [RUN_A] }])
    expect(screen.queryByRole('list', { name: 'Not done' })).not.toBeInTheDocument()
  })
})
