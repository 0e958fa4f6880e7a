import { render, screen } from '@testing-library/vue'
import { describe, expect, it } from 'vitest'
import { ev } from '@/test-utils/events'
import ModelCalls from './ModelCalls.vue'

describe('ModelCalls', () => {
  it('says when no model call is reported', () => {
    const events = [ev.started(1), ev.completed(2, { text: 'x' })]
    render(ModelCalls, { props: { events, count: events.length } })
    expect(screen.getByText('No model calls reported')).toBeInTheDocument()
  })

  it('lists the provider and model the output names', () => {
    const events = [ev.started(1), ev.completed(2, { text: 'x', provider: 'local', model: 'qwen' })]
    render(ModelCalls, { props: { events, count: events.length } })
    const cells = screen.getAllByRole('cell').map((cell) => cell.textContent)
    expect(cells).toEqual(['2', 'local', 'qwen', '-', '-', '-', '-'])
  })
})
