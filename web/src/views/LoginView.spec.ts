import { fireEvent, screen, waitFor } from '@testing-library/vue'
import { describe, expect, it, vi } from 'vitest'
import { api } from '@/api/client'
import { ApiError } from '@/api/errors'
import { renderView } from '@/test-utils/render'
import LoginView from './LoginView.vue'

async function fill(username: string, password: string) {
  await fireEvent.update(screen.getByLabelText('Username'), username)
  await fireEvent.update(screen.getByLabelText('Password'), password)
  await fireEvent.click(screen.getByRole('button', { name: 'Log in' }))
}

describe('LoginView', () => {
  it('asks for both fields before sending anything', async () => {
    const login = vi.spyOn(api, 'login')
    await renderView(LoginView, { path: '/login', loggedIn: false })
    await fill('', '')
    expect(login).not.toHaveBeenCalled()
    expect(screen.getByLabelText('Username')).toHaveAccessibleDescription('Enter your username.')
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true')
  })

  it("shows the server's reason when the credentials are wrong", async () => {
    vi.spyOn(api, 'login').mockRejectedValue(
      new ApiError(400, { non_field_errors: ['Unable to log in with provided credentials.'] }),
    )
    await renderView(LoginView, { path: '/login', loggedIn: false })
    await fill('ada', 'wrong')
    expect(await screen.findByRole('alert')).toHaveTextContent('Unable to log in with provided credentials.')
  })

  it('shows field errors next to their fields', async () => {
    vi.spyOn(api, 'login').mockRejectedValue(new ApiError(400, { password: ['This field may not be blank.'] }))
    await renderView(LoginView, { path: '/login', loggedIn: false })
    await fill('ada', ' ')
    await waitFor(() =>
      expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('This field may not be blank.'),
    )
  })

  it('goes where the visitor was headed after logging in', async () => {
    vi.spyOn(api, 'login').mockResolvedValue({ id: 1, username: 'ada', is_staff: false })
    vi.spyOn(api, 'listAgents').mockResolvedValue({ count: 0, next: null, previous: null, results: [] })
    const { router } = await renderView(LoginView, { path: '/login?next=/agents/new', loggedIn: false })
    await fill('ada', 'secret')
    await waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/agents/new'))
  })
})
