import { http, HttpResponse } from 'msw'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ev, EXEC_ID } from '@/test-utils/events'
import { paginated, server } from '@/test-utils/server'
import { api } from './client'
import { ApiError } from './errors'

/** Every request the handlers saw, with the headers that matter here. */
let seen: { method: string; url: string; csrf: string | null; contentType: string | null; body: string }[]

function record(status: number, body?: unknown) {
  return async ({ request }: { request: Request }) => {
    const url = new URL(request.url)
    seen.push({
      method: request.method,
      url: url.pathname + url.search,
      csrf: request.headers.get('X-CSRFToken'),
      contentType: request.headers.get('Content-Type'),
      body: await request.text(),
    })
    return body === undefined ? new HttpResponse(null, { status }) : HttpResponse.json(body, { status })
  }
}

beforeEach(() => {
  seen = []
  document.cookie = 'csrftoken=abc123; path=/'
})
afterEach(() => {
  document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
})

describe('the API client', () => {
  it('sends the CSRF token and JSON on unsafe requests', async () => {
    server.use(http.post('/api/agents/', record(201, { id: 'a1' })))
    await api.createAgent({ name: 'x', runtime: 'synthetic' })
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/api/agents/',
        csrf: 'abc123',
        contentType: 'application/json',
        body: '{"name":"x","runtime":"synthetic"}',
      },
    ])
  })

  it('does not send the CSRF token on GET, nor empty query parameters', async () => {
    server.use(http.get('/api/executions/', record(200, paginated([]))))
    await api.listExecutions({ agent: 'a1', page: 2 })
    expect(seen).toMatchObject([{ method: 'GET', url: '/api/executions/?agent=a1&page=2', csrf: null }])
  })

  it('reads the cookie afresh, since Django rotates it at login', async () => {
    server.use(http.post('/api/auth/logout/', record(204)))
    await api.logout()
    document.cookie = 'csrftoken=rotated; path=/'
    await api.logout()
    expect(seen.map((request) => request.csrf)).toEqual(['abc123', 'rotated'])
  })

  it('asks for the cookie first when there is none yet', async () => {
    document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
    server.use(
      http.get('/api/auth/me/', () => {
        document.cookie = 'csrftoken=fresh; path=/'
        return HttpResponse.json({ detail: 'Not logged in.' }, { status: 403 })
      }),
      http.post('/api/auth/login/', record(200, { id: 1, username: 'ada', is_staff: false })),
    )
    await api.login('ada', 'x')
    expect(seen).toMatchObject([{ url: '/api/auth/login/', csrf: 'fresh' }])
  })

  it('uploads a document as multipart, with the CSRF token', async () => {
    let received: { csrf: string | null; name: string | undefined; text: string | undefined } | null = null
    server.use(
      http.post('/api/agents/a1/documents/', async ({ request }) => {
        const file = (await request.formData()).get('file') as File | null
        received = { csrf: request.headers.get('X-CSRFToken'), name: file?.name, text: await file?.text() }
        return HttpResponse.json({ id: 'd1' }, { status: 201 })
      }),
    )
    await api.uploadDocument('a1', new File(['# Notes'], 'notes.md', { type: 'text/markdown' }))
    expect(received).toEqual({ csrf: 'abc123', name: 'notes.md', text: '# Notes' })
  })

  it('turns an error response into an ApiError with the body', async () => {
    server.use(http.post('/api/agents/', record(400, { name: ['Required.'] })))
    const error = await api.createAgent({ name: '', runtime: 'synthetic' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(400)
    expect((error as ApiError).fieldErrors).toEqual({ name: ['Required.'] })
  })

  it('turns a network failure into an ApiError with status 0', async () => {
    server.use(http.get('/api/agents/', () => HttpResponse.error()))
    const error = await api.listAgents().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 0 })
  })

  it('reads every page of events, asking after the last seq it got', async () => {
    const asked: string[] = []
    server.use(
      http.get(`/api/executions/${EXEC_ID}/events/`, ({ request }) => {
        const after = Number(new URL(request.url).searchParams.get('after_seq'))
        asked.push(String(after))
        const all = [ev.started(1), ev.token(2, 'a'), ev.token(3, 'b'), ev.completed(4)]
        const results = all.filter((event) => event.seq > after).slice(0, 2)
        // DRF builds the link from the request's Host, which behind a proxy is not ours.
        const next = after + 2 < all.length ? `http://backend:8000/api/executions/${EXEC_ID}/events/?cursor=x` : null
        return HttpResponse.json({ results, next })
      }),
    )
    const events = await api.eventsAfter(EXEC_ID, 0, 2)
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4])
    expect(asked).toEqual(['0', '2'])
  })

  it('asks for runs with a repeated status, and sends bulk ids and a re-run input as JSON', async () => {
    const page = { results: [], next: null, previous: null, count: 0, count_limit: 10_000 }
    const bulk = { results: [], not_found: [], errors: {} }
    server.use(
      http.get('/api/runs/', record(200, page)),
      http.post('/api/runs/stop/', record(202, bulk)),
      http.post('/api/runs/rerun/', record(201, bulk)),
      http.post(`/api/executions/${EXEC_ID}/rerun/`, record(201, { id: 'new' })),
    )
    expect(await api.listRuns({ status: ['failed', 'stopped'], q: 'hi', cursor: 'c1' })).toEqual(page)
    await api.stopRuns(['a', 'b'])
    await api.rerunRuns(['a'])
    await api.rerunExecution(EXEC_ID)
    await api.rerunExecution(EXEC_ID, { prompt: 'again' })
    expect(seen.map(({ method, url, body }) => [method, url, body])).toEqual([
      ['GET', '/api/runs/?status=failed&status=stopped&q=hi&cursor=c1', ''],
      ['POST', '/api/runs/stop/', '{"ids":["a","b"]}'],
      ['POST', '/api/runs/rerun/', '{"ids":["a"]}'],
      ['POST', `/api/executions/${EXEC_ID}/rerun/`, '{}'],
      ['POST', `/api/executions/${EXEC_ID}/rerun/`, '{"input_data":{"prompt":"again"}}'],
    ])
  })
})
