import { render, screen } from '@testing-library/vue'
import { describe, expect, it } from 'vitest'
import { applyEvent, createLiveLog } from '@/lib/liveLog'
import { ev, TOOL_CONFIRMATION } from '@/test-utils/events'
import LiveLog from './LiveLog.vue'

function logOf(...events: ReturnType<typeof ev.started>[]) {
  const log = createLiveLog('e')
  events.forEach((event) => applyEvent(log, event))
  return log
}

describe('LiveLog', () => {
  it('shows the token stream as text, the stage and its progress', () => {
    const log = logOf(ev.started(1), ev.progress(2, 'writing', 40), ev.token(3, 'Hello'), ev.token(4, ' there'))
    render(LiveLog, { props: { log, status: 'running' } })
    expect(screen.getByTestId('token-text')).toHaveTextContent('Hello there')
    const bar = screen.getByRole('progressbar', { name: 'Stage: writing' })
    expect(bar).toHaveAttribute('value', '40')
  })

  it("shows the latest progress event's percent, and 100% once the execution completed", async () => {
    const log = logOf(ev.started(1), ev.progress(2, 'planning', 10), ev.progress(3, 'writing', 60))
    const { rerender } = render(LiveLog, { props: { log, status: 'running' } })
    expect(screen.getByRole('progressbar', { name: 'Stage: writing' })).toHaveAttribute('value', '60')
    expect(screen.getByText('60%')).toBeInTheDocument()

    await rerender({ log: logOf(ev.started(1), ev.progress(2, 'writing', 60), ev.completed(3)), status: 'completed' })
    expect(screen.getByRole('progressbar', { name: 'Last stage: writing' })).toHaveAttribute('value', '100')
    expect(screen.getByText('100%')).toBeInTheDocument()
  })

  it('keeps the last percent of a run that stopped, and shows no number before one is known', async () => {
    const { rerender } = render(LiveLog, { props: { log: logOf(ev.started(1)), status: 'running' } })
    expect(screen.getByRole('progressbar', { name: 'Waiting for the agent…' })).not.toHaveAttribute('value')
    expect(screen.queryByText(/%$/)).not.toBeInTheDocument()
    await rerender({ log: logOf(ev.started(1), ev.progress(2, 'writing', 35), ev.stopped(3)), status: 'stopped' })
    expect(screen.getByRole('progressbar', { name: 'Last stage: writing' })).toHaveAttribute('value', '35')
  })

  it('shows steps and tool calls as collapsible entries', () => {
    const log = logOf(ev.started(1), ev.step(2, 'search'), ev.toolCall(3, 'web'), ev.message(4, 'Found it'))
    render(LiveLog, { props: { log, status: 'running' } })
    const events = screen.getByRole('log', { name: 'Events' })
    expect(events.querySelectorAll('details')).toHaveLength(3)
    expect(screen.getByText('Step: search').tagName).toBe('SUMMARY')
    expect(screen.getByText('Tool call: web').tagName).toBe('SUMMARY')
    expect(screen.getByText('Found it')).toBeInTheDocument()
  })

  it('shows a model call in one line: what for, how it ended, its tokens and time', () => {
    const log = logOf(ev.started(1), ev.modelCall(2, { purpose: 'decision', prompt_tokens: 41, completion_tokens: 7 }))
    render(LiveLog, { props: { log, status: 'running' } })
    expect(screen.getByText('Model call: decision · stop · 41 + 7 tokens · 850 ms').tagName).toBe('SUMMARY')
  })

  it('says when an answer stopped at max_tokens, or was ended for repeating itself', async () => {
    const cut = logOf(ev.started(1), ev.token(2, 'Once upon'), ev.completed(3, { text: 'Once upon', finish_reason: 'length' }))
    const { rerender } = render(LiveLog, { props: { log: cut, status: 'completed' } })
    expect(screen.getByRole('status')).toHaveTextContent("stopped at the agent's max_tokens, so it is cut short")

    const loop = logOf(ev.started(1), ev.completed(2, { text: 'aye aye', finish_reason: 'repetition' }))
    await rerender({ log: loop, status: 'completed' })
    expect(screen.getByRole('status')).toHaveTextContent('ended because it had started repeating itself')

    await rerender({ log: logOf(ev.started(1), ev.completed(2, { text: 'Done.', finish_reason: 'stop' })), status: 'completed' })
    expect(screen.queryByRole('status')).not.toBeInTheDocument()
  })

  it('shows the newest 100 entries of a long run, and says where the rest are', () => {
    const steps = Array.from({ length: 250 }, (_, index) => ev.step(index + 2, `s${index + 1}`))
    render(LiveLog, { props: { log: logOf(ev.started(1), ...steps), status: 'running' } })
    const entries = screen.getByRole('log', { name: 'Events' }).querySelectorAll('li')
    expect(entries).toHaveLength(100)
    expect(entries[99]).toHaveTextContent('Step: s250')
    expect(screen.getByText(/The last 100 of 251 entries/)).toBeInTheDocument()
  })

  it('says why a requeued execution is started again, and which run started', () => {
    const log = logOf(ev.started(1), ev.requeued(2, 2, 'worker_lost'), ev.started(3, { attempt: 2 }), ev.token(4, 'Hi'))
    render(LiveLog, { props: { log, status: 'running' } })
    const entries = screen.getByRole('log', { name: 'Events' }).querySelectorAll('li')
    expect([...entries].map((entry) => entry.querySelector('summary, p')!.textContent!.trim())).toEqual([
      'Started',
      'Starting again (attempt 2): The worker running this execution stopped responding.',
      'Started (attempt 2)',
    ])
    expect(screen.getByTestId('token-text')).toHaveTextContent('Hi')
  })

  it('waits for the agent again while a requeued execution is pending', () => {
    const log = logOf(ev.started(1), ev.requeued(2, 2, 'worker_shutdown'))
    render(LiveLog, { props: { log, status: log.status } })
    expect(screen.getByRole('progressbar', { name: 'Waiting for the agent…' })).toBeInTheDocument()
    expect(
      screen.getByText('Starting again (attempt 2): The worker running this execution was stopped before the run finished.'),
    ).toBeInTheDocument()
  })

  it('puts a failure in plain words', () => {
    const log = logOf(ev.started(1), ev.error(2, 'lease expired', 'worker_lost'))
    render(LiveLog, { props: { log, status: 'failed' } })
    expect(screen.getByRole('alert')).toHaveTextContent('The worker running this execution stopped responding')
  })

  it('shows what the run waits for, and its resume, as entries', () => {
    const log = logOf(ev.started(1), ev.interrupted(2))
    const { unmount } = render(LiveLog, { props: { log, status: log.status } })
    expect(screen.getByRole('progressbar', { name: 'Waiting for input' })).toBeInTheDocument()
    expect(screen.getByText(/Asked: Which colour\?/)).toHaveTextContent('Asked: Which colour? (red, blue)')
    unmount()

    const confirmed = logOf(ev.started(1), ev.interrupted(2, TOOL_CONFIRMATION), ev.resumed(3))
    render(LiveLog, { props: { log: confirmed, status: confirmed.status } })
    expect(screen.getByText('Waiting for approval: send_email')).toBeInTheDocument()
    expect(screen.getByText('Answered; resumed.')).toBeInTheDocument()
  })
})
