import { render, screen } from '@testing-library/vue'
import { describe, expect, it } from 'vitest'
import { applyEvent, createLiveLog } from '@/lib/liveLog'
import type { ExecutionEvent } from '@/realtime/frames'
import { ev } from '@/test-utils/events'
import ExecutionTimeline from './ExecutionTimeline.vue'

function logOf(events: ExecutionEvent[]) {
  const log = createLiveLog('e')
  events.forEach((event) => applyEvent(log, event))
  return log
}

describe('ExecutionTimeline', () => {
  it('draws one bar per stage, step, tool call and token run, sized by duration', () => {
    const events = [
      ev.started(1, { ms: 0 }),
      ev.progress(2, 'plan', 0, { ms: 0 }),
      ev.toolCall(3, 'search', { ms: 250 }),
      ev.toolResult(4, 'search', { ms: 750 }),
      ev.token(5, 'a', { ms: 750 }),
      ev.token(6, 'b', { ms: 1000 }),
      ev.completed(7, null, { ms: 1000 }),
    ]
    render(ExecutionTimeline, { props: { log: logOf(events), running: false } })
    const figure = screen.getByRole('figure', { name: '1.00 s in total' })
    const rows = figure.querySelectorAll('li')
    expect([...rows].map((row) => row.querySelector('.label')!.textContent!.trim())).toEqual([
      'Stage plan',
      'Tool call search',
      'Tokens 2 tokens',
    ])
    const toolBar = rows[1]!.querySelector<HTMLElement>('.bar')!
    expect(toolBar.style.left).toBe('25%')
    expect(toolBar.style.width).toBe('50%')
    expect(rows[1]).toHaveTextContent('500 ms')
  })

  it('names the run it draws once an execution was started again', () => {
    const events = [
      ev.started(1, { ms: 0 }),
      ev.requeued(2, 2, 'worker_lost', { ms: 30_000 }),
      ev.started(3, { ms: 31_000, attempt: 2 }),
      ev.completed(4, null, { ms: 32_000 }),
    ]
    render(ExecutionTimeline, { props: { log: logOf(events), running: false } })
    expect(screen.getByRole('figure', { name: '1.00 s in total (attempt 2)' })).toBeInTheDocument()
  })

  it('says so when there is nothing to draw', () => {
    render(ExecutionTimeline, { props: { log: logOf([]), running: false } })
    expect(screen.getByText('No events to draw a timeline from yet.')).toBeInTheDocument()
  })
})
