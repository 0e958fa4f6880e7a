import { describe, expect, it } from 'vitest'
import type { StatsBucket } from '@/api/types'
import { durationChart, eventsChart, hasQueueDepth, queueChart, runsChart, runsSummary, windowFromQuery } from './charts'

function bucket(minute: number, overrides: Partial<StatsBucket> = {}): StatsBucket {
  return {
    start: new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString(),
    runs: { created: 0, completed: 0, failed: 0, stopped: 0 },
    duration_p50: null,
    duration_p95: null,
    events_per_second: null,
    queue_depth: null,
    ...overrides,
  }
}

describe('charts', () => {
  const buckets = [
    bucket(0, { runs: { created: 3, completed: 2, failed: 1, stopped: 0 }, duration_p50: 1.5, duration_p95: 4, events_per_second: 12.5, queue_depth: { celery: 4 } }),
    bucket(1, { queue_depth: { celery: 1, executions: 7 } }),
    bucket(2, { runs: { created: 1, completed: 0, failed: 0, stopped: 1 }, duration_p50: 0.5, duration_p95: 0.5, events_per_second: 0 }),
  ]

  it('reads the window from the URL, the hour unless told the day', () => {
    expect(windowFromQuery('day')).toBe('day')
    expect(windowFromQuery('hour')).toBe('hour')
    expect(windowFromQuery(undefined)).toBe('hour')
    expect(windowFromQuery('week')).toBe('hour')
  })

  it('stacks the runs ended by status as bars and draws the runs created as a line', () => {
    const spec = runsChart(buckets)
    expect(spec.labels).toHaveLength(3)
    expect(spec.stacked).toBe(true)
    expect(spec.series.map((s) => [s.label, s.kind])).toEqual([
      ['Completed', 'bar'],
      ['Failed', 'bar'],
      ['Stopped', 'bar'],
      ['Created', 'line'],
    ])
    expect(spec.series[0]!.data).toEqual([2, 0, 0])
    expect(spec.series[1]!.data).toEqual([1, 0, 0])
    expect(spec.series[2]!.data).toEqual([0, 0, 1])
    expect(spec.series[3]!.data).toEqual([3, 0, 1])
    expect(runsSummary(buckets)).toBe('4 created, 2 completed, 1 failed, 1 stopped')
  })

  it('keeps a bucket without runs or samples as a gap, not a zero', () => {
    const durations = durationChart(buckets)
    expect(durations.series.map((s) => s.label)).toEqual(['p50', 'p95'])
    expect(durations.series[0]!.data).toEqual([1.5, null, 0.5])
    expect(durations.series[1]!.data).toEqual([4, null, 0.5])
    expect(durations.stacked).toBe(false)
    expect(eventsChart(buckets).series[0]!.data).toEqual([12.5, null, 0])
  })

  it('draws one line per queue named in any bucket, by name, with gaps where it has no sample', () => {
    const spec = queueChart(buckets)
    expect(spec.series.map((s) => s.label)).toEqual(['celery', 'executions'])
    expect(spec.series[0]!.data).toEqual([4, 1, null])
    expect(spec.series[1]!.data).toEqual([null, 7, null])
    expect(new Set(spec.series.map((s) => s.color)).size).toBe(2)
  })

  it('tells whether the stats carry queue depths (staff) or not', () => {
    expect(hasQueueDepth({ window: 'hour', bucket_seconds: 60, buckets })).toBe(true)
    expect(hasQueueDepth({ window: 'hour', bucket_seconds: 60, buckets: [bucket(0), bucket(1)] })).toBe(false)
    expect(queueChart([bucket(0)]).series).toEqual([])
  })

  it('labels each bucket with its local time', () => {
    const [label] = runsChart([bucket(5)]).labels
    expect(label).toBe(new Date(bucket(5).start).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }))
  })
})
