import { fireEvent, screen, waitFor } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { renderView } from '@/test-utils/render'
import { paginated, server } from '@/test-utils/server'
import LoginView from './LoginView.vue'

async function fill(username: string, password: string) {
  await fireEvent.update(screen.getByLabelText('Username'), username)
  await fireEvent.update(screen.getByLabelText('Password'), password)
  await fireEvent.click(screen.getByRole('button', { name: 'Log in' }))
}

describe('LoginView', () => {
  it('asks for both fields before sending anything', async () => {
    // No handler: a login request would fail the test.
    await renderView(LoginView, { path: '/login', loggedIn: false })
    await fill('', '')
    expect(screen.getByLabelText('Username')).toHaveAccessibleDescription('Enter your username.')
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true')
  })

  it("shows the server's reason when the credentials are wrong", async () => {
    server.use(
      http.post('/api/auth/login/', () =>
        HttpResponse.json({ non_field_errors: ['Unable to log in with provided credentials.'] }, { status: 400 }),
      ),
    )
    await renderView(LoginView, { path: '/login', loggedIn: false })
    await fill('ada', 'wrong')
    expect(await screen.findByRole('alert')).toHaveTextContent('Unable to log in with provided credentials.')
  })

  it('says so when the server cannot be reached, and sends again on the next try', async () => {
    let attempts = 0
    server.use(
      http.post('/api/auth/login/', () => {
        attempts += 1
        return attempts === 1
          ? HttpResponse.error()
          : HttpResponse.json({ non_field_errors: ['Unable to log in with provided credentials.'] }, { status: 400 })
      }),
    )
    await renderView(LoginView, { path: '/login', loggedIn: false })
    await fill('ada', 'secret')
    expect(await screen.findByRole('alert')).toHaveTextContent(/cannot reach the server/i)
    await fireEvent.click(screen.getByRole('button', { name: 'Log in' }))
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('Unable to log in'))
    expect(attempts).toBe(2)
  })

  it('shows field errors next to their fields', async () => {
    server.use(
      http.post('/api/auth/login/', () =>
        HttpResponse.json({ password: ['This field may not be blank.'] }, { status: 400 }),
      ),
    )
    await renderView(LoginView, { path: '/login', loggedIn: false })
    await fill('ada', ' ')
    await waitFor(() =>
      expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('This field may not be blank.'),
    )
  })

  it('goes where the visitor was headed after logging in', async () => {
    const sent: unknown[] = []
    server.use(
      http.post('/api/auth/login/', async ({ request }) => {
        sent.push(await request.json())
        return HttpResponse.json({ id: 1, username: 'ada', is_staff: false })
      }),
      http.get('/api/agents/', () => HttpResponse.json(paginated([]))),
    )
    const { router } = await renderView(LoginView, { path: '/login?next=/agents/new', loggedIn: false })
    await fill('ada', 'secret')
    await waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/agents/new'))
    expect(sent).toEqual([{ username: 'ada', password: 'secret' }])
  })
})
