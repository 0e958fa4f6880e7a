/** Auth store: who is logged in (session cookie), log in and log out. */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '@/api/client'
import { ApiError } from '@/api/errors'
import type { User } from '@/api/types'

export const useAuthStore = defineStore('auth', () => {
  const user = ref<User | null>(null)
  /** Whether /api/auth/me/ has been asked once since the page loaded. */
  const checked = ref(false)
  const isLoggedIn = computed(() => user.value !== null)

  async function fetchMe(): Promise<User | null> {
    try {
      user.value = await api.me()
    } catch (error) {
      // 401/403 mean "not logged in"; anything else (server down) is treated
      // the same here so the log-in page shows, and it reports the real error.
      if (!(error instanceof ApiError)) throw error
      user.value = null
    } finally {
      checked.value = true
    }
    return user.value
  }

  async function login(username: string, password: string): Promise<User> {
    const loggedIn = await api.login(username, password)
    user.value = loggedIn
    checked.value = true
    return loggedIn
  }

  async function logout(): Promise<void> {
    try {
      await api.logout()
    } finally {
      user.value = null
    }
  }

  return { user, checked, isLoggedIn, fetchMe, login, logout }
})
