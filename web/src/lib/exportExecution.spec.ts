import { http, HttpResponse } from 'msw'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { api } from '@/api/client'
import { ev, EXEC_ID, execution } from '@/test-utils/events'
import { server } from '@/test-utils/server'
import type { ExecutionEvent } from '@/realtime/frames'
import { collectExport, downloadJson, exportFileName } from './exportExecution'

afterEach(() => vi.restoreAllMocks())

describe('collectExport', () => {
  it('fetches the execution and every page of its events', async () => {
    const all: ExecutionEvent[] = Array.from({ length: 12_001 }, (_, i) => ev.token(i + 1, 'x'))
    const asked: { after: number; limit: number }[] = []
    server.use(
      http.get(`/api/executions/${EXEC_ID}/`, () => HttpResponse.json(execution({ status: 'completed', last_seq: 12_001 }))),
      http.get(`/api/executions/${EXEC_ID}/events/`, ({ request }) => {
        const url = new URL(request.url)
        const after = Number(url.searchParams.get('after_seq'))
        const limit = Number(url.searchParams.get('limit'))
        asked.push({ after, limit })
        const results = all.filter((e) => e.seq > after).slice(0, limit)
        const last = results[results.length - 1]
        const next = last && last.seq < all.length ? `http://x/api/executions/${EXEC_ID}/events/?after_seq=${last.seq}` : null
        return HttpResponse.json({ results, next })
      }),
    )
    const data = await collectExport(EXEC_ID, api.getExecution, api.eventsPage)
    expect(asked).toEqual([
      { after: 0, limit: 5000 },
      { after: 5000, limit: 5000 },
      { after: 10_000, limit: 5000 },
    ])
    expect(data.execution.id).toBe(EXEC_ID)
    expect(data.events).toHaveLength(12_001)
    expect(data.events.map((e) => e.seq)).toEqual(all.map((e) => e.seq))
  })
})

describe('downloadJson', () => {
  it('saves the JSON as a file through an object URL', async () => {
    const create = vi.fn((_blob: Blob) => 'blob:export')
    const revoke = vi.fn()
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: create, revokeObjectURL: revoke }))
    let saved: { href: string; download: string } | null = null
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved = { href: this.href, download: this.download }
    })
    downloadJson({ execution: { id: EXEC_ID }, events: [] }, exportFileName(EXEC_ID))
    expect(saved).toEqual({ href: 'blob:export', download: `execution-${EXEC_ID}.json` })
    const blob = create.mock.calls[0]![0]
    expect(JSON.parse(await blob.text())).toEqual({ execution: { id: EXEC_ID }, events: [] })
    vi.unstubAllGlobals()
  })
})
