import { http as mock, HttpResponse } from 'msw'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { server } from '@/test-utils/server'
import { ApiError } from './errors'
import { http, sameOriginPath, withQuery } from './http'

/** Every request the handlers saw, with the headers that matter here. */
let seen: { method: string; url: string; csrf: string | null; contentType: string | null; body: string }[]

function record(status: number, body?: unknown) {
  return async ({ request }: { request: Request }) => {
    seen.push({
      method: request.method,
      url: new URL(request.url).pathname + new URL(request.url).search,
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

describe('http', () => {
  it('sends the CSRF token and JSON on unsafe requests', async () => {
    server.use(mock.post('/api/agents/', record(201, { id: 1 })))
    await http.post('/api/agents/', { name: 'x' })
    expect(seen).toEqual([
      { method: 'POST', url: '/api/agents/', csrf: 'abc123', contentType: 'application/json', body: '{"name":"x"}' },
    ])
  })

  it('does not send the CSRF token on GET', async () => {
    server.use(mock.get('/api/agents/', record(200, [])))
    await http.get('/api/agents/', { page: 2, status: undefined })
    expect(seen).toMatchObject([{ method: 'GET', url: '/api/agents/?page=2', csrf: null }])
  })

  it('reads the cookie afresh, since Django rotates it at login', async () => {
    server.use(mock.post('/api/auth/logout/', record(204)))
    await http.post('/api/auth/logout/')
    document.cookie = 'csrftoken=rotated; path=/'
    await http.post('/api/auth/logout/')
    expect(seen.map((request) => request.csrf)).toEqual(['abc123', 'rotated'])
  })

  it('asks for the cookie first when there is none yet', async () => {
    document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
    server.use(
      mock.get('/api/auth/me/', () => {
        document.cookie = 'csrftoken=fresh; path=/'
        return HttpResponse.json({ detail: 'Not logged in.' }, { status: 403 })
      }),
      mock.post('/api/auth/login/', record(200, { id: 1, username: 'ada', is_staff: false })),
    )
    await http.post('/api/auth/login/', { username: 'ada', password: 'x' })
    expect(seen).toMatchObject([{ url: '/api/auth/login/', csrf: 'fresh' }])
  })

  it('turns an error response into an ApiError with the body', async () => {
    server.use(mock.post('/api/agents/', record(400, { name: ['Required.'] })))
    const error = await http.post('/api/agents/', {}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).fieldErrors).toEqual({ name: ['Required.'] })
  })

  it('turns a network failure into an ApiError with status 0', async () => {
    server.use(mock.get('/api/agents/', () => HttpResponse.error()))
    await expect(http.get('/api/agents/')).rejects.toMatchObject({ status: 0 })
  })

  it('keeps only path and query of pagination links', () => {
    expect(sameOriginPath('http://backend:8000/api/executions/x/events/?after_seq=5&limit=2')).toBe(
      '/api/executions/x/events/?after_seq=5&limit=2',
    )
    expect(withQuery('/a/?x=1', { y: 2 })).toBe('/a/?x=1&y=2')
  })
})
