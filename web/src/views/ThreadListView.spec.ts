import { fireEvent, screen, waitFor, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { agent, AGENT_ID, thread, THREAD_ID } from '@/test-utils/events'
import { renderView } from '@/test-utils/render'
import { paginated, server } from '@/test-utils/server'
import ThreadListView from './ThreadListView.vue'

const OTHER_AGENT = '55555555-5555-4555-8555-555555555555'

describe('ThreadListView', () => {
  it('lists conversations with their agent and status, and starts one with a picked agent', async () => {
    const created: unknown[] = []
    server.use(
      http.get('/api/threads/', () =>
        HttpResponse.json(paginated([thread({ status: 'interrupted' }), thread({ id: 'other', title: '', status: 'busy' })])),
      ),
      http.get('/api/agents/', () =>
        HttpResponse.json(
          paginated([agent({ name: 'Painter' }), agent({ id: OTHER_AGENT, name: 'Sleeper', status: 'inactive' })]),
        ),
      ),
      http.post('/api/threads/', async ({ request }) => {
        created.push(await request.json())
        return HttpResponse.json(thread({ title: 'Skies' }), { status: 201 })
      }),
    )
    const { router } = await renderView(ThreadListView, { path: '/threads' })
    const rows = await screen.findAllByRole('row')
    expect(within(rows[1]!).getByRole('link', { name: 'Colours' })).toHaveAttribute('href', `/threads/${THREAD_ID}`)
    expect(rows[1]).toHaveTextContent('Waiting for input')
    await waitFor(() => expect(rows[1]).toHaveTextContent('Painter'))
    expect(within(rows[2]!).getByRole('link', { name: 'Conversation other' })).toBeInTheDocument()
    expect(rows[2]).toHaveTextContent('Busy')

    const form = screen.getByRole('form', { name: 'New conversation' })
    const picker = within(form).getByRole('combobox', { name: 'Agent' })
    // Only an active agent can answer.
    expect(within(picker).queryByRole('option', { name: /Sleeper/ })).not.toBeInTheDocument()
    await fireEvent.click(within(form).getByRole('button', { name: 'Start conversation' }))
    expect(within(form).getByText('Pick the agent to talk to.')).toBeInTheDocument()
    expect(created).toEqual([])

    await fireEvent.update(picker, AGENT_ID)
    await fireEvent.update(within(form).getByRole('textbox', { name: 'Title (optional)' }), ' Skies ')
    await fireEvent.click(within(form).getByRole('button', { name: 'Start conversation' }))
    await waitFor(() => expect(router.currentRoute.value.fullPath).toBe(`/threads/${THREAD_ID}`))
    expect(created).toEqual([{ agent: AGENT_ID, title: 'Skies' }])
  })
})
