import { fireEvent, screen, waitFor, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import type { MemoryItem, MemoryMatch } from '@/api/types'
import { at } from '@/test-utils/events'
import { renderView } from '@/test-utils/render'
import { paginated, server } from '@/test-utils/server'
import MemoryView from './MemoryView.vue'

function item(overrides: Partial<MemoryItem> = {}): MemoryItem {
  return {
    id: 'm1',
    namespace: 'default',
    key: 'favourite_colour',
    value: 'blue',
    created_at: at(0),
    updated_at: at(0),
    ...overrides,
  }
}

function rowOf(key: string) {
  return screen.getByRole('row', { name: new RegExp(key) })
}

describe('MemoryView', () => {
  it('lists the items of a namespace, a page at a time', async () => {
    const asked: string[] = []
    server.use(
      http.get('/api/memory/', ({ request }) => {
        const query = new URL(request.url).searchParams
        asked.push(`${query.get('namespace') ?? ''}:${query.get('page')}`)
        if (query.get('page') === '2') return HttpResponse.json(paginated([item({ id: 'm3', key: 'city', value: 'Oslo' })], { previous: 'p' }))
        return HttpResponse.json(
          paginated([item(), item({ id: 'm2', key: 'diet', namespace: 'food', value: { vegetarian: true } })], { next: 'n' }),
        )
      }),
    )
    await renderView(MemoryView, { path: '/memory' })
    expect(await screen.findByRole('row', { name: /favourite_colour/ })).toHaveTextContent('blue')
    expect(rowOf('diet')).toHaveTextContent('{"vegetarian":true}')
    expect(rowOf('diet')).toHaveTextContent('food')
    await fireEvent.click(screen.getByRole('button', { name: 'Next' }))
    await screen.findByRole('row', { name: /city/ })
    await fireEvent.update(screen.getByLabelText('Namespace'), 'food')
    await fireEvent.click(screen.getByRole('button', { name: 'Show this namespace' }))
    await waitFor(() => expect(asked).toEqual([':1', ':2', 'food:1']))
  })

  it('creates an item, showing a field error beside its field', async () => {
    const bodies: unknown[] = []
    server.use(
      http.get('/api/memory/', () => HttpResponse.json(paginated([item()]))),
      http.post('/api/memory/', async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>
        bodies.push(body)
        if (body.key === 'favourite_colour') {
          return HttpResponse.json({ key: ['An item with this key exists in this namespace already.'] }, { status: 400 })
        }
        return HttpResponse.json(item({ id: 'm9', key: String(body.key), value: body.value, namespace: 'work' }), { status: 201 })
      }),
    )
    await renderView(MemoryView, { path: '/memory' })
    await screen.findByRole('row', { name: /favourite_colour/ })
    const form = screen.getByRole('form', { name: 'New memory item' })
    await fireEvent.click(within(form).getByRole('button', { name: 'Remember' }))
    expect(within(form).getByLabelText('Key')).toHaveAccessibleDescription('Give the item a key.')
    expect(bodies).toEqual([])

    await fireEvent.update(within(form).getByLabelText('Key'), 'favourite_colour')
    await fireEvent.update(within(form).getByLabelText('Value'), 'green')
    await fireEvent.click(within(form).getByRole('button', { name: 'Remember' }))
    await waitFor(() =>
      expect(within(form).getByLabelText('Key')).toHaveAccessibleDescription(
        'An item with this key exists in this namespace already.',
      ),
    )
    expect(bodies).toEqual([{ key: 'favourite_colour', value: 'green' }])

    // A JSON value: a parse error is shown before anything is sent.
    await fireEvent.update(within(form).getByLabelText('Namespace (optional)'), 'work')
    await fireEvent.update(within(form).getByLabelText('Key'), 'hours')
    await fireEvent.update(within(form).getByLabelText('The value is'), 'json')
    await fireEvent.update(within(form).getByLabelText('Value (JSON)'), '{"start": 9,')
    await fireEvent.click(within(form).getByRole('button', { name: 'Remember' }))
    expect(within(form).getByLabelText('Value (JSON)')).toHaveAccessibleDescription(/This is not valid JSON/)
    expect(bodies).toHaveLength(1)
    await fireEvent.update(within(form).getByLabelText('Value (JSON)'), '{"start": 9, "end": 17}')
    await fireEvent.click(within(form).getByRole('button', { name: 'Remember' }))
    expect(await screen.findByRole('row', { name: /hours/ })).toHaveTextContent('{"start":9,"end":17}')
    expect(bodies[1]).toEqual({ namespace: 'work', key: 'hours', value: { start: 9, end: 17 } })
  })

  it('edits a text value as text and a JSON value as JSON', async () => {
    const patches: unknown[] = []
    server.use(
      http.get('/api/memory/', () =>
        HttpResponse.json(paginated([item(), item({ id: 'm2', key: 'pets', value: ['cat'] })])),
      ),
      http.patch('/api/memory/:id/', async ({ request, params }) => {
        const body = (await request.json()) as { value: unknown }
        patches.push({ id: params.id, ...body })
        const key = params.id === 'm1' ? 'favourite_colour' : 'pets'
        return HttpResponse.json(item({ id: String(params.id), key, value: body.value, updated_at: at(60_000) }))
      }),
    )
    await renderView(MemoryView, { path: '/memory' })
    await screen.findByRole('row', { name: /favourite_colour/ })
    await fireEvent.click(screen.getByRole('button', { name: 'Edit favourite_colour' }))
    const text = screen.getByLabelText('Value of favourite_colour')
    expect(text).toHaveValue('blue')
    await fireEvent.update(text, 'teal')
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(rowOf('favourite_colour')).toHaveTextContent('teal'))
    expect(screen.queryByLabelText('Value of favourite_colour')).not.toBeInTheDocument()

    await fireEvent.click(screen.getByRole('button', { name: 'Edit pets' }))
    const json = screen.getByLabelText('Value of pets (JSON)')
    expect(json).toHaveValue('[\n  "cat"\n]')
    await fireEvent.update(json, '["cat", ')
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    expect(json).toHaveAccessibleDescription(/This is not valid JSON/)
    await fireEvent.update(json, '["cat", "dog"]')
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(rowOf('pets')).toHaveTextContent('["cat","dog"]'))
    expect(patches).toEqual([
      { id: 'm1', value: 'teal' },
      { id: 'm2', value: ['cat', 'dog'] },
    ])
  })

  it('deletes an item once confirmed', async () => {
    const deleted: unknown[] = []
    server.use(
      http.get('/api/memory/', () => HttpResponse.json(paginated([item(), item({ id: 'm2', key: 'city', value: 'Oslo' })]))),
      http.delete('/api/memory/:id/', ({ params }) => {
        deleted.push(params.id)
        return new HttpResponse(null, { status: 204 })
      }),
    )
    await renderView(MemoryView, { path: '/memory' })
    await screen.findByRole('row', { name: /city/ })
    await fireEvent.click(within(rowOf('city')).getByRole('button', { name: 'Delete' }))
    await fireEvent.click(screen.getByRole('button', { name: 'Yes, forget it' }))
    await waitFor(() => expect(screen.queryByRole('row', { name: /city/ })).not.toBeInTheDocument())
    expect(rowOf('favourite_colour')).toBeInTheDocument()
    expect(deleted).toEqual(['m2'])
  })

  it('searches, showing how each item was found', async () => {
    const searched: string[] = []
    const matches: MemoryMatch[] = [
      { ...item({ id: 'm2', key: 'diet', value: 'vegetarian' }), score: 0.91, match: 'semantic' },
      { ...item({ id: 'm3', key: 'lunch', value: 'soup' }), score: 0.5, match: 'keyword' },
    ]
    server.use(
      http.get('/api/memory/', () => HttpResponse.json(paginated([item()]))),
      http.get('/api/memory/search/', ({ request }) => {
        const query = new URL(request.url).searchParams
        searched.push(`${query.get('q')}|${query.get('namespace') ?? ''}`)
        return HttpResponse.json(query.get('q') === 'nothing' ? [] : matches)
      }),
    )
    await renderView(MemoryView, { path: '/memory' })
    await screen.findByRole('row', { name: /favourite_colour/ })
    const search = screen.getByRole('search', { name: 'Search memory' })
    await fireEvent.click(within(search).getByRole('button', { name: 'Search' }))
    expect(within(search).getByLabelText('Search')).toHaveAccessibleDescription('Say what to look for.')

    await fireEvent.update(within(search).getByLabelText('Search'), 'what do I eat')
    await fireEvent.click(within(search).getByRole('button', { name: 'Search' }))
    const results = await screen.findByRole('list', { name: 'Search results' })
    const [first, second] = within(results).getAllByRole('listitem')
    expect(first).toHaveTextContent('diet')
    expect(first).toHaveTextContent('By meaning')
    expect(first).toHaveTextContent('score 0.91')
    expect(second).toHaveTextContent('lunch')
    expect(second).toHaveTextContent('By words')

    await fireEvent.update(within(search).getByLabelText('Search'), 'nothing')
    await fireEvent.click(within(search).getByRole('button', { name: 'Search' }))
    expect(await screen.findByText('Nothing in memory matches.')).toBeInTheDocument()
    await fireEvent.click(screen.getByRole('button', { name: 'Clear search' }))
    expect(screen.queryByRole('heading', { name: 'Search results' })).not.toBeInTheDocument()
    expect(searched).toEqual(['what do I eat|', 'nothing|'])
  })
})
