import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { api } from './api/client'
import { ApiError } from './api/errors'
import { safeNext } from './lib/navigation'
import { createAppRouter } from './router'

beforeEach(() => {
  setActivePinia(createPinia())
})

describe('router', () => {
  it('sends a visitor who is not logged in to the login page, remembering where to', async () => {
    vi.spyOn(api, 'me').mockRejectedValue(new ApiError(403, { detail: 'Not logged in.' }))
    const router = createAppRouter(createMemoryHistory())
    await router.push('/agents/abc')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.next).toBe('/agents/abc')
  })

  it('lets a logged-in user through and away from the login page', async () => {
    vi.spyOn(api, 'me').mockResolvedValue({ id: 1, username: 'ada', is_staff: false })
    const router = createAppRouter(createMemoryHistory())
    await router.push('/agents/abc')
    expect(router.currentRoute.value.name).toBe('agent')
    await router.push('/login')
    expect(router.currentRoute.value.name).toBe('agents')
  })

  it('only follows next= to paths on this site', () => {
    expect(safeNext('/agents/1')).toBe('/agents/1')
    expect(safeNext('//evil.example')).toBe('/agents')
    expect(safeNext('https://evil.example')).toBe('/agents')
    expect(safeNext(undefined)).toBe('/agents')
  })
})
