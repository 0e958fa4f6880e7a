import { fireEvent, render, screen, within } from '@testing-library/vue'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExecutionEvent } from '@/realtime/frames'
import { ev } from '@/test-utils/events'
import EventHistory from './EventHistory.vue'

// happy-dom lays nothing out: give the scroller a height so the list has rows in view.
const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight')
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 480 })
})
afterAll(() => {
  if (original) Object.defineProperty(HTMLElement.prototype, 'clientHeight', original)
})

function manyEvents(n: number): ExecutionEvent[] {
  const events: ExecutionEvent[] = [ev.started(1)]
  for (let seq = 2; seq <= n; seq++) events.push(ev.progress(seq, `stage ${seq}`, 0))
  return events
}

describe('EventHistory', () => {
  it('renders only the rows in view of a long history', async () => {
    const events = manyEvents(10_000)
    render(EventHistory, { props: { events, count: events.length } })
    const list = await screen.findByRole('list', { name: 'Event history' })
    const rows = within(list).getAllByRole('listitem')
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.length).toBeLessThan(100)
    expect(rows[0]).toHaveAttribute('data-seq', '1')
    expect(screen.getByTestId('history-count')).toHaveTextContent('10,000 events')
  })

  it('folds tokens, expands them, shows a row JSON and filters by type', async () => {
    const events = [ev.started(1), ev.token(2, 'Once'), ev.token(3, ' upon'), ev.completed(4, { text: 'Once upon' })]
    const view = render(EventHistory, { props: { events, count: events.length } })
    const list = await screen.findByRole('list', { name: 'Event history' })
    expect(within(list).getAllByRole('listitem')).toHaveLength(3)
    expect(within(list).getByText('2 tokens: Once upon')).toBeInTheDocument()

    await fireEvent.click(within(list).getByRole('button', { name: 'Show tokens' }))
    expect(within(list).getAllByRole('listitem')).toHaveLength(5)
    expect(list.querySelectorAll('.child')).toHaveLength(2)

    await fireEvent.click(within(list).getAllByRole('button', { name: 'JSON' })[0]!)
    expect(list.querySelector('pre')).toHaveTextContent('"type": "execution_started"')

    // A live event is folded in.
    events.push(ev.stopped(5))
    await view.rerender({ events, count: events.length })
    expect(list.querySelector('[data-seq="5"]')).not.toBeNull()

    await fireEvent.update(screen.getByRole('combobox', { name: 'Filter by event type' }), 'execution_completed')
    expect(within(list).getAllByRole('listitem').map((row) => row.getAttribute('data-seq'))).toEqual(['4'])
  })

  it('shows events appended to the same array, unexpanded and unfiltered', async () => {
    const events: ExecutionEvent[] = [ev.started(1)]
    const view = render(EventHistory, { props: { events, count: events.length } })
    const list = await screen.findByRole('list', { name: 'Event history' })
    expect(within(list).getAllByRole('listitem')).toHaveLength(1)
    events.push(ev.token(2, 'a'), ev.token(3, 'b'), ev.progress(4, 'done', 100))
    await view.rerender({ events, count: events.length })
    expect(within(list).getAllByRole('listitem').map((row) => row.getAttribute('data-seq'))).toEqual(['1', '3', '4'])
    events.push(ev.progress(4, 'done', 100), ev.completed(5))
    await view.rerender({ events, count: events.length })
    // The repeated seq 4 is not shown twice.
    expect(within(list).getAllByRole('listitem').map((row) => row.getAttribute('data-seq'))).toEqual(['1', '3', '4', '5'])
  })
})
