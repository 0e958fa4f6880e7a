import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from './errors'
import { http, sameOriginPath, withQuery } from './http'

function jsonResponse(status: number, body: unknown) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  })
}

let fetchMock: ReturnType<typeof vi.fn>

beforeEach(() => {
  fetchMock = vi.fn()
  vi.stubGlobal('fetch', fetchMock)
  document.cookie = 'csrftoken=abc123; path=/'
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
})

describe('http', () => {
  it('sends the CSRF token and same-origin credentials on unsafe requests', async () => {
    fetchMock.mockResolvedValue(jsonResponse(201, { id: 1 }))
    await http.post('/api/agents/', { name: 'x' })
    const [url, init] = fetchMock.mock.calls[0]!
    expect(url).toBe('/api/agents/')
    expect(init.credentials).toBe('same-origin')
    expect(init.headers['X-CSRFToken']).toBe('abc123')
    expect(init.headers['Content-Type']).toBe('application/json')
    expect(init.body).toBe('{"name":"x"}')
  })

  it('does not send the CSRF token on GET', async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, []))
    await http.get('/api/agents/', { page: 2, status: undefined })
    const [url, init] = fetchMock.mock.calls[0]!
    expect(url).toBe('/api/agents/?page=2')
    expect(init.headers['X-CSRFToken']).toBeUndefined()
  })

  it('reads the cookie afresh, since Django rotates it at login', async () => {
    fetchMock.mockResolvedValue(jsonResponse(204, undefined))
    await http.post('/api/auth/logout/')
    document.cookie = 'csrftoken=rotated; path=/'
    await http.post('/api/auth/logout/')
    expect(fetchMock.mock.calls[1]![1].headers['X-CSRFToken']).toBe('rotated')
  })

  it('turns an error response into an ApiError with the body', async () => {
    fetchMock.mockResolvedValue(jsonResponse(400, { name: ['Required.'] }))
    const error = await http.post('/api/agents/', {}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).fieldErrors).toEqual({ name: ['Required.'] })
  })

  it('turns a network failure into an ApiError with status 0', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'))
    await expect(http.get('/api/agents/')).rejects.toMatchObject({ status: 0 })
  })

  it('keeps only path and query of pagination links', () => {
    expect(sameOriginPath('http://backend:8000/api/executions/x/events/?after_seq=5&limit=2')).toBe(
      '/api/executions/x/events/?after_seq=5&limit=2',
    )
    expect(withQuery('/a/?x=1', { y: 2 })).toBe('/a/?x=1&y=2')
  })
})
