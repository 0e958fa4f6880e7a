import { render, screen, within } from '@testing-library/vue'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { at, execution } from '@/test-utils/events'
import ExecutionHistory from './ExecutionHistory.vue'

const router = createRouter({
  history: createMemoryHistory(),
  routes: [{ path: '/executions/:id', name: 'execution', component: { render: () => null } }],
})

function durationCell() {
  const [, row] = screen.getAllByRole('row')
  return within(row!).getAllByRole('cell')[3]!
}

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(Date.parse(at(2000)))
})
afterEach(() => {
  vi.useRealTimers()
})

describe('ExecutionHistory', () => {
  it('lets the duration of a running execution tick, and freezes it when it ends', async () => {
    const running = execution({ status: 'running', started_at: at(0), completed_at: null })
    const { rerender } = render(ExecutionHistory, { props: { executions: [running] }, global: { plugins: [router] } })
    expect(durationCell()).toHaveTextContent('2.00 s')
    await vi.advanceTimersByTimeAsync(3000)
    expect(durationCell()).toHaveTextContent('5.00 s')

    await rerender({ executions: [{ ...running, status: 'completed', completed_at: at(5500) }] })
    expect(durationCell()).toHaveTextContent('5.50 s')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(durationCell()).toHaveTextContent('5.50 s')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('shows no duration before an execution starts', () => {
    render(ExecutionHistory, {
      props: { executions: [execution({ status: 'pending', started_at: null })] },
      global: { plugins: [router] },
    })
    expect(durationCell()).toHaveTextContent('-')
    expect(screen.getByRole('cell', { name: 'Pending' })).toBeInTheDocument()
  })

  it('shows which run an execution is at once it was started again', () => {
    render(ExecutionHistory, {
      props: { executions: [execution({ id: 'again', status: 'pending', attempt: 2 }), execution({ id: 'once' })] },
      global: { plugins: [router] },
    })
    const [, again, once] = screen.getAllByRole('row')
    expect(within(again!).getAllByRole('cell')[1]).toHaveTextContent('Pending attempt 2')
    expect(within(once!).getAllByRole('cell')[1]).toHaveTextContent(/^Running$/)
  })
})
