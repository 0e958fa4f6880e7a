// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { at, ev, INTERRUPT_ID, QUESTION, TOOL_CONFIRMATION } from '@/test-utils/events'
import { applyEvent, createLiveLog, hasGap } from './liveLog'

describe('live log reducer', () => {
  it('appends token deltas in seq order to the text', () => {
    const log = createLiveLog('e')
    applyEvent(log, ev.started(1))
    applyEvent(log, ev.token(2, 'Hel'))
    expect(log.text).toBe('Hel')
    applyEvent(log, ev.token(3, 'lo, '))
    applyEvent(log, ev.token(4, 'world'))
    expect(log.text).toBe('Hello, world')
    expect(log.tokenCount).toBe(3)
  })

  it('applies an event it has already seen only once', () => {
    const log = createLiveLog('e')
    applyEvent(log, ev.started(1))
    applyEvent(log, ev.token(2, 'a'))
    expect(applyEvent(log, ev.token(2, 'a'))).toEqual({ status: 'duplicate' })
    expect(applyEvent(log, ev.started(1))).toEqual({ status: 'duplicate' })
    expect(log.text).toBe('a')
    expect(log.events.map((event) => event.seq)).toEqual([1, 2])
  })

  it('holds events after a gap and asks once for the missing range', () => {
    const log = createLiveLog('e')
    applyEvent(log, ev.started(1))
    applyEvent(log, ev.token(2, 'a'))
    expect(applyEvent(log, ev.token(5, 'd'))).toEqual({ status: 'gap', resubscribeFrom: 2 })
    expect(applyEvent(log, ev.token(6, 'e'))).toEqual({ status: 'gap', resubscribeFrom: null })
    expect(log.lastSeq).toBe(2)
    expect(log.text).toBe('a')
    expect(hasGap(log)).toBe(true)

    applyEvent(log, ev.token(3, 'b'))
    expect(log.text).toBe('ab')
    expect(applyEvent(log, ev.token(4, 'c'))).toEqual({ status: 'applied', applied: 3 })
    expect(log.text).toBe('abcde')
    expect(log.lastSeq).toBe(6)
    expect(hasGap(log)).toBe(false)
  })

  it('asks again for a new gap after the first one was filled', () => {
    const log = createLiveLog('e')
    expect(applyEvent(log, ev.token(2, 'b'))).toEqual({ status: 'gap', resubscribeFrom: 0 })
    applyEvent(log, ev.started(1))
    expect(applyEvent(log, ev.token(4, 'd'))).toEqual({ status: 'gap', resubscribeFrom: 2 })
  })

  it('treats a replayed event that is already held as a duplicate', () => {
    const log = createLiveLog('e')
    applyEvent(log, ev.started(1))
    applyEvent(log, ev.token(3, 'c'))
    expect(applyEvent(log, ev.token(3, 'c'))).toEqual({ status: 'duplicate' })
    applyEvent(log, ev.token(2, 'b'))
    expect(log.text).toBe('bc')
  })

  it('keeps the latest progress for the progress bar', () => {
    const log = createLiveLog('e')
    applyEvent(log, ev.started(1))
    applyEvent(log, ev.progress(2, 'planning', 10))
    applyEvent(log, ev.progress(3, 'writing', 60))
    expect(log.progress).toMatchObject({ stage: 'writing', percent: 60, seq: 3 })
  })

  it('lists steps, tool calls, results and messages as entries', () => {
    const log = createLiveLog('e')
    applyEvent(log, ev.started(1))
    applyEvent(log, ev.step(2, 'search'))
    applyEvent(log, ev.toolCall(3, 'web'))
    applyEvent(log, ev.toolResult(4, 'web'))
    applyEvent(log, ev.message(5, 'Hi there'))
    expect(log.entries.map((entry) => entry.kind)).toEqual(['started', 'step', 'tool_call', 'tool_result', 'message'])
  })

  it.each([
    [ev.completed(3), 'completed'],
    [ev.error(3, 'boom', 'worker_lost'), 'failed'],
    [ev.stopped(3), 'stopped'],
  ] as const)('ends in the terminal state the last event names', (terminal, status) => {
    const log = createLiveLog('e')
    expect(log.status).toBeNull()
    applyEvent(log, ev.started(1))
    expect(log.status).toBe('running')
    applyEvent(log, ev.token(2, 'x'))
    applyEvent(log, terminal)
    expect(log.status).toBe(status)
  })

  it('notes when the execution started and ended', () => {
    const log = createLiveLog('e')
    applyEvent(log, ev.started(1, { ms: 100 }))
    applyEvent(log, ev.token(2, 'x', { ms: 200 }))
    expect(log).toMatchObject({ startedAt: at(100), endedAt: null })
    applyEvent(log, ev.stopped(3, { ms: 900 }))
    expect(log).toMatchObject({ startedAt: at(100), endedAt: at(900) })
  })

  it('applies the stream of a requeued execution without a gap, back to pending and running again', () => {
    const log = createLiveLog('e')
    const stream = [
      ev.started(1, { ms: 100 }),
      ev.requeued(2, 2, 'worker_lost', { ms: 5000 }),
      ev.started(3, { ms: 5200, attempt: 2 }),
      ev.progress(4, 'writing', 50, { ms: 5300 }),
      ev.token(5, 'Hi', { ms: 5400 }),
      ev.completed(6, { text: 'Hi' }, { ms: 5500 }),
    ]
    const statuses = stream.map((event) => {
      expect(applyEvent(log, event)).toEqual({ status: 'applied', applied: 1 })
      return log.status
    })
    expect(statuses).toEqual(['running', 'pending', 'running', 'running', 'running', 'completed'])
    expect(log.lastSeq).toBe(6)
    expect(hasGap(log)).toBe(false)
    expect(log.attempt).toBe(2)
    // The run that counts is the one that started last.
    expect(log).toMatchObject({ startedAt: at(5200), endedAt: at(5500), text: 'Hi', output: { text: 'Hi' } })
    expect(log.entries.map((entry) => entry.kind)).toEqual(['started', 'requeued', 'started', 'completed'])
    expect(log.entries[1]).toEqual({
      kind: 'requeued',
      seq: 2,
      timestamp: at(5000),
      attempt: 2,
      code: 'worker_lost',
      message: 'The worker running this execution stopped responding.',
    })
    expect(log.entries[2]).toMatchObject({ kind: 'started', attempt: 2 })
  })

  it('holds the rest of a requeued stream until the requeue itself arrives', () => {
    const log = createLiveLog('e')
    applyEvent(log, ev.started(1))
    expect(applyEvent(log, ev.started(3, { attempt: 2 }))).toEqual({ status: 'gap', resubscribeFrom: 1 })
    expect(log.status).toBe('running')
    expect(applyEvent(log, ev.requeued(2, 2, 'worker_shutdown'))).toEqual({ status: 'applied', applied: 2 })
    expect(log).toMatchObject({ status: 'running', attempt: 2, lastSeq: 3 })
  })

  it('keeps the output, the error and the stop message', () => {
    const done = createLiveLog('e')
    applyEvent(done, ev.started(1))
    applyEvent(done, ev.completed(2, { answer: 42 }))
    expect(done.output).toEqual({ answer: 42 })

    const failed = createLiveLog('f')
    applyEvent(failed, ev.started(1))
    applyEvent(failed, ev.error(2, 'The model is down', 'llm_error'))
    expect(failed.error).toEqual({ message: 'The model is down', code: 'llm_error' })
  })

  it('waits for a person from an interrupt until the run is resumed, and lists both', () => {
    const log = createLiveLog('e')
    applyEvent(log, ev.started(1))
    applyEvent(log, ev.token(2, 'So '))
    applyEvent(log, ev.interrupted(3))
    expect(log).toMatchObject({ status: 'waiting_input', interrupt: QUESTION })
    expect(log.entries.at(-1)).toEqual({ kind: 'interrupted', seq: 3, timestamp: at(30), interrupt: QUESTION })
    applyEvent(log, ev.resumed(4))
    expect(log).toMatchObject({ status: 'running', interrupt: null })
    expect(log.entries.at(-1)).toEqual({ kind: 'resumed', seq: 4, timestamp: at(40), interruptId: INTERRUPT_ID })
    applyEvent(log, ev.token(5, 'red'))
    applyEvent(log, ev.completed(6, { text: 'So red', answer: 'red' }))
    expect(log).toMatchObject({ status: 'completed', text: 'So red', lastSeq: 6 })
  })

  it('forgets what the run waited for once it ends unanswered', () => {
    const log = createLiveLog('e')
    applyEvent(log, ev.started(1))
    applyEvent(log, ev.interrupted(2, TOOL_CONFIRMATION))
    expect(log.interrupt).toEqual(TOOL_CONFIRMATION)
    applyEvent(log, ev.stopped(3))
    expect(log).toMatchObject({ status: 'stopped', interrupt: null })
  })

  it('waits again, answered, when a resumed run is lost before its first agent event', () => {
    const log = createLiveLog('e')
    applyEvent(log, ev.started(1))
    applyEvent(log, ev.interrupted(2))
    applyEvent(log, ev.resumed(3))
    applyEvent(log, ev.requeued(4, 2))
    expect(log).toMatchObject({ status: 'waiting_input', attempt: 2, interrupt: null })
    applyEvent(log, ev.resumed(5))
    expect(log.status).toBe('running')
  })
})
