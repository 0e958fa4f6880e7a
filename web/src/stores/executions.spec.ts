import { http, HttpResponse } from 'msw'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { effect, isProxy } from 'vue'
import { AGENT_ID, at, ev, EXEC_ID, execution } from '@/test-utils/events'
import { paginated, server } from '@/test-utils/server'
import { furtherProgress, furtherStatus, PUBLISH_INTERVAL_MS, setPublishScheduler, useExecutionsStore } from './executions'

beforeEach(() => {
  setActivePinia(createPinia())
})

describe('executions store', () => {
  it('builds the live log through applyEvent, deduping by seq', () => {
    const store = useExecutionsStore()
    for (const event of [ev.started(1), ev.token(2, 'a'), ev.token(2, 'a'), ev.token(3, 'b'), ev.token(1, 'x')]) {
      store.applyEvent(event)
    }
    expect(store.logs[EXEC_ID]!.text).toBe('ab')
    expect(store.lastSeq(EXEC_ID)).toBe(3)
  })

  it('keeps live logs out of deep reactivity and publishes a new log per applied event', () => {
    const store = useExecutionsStore()
    store.applyEvent(ev.started(1))
    const before = store.logs[EXEC_ID]!
    expect(isProxy(before)).toBe(false)
    expect(isProxy(before.events)).toBe(false)
    expect(isProxy(before.events[0])).toBe(false)

    let seen = 0
    effect(() => {
      void store.logs[EXEC_ID]
      seen += 1
    })
    store.applyEvent(ev.token(2, 'a'))
    const after = store.logs[EXEC_ID]!
    expect(after).not.toBe(before)
    expect(after.text).toBe('a')
    expect(seen).toBe(2)
    // A duplicate changes nothing, so nothing is published.
    store.applyEvent(ev.token(2, 'a'))
    expect(store.logs[EXEC_ID]).toBe(after)
    expect(seen).toBe(2)
  })

  it('publishes a burst of events once a frame, the first of it at once', () => {
    const flushes: { flush: () => void; delayMs: number }[] = []
    setPublishScheduler((flush, delayMs) => flushes.push({ flush, delayMs }))
    const store = useExecutionsStore()
    store.upsertExecution(execution({ status: 'pending' }))
    let seen = 0
    effect(() => {
      void store.logs[EXEC_ID]
      seen += 1
    })
    store.applyEvent(ev.started(1))
    expect(store.logs[EXEC_ID]!.lastSeq).toBe(1)
    const afterFirst = seen
    for (let seq = 2; seq <= 500; seq += 1) store.applyEvent(ev.token(seq, 'x'))
    // Held back for one publication, while the status already follows the events.
    expect(store.logs[EXEC_ID]!.lastSeq).toBe(1)
    expect(seen).toBe(afterFirst)
    expect(store.statusOf(EXEC_ID)).toBe('running')
    expect(store.lastSeq(EXEC_ID)).toBe(500)
    expect(flushes).toHaveLength(1)
    expect(flushes[0]!.delayMs).toBeLessThanOrEqual(PUBLISH_INTERVAL_MS)
    flushes[0]!.flush()
    expect(store.logs[EXEC_ID]!.lastSeq).toBe(500)
    expect(store.logs[EXEC_ID]!.text).toBe('x'.repeat(499))
    expect(seen).toBe(afterFirst + 1)
  })

  it('reports a gap with the seq to resubscribe from', () => {
    const store = useExecutionsStore()
    store.applyEvent(ev.started(1))
    store.applyEvent(ev.token(2, 'a'))
    expect(store.applyEvent(ev.token(4, 'c'))).toEqual({ status: 'gap', resubscribeFrom: 2 })
    expect(store.lastSeq(EXEC_ID)).toBe(2)
  })

  it('moves the execution record to the status the events tell', () => {
    const store = useExecutionsStore()
    store.upsertExecution(execution({ status: 'pending' }))
    store.applyEvent(ev.started(1))
    expect(store.executions[EXEC_ID]!.status).toBe('running')
    store.applyEvent(ev.stopped(2))
    expect(store.executions[EXEC_ID]!.status).toBe('stopped')
    expect(store.isFinished(EXEC_ID)).toBe(true)
  })

  it('takes the start and end of a record from its events until REST has them', () => {
    const store = useExecutionsStore()
    store.upsertExecution(execution({ status: 'pending', started_at: null }))
    store.applyEvent(ev.started(1, { ms: 100 }))
    expect(store.executions[EXEC_ID]).toMatchObject({ status: 'running', started_at: at(100), completed_at: null })
    // A history page fetched just before the start does not undo it.
    store.upsertExecution(execution({ status: 'pending', started_at: null }))
    expect(store.executions[EXEC_ID]).toMatchObject({ status: 'running', started_at: at(100) })
    store.applyEvent(ev.completed(2, null, { ms: 2100 }))
    expect(store.executions[EXEC_ID]).toMatchObject({ status: 'completed', completed_at: at(2100) })
  })

  it('does not let a stale REST snapshot move a finished execution back', () => {
    const store = useExecutionsStore()
    store.applyEvent(ev.started(1))
    store.applyEvent(ev.completed(2))
    store.upsertExecution(execution({ status: 'running' }))
    expect(store.statusOf(EXEC_ID)).toBe('completed')
    expect(furtherStatus('running', 'pending')).toBe('running')
    expect(furtherStatus(null, 'pending')).toBe('pending')
  })

  it('follows a requeued execution back to pending, then into its next run', () => {
    const store = useExecutionsStore()
    store.upsertExecution(execution({ status: 'pending', started_at: null }))
    const seen = () => {
      const { status, attempt, started_at } = store.executions[EXEC_ID]!
      return { status, attempt, started_at }
    }
    store.applyEvent(ev.started(1, { ms: 100 }))
    expect(seen()).toEqual({ status: 'running', attempt: 1, started_at: at(100) })
    store.applyEvent(ev.requeued(2, 2, 'worker_lost', { ms: 5000 }))
    expect(seen()).toEqual({ status: 'pending', attempt: 2, started_at: at(100) })
    expect(store.isFinished(EXEC_ID)).toBe(false)
    store.applyEvent(ev.started(3, { ms: 5200, attempt: 2 }))
    expect(seen()).toEqual({ status: 'running', attempt: 2, started_at: at(5200) })
    store.applyEvent(ev.completed(4, null, { ms: 6000 }))
    expect(seen()).toEqual({ status: 'completed', attempt: 2, started_at: at(5200) })
    expect(store.executions[EXEC_ID]!.completed_at).toBe(at(6000))
  })

  it('does not let a snapshot of the run before undo a requeue, nor lose one it tells', () => {
    const store = useExecutionsStore()
    store.applyEvent(ev.started(1, { ms: 100 }))
    store.applyEvent(ev.requeued(2, 2))
    store.upsertExecution(execution({ status: 'running', attempt: 1, started_at: at(100) }))
    expect(store.executions[EXEC_ID]).toMatchObject({ status: 'pending', attempt: 2 })
    store.applyEvent(ev.started(3, { ms: 5200, attempt: 2 }))
    // Fetched before the second start: it still has the first.
    store.upsertExecution(execution({ status: 'pending', attempt: 2, started_at: at(100) }))
    expect(store.executions[EXEC_ID]).toMatchObject({ status: 'running', attempt: 2, started_at: at(5200) })

    // REST ahead of the events: the requeue is there before its event.
    const other = '33333333-3333-4333-8333-333333333333'
    store.applyEvent(ev.started(1, { executionId: other }))
    store.upsertExecution(execution({ id: other, status: 'pending', attempt: 2 }))
    expect(store.statusOf(other)).toBe('pending')
  })

  it('takes an announced status as one of the latest run it knows', () => {
    const store = useExecutionsStore()
    store.upsertExecution(execution({ status: 'running', attempt: 1 }))
    // It does not say it is a requeue: a late "pending" of the first run is never taken for one.
    store.noteStatus(EXEC_ID, 'pending')
    expect(store.executions[EXEC_ID]).toMatchObject({ status: 'running', attempt: 1 })
    store.upsertExecution(execution({ status: 'pending', attempt: 2 }))
    store.noteStatus(EXEC_ID, 'running')
    expect(store.executions[EXEC_ID]).toMatchObject({ status: 'running', attempt: 2 })
    expect(furtherProgress({ status: 'running', attempt: 1 }, { status: 'pending', attempt: 2 })).toEqual({
      status: 'pending',
      attempt: 2,
    })
  })

  it('follows a run between running and waiting for input by the seq each status was told at', () => {
    const store = useExecutionsStore()
    store.upsertExecution(execution({ status: 'running', last_seq: 1 }))
    store.applyEvent(ev.started(1))
    store.applyEvent(ev.interrupted(2))
    expect(store.statusOf(EXEC_ID)).toBe('waiting_input')
    // A snapshot read before the interrupt does not undo it...
    store.upsertExecution(execution({ status: 'running', last_seq: 1 }))
    expect(store.statusOf(EXEC_ID)).toBe('waiting_input')
    // ...nor does a status announced without a seq...
    store.noteStatus(EXEC_ID, 'running')
    expect(store.executions[EXEC_ID]!.status).toBe('waiting_input')
    // ...but a snapshot read after the resume is ahead of the events.
    store.upsertExecution(execution({ status: 'running', last_seq: 3 }))
    expect(store.statusOf(EXEC_ID)).toBe('running')
    store.applyEvent(ev.resumed(3))
    store.applyEvent(ev.interrupted(4))
    expect(store.executions[EXEC_ID]!.status).toBe('waiting_input')
    expect(store.isFinished(EXEC_ID)).toBe(false)
    expect(furtherProgress({ status: 'waiting_input', attempt: 1, last_seq: 4 }, { status: 'running', attempt: 1, last_seq: 3 })).toMatchObject({
      status: 'waiting_input',
    })
  })

  it('loads the REST snapshot after the last seq it has', async () => {
    const store = useExecutionsStore()
    store.applyEvent(ev.started(1))
    store.applyEvent(ev.token(2, 'a'))
    const asked: (string | null)[] = []
    server.use(
      http.get(`/api/executions/${EXEC_ID}/events/`, ({ request }) => {
        asked.push(new URL(request.url).searchParams.get('after_seq'))
        return HttpResponse.json({ results: [ev.token(2, 'a'), ev.token(3, 'b'), ev.completed(4)], next: null })
      }),
    )
    await store.loadEvents(EXEC_ID)
    expect(asked).toEqual(['2'])
    expect(store.logs[EXEC_ID]!.text).toBe('ab')
    expect(store.statusOf(EXEC_ID)).toBe('completed')
  })

  it('puts a started execution at the top of its agent history', async () => {
    const store = useExecutionsStore()
    const sent: unknown[] = []
    server.use(
      http.get('/api/executions/', () => HttpResponse.json(paginated([execution({ id: 'old', status: 'completed' })]))),
      http.post(`/api/agents/${AGENT_ID}/executions/`, async ({ request }) => {
        sent.push(await request.json())
        return HttpResponse.json(execution({ id: 'new', status: 'pending' }), { status: 201 })
      }),
    )
    await store.fetchHistory(AGENT_ID)
    await store.startExecution(AGENT_ID, { prompt: 'x' })
    expect(sent).toEqual([{ input_data: { prompt: 'x' } }])
    expect(store.histories[AGENT_ID]!.ids).toEqual(['new', 'old'])
    expect(store.histories[AGENT_ID]!.count).toBe(2)
  })
})
