/**
 * The one place that talks HTTP to the backend: same-origin session cookies,
 * the CSRF header on unsafe methods, JSON in and out, and errors as ApiError.
 */
import { ApiError } from './errors'

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  /** A plain value is sent as JSON; FormData as multipart. */
  body?: unknown
}

export function readCookie(name: string): string | null {
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
    await fetch('/api/auth/me/', { credentials: 'same-origin', headers: { Accept: 'application/json' } }).catch(
      () => undefined,
    )
    token = readCookie('csrftoken')
  }
  return token
}

/**
 * Pagination links from DRF are absolute URLs built from the request's Host;
 * behind a proxy that host may not be ours, so keep only path and query.
 */
export function sameOriginPath(url: string): string {
  const parsed = new URL(url, window.location.origin)
  return parsed.pathname + parsed.search
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const search = params.toString()
  if (!search) return path
  return path + (path.includes('?') ? '&' : '?') + search
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined
  const text = await response.text()
  if (!text) return undefined
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  let body: BodyInit | undefined
  if (options.body instanceof FormData) {
    body = options.body
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(options.body)
  }
  if (UNSAFE.has(method)) {
    const token = await csrfToken()
    if (token) headers['X-CSRFToken'] = token
  }

  let response: Response
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
    })
  } catch (cause) {
    throw new ApiError(0, null, cause)
  }
  const data = await readBody(response)
  if (!response.ok) throw new ApiError(response.status, data)
  return data as T
}

export const http = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
}
