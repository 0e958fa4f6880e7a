import { http, HttpResponse } from 'msw'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { safeNext } from './lib/navigation'
import { createAppRouter } from './router'
import { server } from './test-utils/server'

beforeEach(() => {
  setActivePinia(createPinia())
})

describe('router', () => {
  it('sends a visitor who is not logged in to the login page, remembering where to', async () => {
    server.use(http.get('/api/auth/me/', () => HttpResponse.json({ detail: 'Not logged in.' }, { status: 403 })))
    const router = createAppRouter(createMemoryHistory())
    await router.push('/agents/abc')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.next).toBe('/agents/abc')
  })

  it('lets a logged-in user through and away from the login page', async () => {
    server.use(http.get('/api/auth/me/', () => HttpResponse.json({ id: 1, username: 'ada', is_staff: false })))
    const router = createAppRouter(createMemoryHistory())
    await router.push('/agents/abc')
    expect(router.currentRoute.value.name).toBe('agent')
    await router.push('/login')
    expect(router.currentRoute.value.name).toBe('agents')
  })

  it('has the operator pages at /workers and /charts (not /metrics, a backend path)', async () => {
    server.use(http.get('/api/auth/me/', () => HttpResponse.json({ id: 1, username: 'ada', is_staff: true })))
    const router = createAppRouter(createMemoryHistory())
    await router.push('/workers')
    expect(router.currentRoute.value.name).toBe('workers')
    await router.push('/charts?window=day')
    expect(router.currentRoute.value.name).toBe('charts')
  })

  it('only follows next= to paths on this site', () => {
    expect(safeNext('/agents/1')).toBe('/agents/1')
    expect(safeNext('//evil.example')).toBe('/agents')
    expect(safeNext('https://evil.example')).toBe('/agents')
    expect(safeNext(undefined)).toBe('/agents')
  })
})
