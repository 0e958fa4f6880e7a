// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { ev } from '@/test-utils/events'
import { buildTimeline } from './timeline'

describe('buildTimeline', () => {
  it('is empty without events', () => {
    expect(buildTimeline([])).toBeNull()
  })

  it('computes stages, steps, tool calls and token runs from timestamps', () => {
    const events = [
      ev.started(1, { ms: 0 }),
      ev.progress(2, 'plan', 0, { ms: 100 }),
      ev.step(3, 'outline', { ms: 150 }),
      ev.toolCall(4, 'search', { ms: 300 }),
      ev.toolResult(5, 'search', { ms: 700 }),
      ev.progress(6, 'write', 50, { ms: 800 }),
      ev.token(7, 'a', { ms: 900 }),
      ev.token(8, 'b', { ms: 1000 }),
      ev.token(9, 'c', { ms: 1200 }),
      ev.completed(10, null, { ms: 1500 }),
    ]
    const timeline = buildTimeline(events)!
    expect(timeline.total).toBe(1500)
    expect(timeline.finished).toBe(true)
    const summary = timeline.spans.map((span) => [span.lane, span.label, span.start, span.end])
    expect(summary).toEqual([
      ['stage', 'plan', 100, 800],
      ['step', 'outline', 150, 300],
      ['tool', 'search', 300, 700],
      ['stage', 'write', 800, 1500],
      ['tokens', '3 tokens', 900, 1200],
    ])
  })

  it('merges progress events of the same stage', () => {
    const timeline = buildTimeline([
      ev.started(1, { ms: 0 }),
      ev.progress(2, 'work', 10, { ms: 100 }),
      ev.progress(3, 'work', 90, { ms: 400 }),
      ev.completed(4, null, { ms: 500 }),
    ])!
    expect(timeline.spans).toHaveLength(1)
    expect(timeline.spans[0]).toMatchObject({ label: 'work', start: 100, end: 500 })
  })

  it('lets open spans of a running execution run until now', () => {
    const start = Date.parse(ev.started(1, { ms: 0 }).timestamp)
    const timeline = buildTimeline([ev.started(1, { ms: 0 }), ev.progress(2, 'work', 10, { ms: 100 })], start + 2000)!
    expect(timeline.finished).toBe(false)
    expect(timeline.total).toBe(2000)
    expect(timeline.spans[0]).toMatchObject({ start: 100, end: 2000, open: true })
  })

  it('orders events by seq whatever order they came in', () => {
    const timeline = buildTimeline([
      ev.completed(3, null, { ms: 300 }),
      ev.started(1, { ms: 0 }),
      ev.step(2, 'only', { ms: 100 }),
    ])!
    expect(timeline.spans).toEqual([{ lane: 'step', label: 'only', seq: 2, start: 100, end: 300, open: false }])
  })

  it('draws a requeued execution from the start of its latest run', () => {
    const timeline = buildTimeline([
      ev.started(1, { ms: 0 }),
      ev.requeued(2, 2, 'worker_lost', { ms: 30_000 }),
      ev.started(3, { ms: 31_000, attempt: 2 }),
      ev.step(4, 'only', { ms: 31_100 }),
      ev.completed(5, null, { ms: 31_500 }),
    ])!
    expect(timeline).toMatchObject({ attempt: 2, total: 500, finished: true })
    expect(timeline.startedAt).toBe(Date.parse(ev.started(3, { ms: 31_000 }).timestamp))
    expect(timeline.spans).toEqual([{ lane: 'step', label: 'only', seq: 4, start: 100, end: 500, open: false }])
  })

  it('is of the first run until there is another', () => {
    const start = Date.parse(ev.started(1, { ms: 0 }).timestamp)
    const timeline = buildTimeline([ev.started(1, { ms: 0 }), ev.requeued(2, 2, 'worker_lost', { ms: 1000 })], start + 3000)!
    expect(timeline).toMatchObject({ attempt: 1, total: 3000, finished: false, spans: [] })
  })
})
