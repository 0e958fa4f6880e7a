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
    expect(cells).toEqual(['2', '-', 'local', 'qwen', '-', '-', '-', '-'])
  })

  it('lists each reported call with its tokens, finish reason and time, and their totals', () => {
    const events = [
      ev.started(1),
      ev.modelCall(2, { purpose: 'decision', prompt_tokens: 100, completion_tokens: 9 }),
      ev.token(3, 'Hi'),
      ev.modelCall(4, { finish_reason: 'length', prompt_tokens: 120, completion_tokens: 64 }),
      ev.completed(5, { text: 'Hi', provider: 'local', model: 'SmolLM2-135M-Instruct', finish_reason: 'length' }),
    ]
    render(ModelCalls, { props: { events, count: events.length } })
    const rows = screen.getAllByRole('row').slice(1).map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent!.trim()))
    expect(rows).toEqual([
      ['2', 'decision', 'local', 'SmolLM2-135M-Instruct', '100', '9', 'stop', '850 ms'],
      ['4', 'answer', 'local', 'SmolLM2-135M-Instruct', '120', '64', 'length', '850 ms'],
    ])
    expect(screen.getByText(/2 calls: 220 prompt and\s+73 completion tokens/)).toBeInTheDocument()
  })
})
