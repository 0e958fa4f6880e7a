/**
 * The one place that talks HTTP to the backend: an openapi-fetch client
 * typed by the generated schema (schema.d.ts), with same-origin session
 * cookies, the CSRF header on unsafe methods, and failures as ApiError.
 */
import createClient, { type Middleware } from 'openapi-fetch'
import { ApiError } from './errors'
import type { paths } from './schema'

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

function readCookie(name: string): string | null {
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return decodeURIComponent(rest.join('='))
  }
  return null
}

/**
 * Django sets `csrftoken` on GET /api/auth/me/; it also rotates it at login,
 * so the cookie is read afresh for every request rather than cached.
 */
async function csrfToken(): Promise<string | null> {
  let token = readCookie('csrftoken')
  if (token === null) {
    await globalThis
      .fetch('/api/auth/me/', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .catch(() => undefined)
    token = readCookie('csrftoken')
  }
  return token
}

const sessionAuth: Middleware = {
  async onRequest({ request }) {
    if (UNSAFE.has(request.method)) {
      const token = await csrfToken()
      if (token) request.headers.set('X-CSRFToken', token)
    }
    return request
  },
  // fetch() itself failed: no connection, DNS, the server is down.
  onError({ error }) {
    return error instanceof ApiError ? error : new ApiError(0, null, error)
  },
}

export const client = createClient<paths>({
  // Same origin: Django serves the dashboard and the API together (vite's proxy in development).
  baseUrl: typeof window === 'undefined' ? '' : window.location.origin,
  credentials: 'same-origin',
  headers: { Accept: 'application/json' },
  // Looked up on each call rather than captured once, so the page's fetch is always the one used.
  fetch: (request) => globalThis.fetch(request),
})
client.use(sessionAuth)

type Result<T> = { data?: T; error?: unknown; response: Response }

/**
 * The body of a successful response, else an ApiError with the status and
 * the parsed error body (DRF's field errors, see errors.ts).
 */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call
  if (!response.ok) throw new ApiError(response.status, error ?? null)
  return data as T
}
