/** Render a view with a fresh Pinia and the app's router on an in-memory history. */
import { render } from '@testing-library/vue'
import { createPinia, setActivePinia } from 'pinia'
import type { Component } from 'vue'
import { createMemoryHistory } from 'vue-router'
import { createAppRouter } from '@/router'
import { useAuthStore } from '@/stores/auth'

export async function renderView(
  component: Component,
  {
    path = '/',
    props = {},
    loggedIn = true,
    staff = false,
  }: { path?: string; props?: Record<string, unknown>; loggedIn?: boolean; staff?: boolean } = {},
) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const auth = useAuthStore()
  auth.checked = true
  auth.user = loggedIn ? { id: 1, username: 'ada', is_staff: staff } : null
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  await router.isReady()
  const result = render(component, { props, global: { plugins: [pinia, router] } })
  return { ...result, router, pinia }
}
