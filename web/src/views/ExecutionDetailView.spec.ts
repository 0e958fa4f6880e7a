import { fireEvent, screen, waitFor, within } from '@testing-library/vue'
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

  it("shows the worker, its lease while it runs, and the run it re-runs", async () => {
    const ORIGINAL = '99999999-9999-4999-8999-999999999999'
    server.use(
      http.get(`/api/executions/${EXEC_ID}/`, () =>
        HttpResponse.json(
          execution({ status: 'running', worker: 'worker-1:4242', lease_expires_at: at(60_000), rerun_of: ORIGINAL, last_seq: 1 }),
        ),
      ),
      http.get(`/api/executions/${EXEC_ID}/events/`, () => HttpResponse.json({ results: [ev.started(1)], next: null })),
      http.get('/api/interrupts/', () => HttpResponse.json(paginated([]))),
      http.get(`/api/agents/${AGENT_ID}/`, () => HttpResponse.json(agent())),
    )
    await renderView(ExecutionDetailView, { path: `/executions/${EXEC_ID}`, props: { id: EXEC_ID } })
    await screen.findByText('Started')
    const box = screen.getByRole('region', { name: 'Worker' })
    expect(within(box).getByText('Name').nextElementSibling).toHaveTextContent('worker-1:4242')
    expect(within(box).getByText('Lease').nextElementSibling).toHaveTextContent(/^(expires in|expired) /)
    expect(screen.getByRole('link', { name: 'Execution 99999999' })).toHaveAttribute('href', `/executions/${ORIGINAL}`)
  })

  it('shows the model calls and the event history, and downloads the execution with every event as JSON', async () => {
    const events = [ev.started(1), ev.token(2, 'Hi'), ev.token(3, ' there'), ev.completed(4, { text: 'Hi there', provider: 'local', model: 'qwen' })]
    const asked: string[] = []
    server.use(
      http.get(`/api/executions/${EXEC_ID}/`, () => HttpResponse.json(execution({ status: 'completed', last_seq: 4 }))),
      http.get(`/api/executions/${EXEC_ID}/events/`, ({ request }) => {
        const url = new URL(request.url)
        asked.push(url.search)
        const after = Number(url.searchParams.get('after_seq'))
        const results = events.filter((e) => e.seq > after).slice(0, 2)
        return HttpResponse.json({ results, next: results.length && results[results.length - 1]!.seq < 4 ? 'next' : null })
      }),
      http.get('/api/interrupts/', () => HttpResponse.json(paginated([]))),
      http.get(`/api/agents/${AGENT_ID}/`, () => HttpResponse.json(agent())),
    )
    await renderView(ExecutionDetailView, { path: `/executions/${EXEC_ID}`, props: { id: EXEC_ID } })
    await screen.findByText('Started')
    const calls = await screen.findByRole('region', { name: 'Model calls' })
    await within(calls).findByText('qwen')
    expect(screen.getByRole('region', { name: 'Event history' })).toBeInTheDocument()
    expect(screen.getByTestId('history-count')).toHaveTextContent('4 events')
    // The snapshot was read page after page.
    expect(asked).toEqual(['?after_seq=0&limit=5000', '?after_seq=2&limit=5000'])

    asked.length = 0
    const create = vi.fn((_blob: Blob) => 'blob:x')
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: create, revokeObjectURL: vi.fn() }))
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined)
    await fireEvent.click(screen.getByRole('button', { name: 'Download JSON' }))
    await waitFor(() => expect(click).toHaveBeenCalled())
    expect(asked).toHaveLength(2)
    const data = JSON.parse(await create.mock.calls[0]![0].text())
    expect(data.execution.id).toBe(EXEC_ID)
    expect(data.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4])
    click.mockRestore()
  })

  describe('re-run', () => {
    const NEW_ID = '88888888-8888-4888-8888-888888888888'

    function backend(posted: unknown[], answer?: () => Response) {
      server.use(
        http.get(`/api/executions/${EXEC_ID}/`, () =>
          HttpResponse.json(execution({ status: 'failed', input_data: { prompt: 'hi' }, last_seq: 2 })),
        ),
        http.get(`/api/executions/${EXEC_ID}/events/`, () =>
          HttpResponse.json({ results: [ev.started(1), ev.error(2, 'boom', 'agent_error')], next: null }),
        ),
        http.get(`/api/agents/${AGENT_ID}/`, () => HttpResponse.json(agent())),
        http.post(`/api/executions/${EXEC_ID}/rerun/`, async ({ request }) => {
          posted.push(await request.json())
          return answer?.() ?? HttpResponse.json(execution({ id: NEW_ID, status: 'pending', rerun_of: EXEC_ID }), { status: 201 })
        }),
        http.get(`/api/executions/${NEW_ID}/`, () => HttpResponse.json(execution({ id: NEW_ID, status: 'pending', rerun_of: EXEC_ID }))),
        http.get(`/api/executions/${NEW_ID}/events/`, () => HttpResponse.json({ results: [], next: null })),
        http.get('/api/interrupts/', () => HttpResponse.json(paginated([]))),
      )
    }

    it('runs it again on the original input and opens the new run', async () => {
      const posted: unknown[] = []
      backend(posted)
      const { router } = await renderView(ExecutionDetailView, { path: `/executions/${EXEC_ID}`, props: { id: EXEC_ID } })
      await fireEvent.click(await screen.findByRole('button', { name: 'Re-run…' }))
      const form = screen.getByRole('form', { name: 'Re-run' })
      expect(JSON.parse((within(form).getByRole('textbox', { name: /Input of the new run/ }) as HTMLTextAreaElement).value)).toEqual({
        prompt: 'hi',
      })
      await fireEvent.click(within(form).getByRole('button', { name: 'Run again' }))
      await waitFor(() => expect(router.currentRoute.value.fullPath).toBe(`/executions/${NEW_ID}`))
      expect(posted).toEqual([{}])
    })

    it('sends an edited input, and tells invalid JSON before sending', async () => {
      const posted: unknown[] = []
      backend(posted)
      const { router } = await renderView(ExecutionDetailView, { path: `/executions/${EXEC_ID}`, props: { id: EXEC_ID } })
      await fireEvent.click(await screen.findByRole('button', { name: 'Re-run…' }))
      const form = screen.getByRole('form', { name: 'Re-run' })
      const box = within(form).getByRole('textbox', { name: /Input of the new run/ })
      await fireEvent.update(box, '{"prompt": ')
      await fireEvent.click(within(form).getByRole('button', { name: 'Run again' }))
      expect(await within(form).findByText(/This is not valid JSON/)).toBeInTheDocument()
      expect(posted).toEqual([])
      await fireEvent.update(box, '{"prompt": "again"}')
      await fireEvent.click(within(form).getByRole('button', { name: 'Run again' }))
      await waitFor(() => expect(router.currentRoute.value.fullPath).toBe(`/executions/${NEW_ID}`))
      expect(posted).toEqual([{ input_data: { prompt: 'again' } }])
    })

    it("shows the server's objection to the input beside it", async () => {
      const posted: unknown[] = []
      backend(posted, () => HttpResponse.json({ input_data: ['Missing "message".'] }, { status: 400 }))
      const { router } = await renderView(ExecutionDetailView, { path: `/executions/${EXEC_ID}`, props: { id: EXEC_ID } })
      await fireEvent.click(await screen.findByRole('button', { name: 'Re-run…' }))
      await fireEvent.update(screen.getByRole('textbox', { name: /Input of the new run/ }), '{}')
      await fireEvent.click(screen.getByRole('button', { name: 'Run again' }))
      expect(await screen.findByText('Missing "message".')).toBeInTheDocument()
      expect(router.currentRoute.value.fullPath).toBe(`/executions/${EXEC_ID}`)
    })
  })
})
