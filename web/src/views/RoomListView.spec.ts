import { fireEvent, screen, waitFor, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { agent, AGENT_ID } from '@/test-utils/events'
import { renderView } from '@/test-utils/render'
import { AGENT_B, room, ROOM_ID, seat } from '@/test-utils/rooms'
import { paginated, server } from '@/test-utils/server'
import RoomListView from './RoomListView.vue'

const SLEEPER = '55555555-5555-4555-8555-555555555555'

function backend(created: unknown[], answer: () => Response | Promise<Response>) {
  server.use(
    http.get('/api/rooms/', () =>
      HttpResponse.json(
        paginated([
          room({ status: 'running', round: 1 }),
          room({ id: 'other', name: 'Debate', mode: 'parallel', status: 'paused', round: 2, max_rounds: 4, seats: [seat(1)] }),
        ]),
      ),
    ),
    http.get('/api/agents/', () =>
      HttpResponse.json(
        paginated([
          agent({ name: 'Writer' }),
          agent({ id: AGENT_B, name: 'Critic' }),
          agent({ id: SLEEPER, name: 'Sleeper', status: 'inactive' }),
        ]),
      ),
    ),
    http.post('/api/rooms/', async ({ request }) => {
      created.push(await request.json())
      return answer()
    }),
  )
}

describe('RoomListView', () => {
  it('lists the rooms with their seats, status and round', async () => {
    backend([], () => HttpResponse.json(room(), { status: 201 }))
    await renderView(RoomListView, { path: '/rooms' })
    const rows = await screen.findAllByRole('row')
    expect(within(rows[1]!).getByRole('link', { name: 'Story time' })).toHaveAttribute('href', `/rooms/${ROOM_ID}`)
    expect(rows[1]).toHaveTextContent('Writer, Critic')
    expect(rows[1]).toHaveTextContent('One after the other')
    expect(rows[1]).toHaveTextContent('Running')
    expect(rows[1]).toHaveTextContent('1 of 2')
    expect(rows[2]).toHaveTextContent('All at once')
    expect(rows[2]).toHaveTextContent('Paused')
    expect(rows[2]).toHaveTextContent('2 of 4')
  })

  it('makes a room with its seats in the order picked, each with its instructions, then opens it', async () => {
    const created: unknown[] = []
    backend(created, () => HttpResponse.json(room(), { status: 201 }))
    const { router } = await renderView(RoomListView, { path: '/rooms' })
    const form = screen.getByRole('form', { name: 'New room' })
    const picker = within(form).getByRole('combobox', { name: 'Agent' })
    await within(picker).findByRole('option', { name: 'Critic (synthetic)' })
    // Only an active agent takes a seat.
    expect(within(picker).queryByRole('option', { name: /Sleeper/ })).not.toBeInTheDocument()

    await fireEvent.click(within(form).getByRole('button', { name: 'Create room' }))
    expect(within(form).getByText('Give the room a name.')).toBeInTheDocument()
    expect(within(form).getByText('Add at least one agent to take turns.')).toBeInTheDocument()
    expect(created).toEqual([])

    await fireEvent.update(within(form).getByRole('textbox', { name: 'Name' }), ' Story time ')
    await fireEvent.update(within(form).getByRole('textbox', { name: 'Task' }), 'Write a short story together.')
    await fireEvent.update(within(form).getByRole('combobox', { name: 'Turns' }), 'parallel')
    await fireEvent.update(within(form).getByRole('spinbutton', { name: 'Rounds' }), '4')
    await fireEvent.update(within(form).getByRole('textbox', { name: 'Stop phrase (optional)' }), 'THE END')
    await fireEvent.update(within(form).getByRole('combobox', { name: 'When a turn fails' }), 'fail')
    await fireEvent.update(picker, AGENT_ID)
    await fireEvent.click(within(form).getByRole('button', { name: 'Add seat' }))
    await fireEvent.update(picker, AGENT_B)
    await fireEvent.click(within(form).getByRole('button', { name: 'Add seat' }))
    await fireEvent.update(picker, AGENT_ID)
    await fireEvent.click(within(form).getByRole('button', { name: 'Add seat' }))
    const seats = within(form).getByRole('list', { name: 'Seats' })
    expect(within(seats).getAllByRole('listitem').map((item) => item.getAttribute('aria-label'))).toEqual([
      'Seat 1: Writer',
      'Seat 2: Critic',
      'Seat 3: Writer',
    ])
    // The Critic goes first; the second Writer leaves.
    await fireEvent.click(within(seats).getByRole('button', { name: 'Move Critic up' }))
    await fireEvent.click(within(seats).getAllByRole('button', { name: 'Remove Writer' })[1]!)
    expect(within(seats).getAllByRole('listitem').map((item) => item.getAttribute('aria-label'))).toEqual([
      'Seat 1: Critic',
      'Seat 2: Writer',
    ])
    await fireEvent.update(within(seats).getByRole('textbox', { name: 'Instructions for Critic (optional)' }), 'Be harsh.')

    await fireEvent.click(within(form).getByRole('button', { name: 'Create room' }))
    await waitFor(() => expect(router.currentRoute.value.fullPath).toBe(`/rooms/${ROOM_ID}`))
    expect(created).toEqual([
      {
        name: 'Story time',
        task: 'Write a short story together.',
        mode: 'parallel',
        max_rounds: 4,
        stop_phrase: 'THE END',
        on_turn_failure: 'fail',
        seats: [
          { agent: AGENT_B, instructions: 'Be harsh.' },
          { agent: AGENT_ID, instructions: '' },
        ],
      },
    ])
  })

  it("shows the server's field errors beside their fields, a seat's beside that seat", async () => {
    const created: unknown[] = []
    backend(created, () =>
      HttpResponse.json(
        {
          name: ['Ensure this field has no more than 200 characters.'],
          max_rounds: ['Ensure this value is less than or equal to 50.'],
          seats: [{}, { agent: ['Invalid pk "x" - object does not exist.'] }],
        },
        { status: 400 },
      ),
    )
    await renderView(RoomListView, { path: '/rooms' })
    const form = screen.getByRole('form', { name: 'New room' })
    const picker = within(form).getByRole('combobox', { name: 'Agent' })
    await within(picker).findByRole('option', { name: 'Critic (synthetic)' })
    await fireEvent.update(within(form).getByRole('textbox', { name: 'Name' }), 'Long')
    await fireEvent.update(within(form).getByRole('spinbutton', { name: 'Rounds' }), '99')
    for (const id of [AGENT_ID, AGENT_B]) {
      await fireEvent.update(picker, id)
      await fireEvent.click(within(form).getByRole('button', { name: 'Add seat' }))
    }
    await fireEvent.click(within(form).getByRole('button', { name: 'Create room' }))
    expect(await within(form).findByText('Ensure this field has no more than 200 characters.')).toBeInTheDocument()
    expect(within(form).getByRole('textbox', { name: 'Name' })).toHaveAttribute('aria-invalid', 'true')
    expect(within(form).getByText('Ensure this value is less than or equal to 50.')).toBeInTheDocument()
    const critic = within(form).getByRole('listitem', { name: 'Seat 2: Critic' })
    expect(within(critic).getByText('Invalid pk "x" - object does not exist.')).toBeInTheDocument()
    expect(within(form).queryByRole('alert')).not.toBeInTheDocument()
    expect(created).toHaveLength(1)

    // A refusal of the seats as a whole is told under them.
    server.use(http.post('/api/rooms/', () => HttpResponse.json({ seats: ['Only your own agents can take a seat.'] }, { status: 400 })))
    await fireEvent.click(within(form).getByRole('button', { name: 'Create room' }))
    expect(await within(form).findByText('Only your own agents can take a seat.')).toBeInTheDocument()

    // Any other failure, in words.
    server.use(http.post('/api/rooms/', () => HttpResponse.json({ detail: 'Server unhappy' }, { status: 500 })))
    await fireEvent.click(within(form).getByRole('button', { name: 'Create room' }))
    expect(await within(form).findByRole('alert')).toHaveTextContent('Could not create the room: The server had a problem (500).')
  })
})
