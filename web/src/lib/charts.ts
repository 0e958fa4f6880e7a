/**
 * The charts page's data: the buckets of GET /api/ops/stats/ as the series
 * of each chart, without Chart.js (components/ChartCanvas.vue draws them).
 * A bucket with no value (no run, no sample) is a gap (null), not a zero.
 */
import type { Stats, StatsBucket, StatsWindow } from '@/api/types'

export const WINDOW_LABELS: Record<StatsWindow, string> = { hour: 'Last hour', day: 'Last day' }
export const WINDOWS: readonly StatsWindow[] = ['hour', 'day']

export function windowFromQuery(value: unknown): StatsWindow {
  return value === 'day' ? 'day' : 'hour'
}

export interface Series {
  label: string
  data: (number | null)[]
  kind: 'bar' | 'line'
  color: string
}

export interface ChartSpec {
  labels: string[]
  series: Series[]
  /** Bars on top of each other (the runs chart). */
  stacked: boolean
  /** What the y axis counts. */
  unit: string
}

const COLORS = {
  created: '#2563eb',
  completed: '#16a34a',
  failed: '#dc2626',
  stopped: '#6b7280',
  p50: '#2563eb',
  p95: '#d97706',
  events: '#7c3aed',
}
/** Queue lines, in the order of their names. */
const QUEUE_COLORS = ['#0891b2', '#db2777', '#65a30d', '#9333ea', '#ea580c', '#475569']

/** A bucket's start as the axis shows it: the local time (hour and minute). */
export function bucketLabel(start: string): string {
  const date = new Date(start)
  if (Number.isNaN(date.getTime())) return start
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
}

export function labelsOf(buckets: readonly StatsBucket[]): string[] {
  return buckets.map((bucket) => bucketLabel(bucket.start))
}

/** Runs ended by status as stacked bars, and the runs created as a line. */
export function runsChart(buckets: readonly StatsBucket[]): ChartSpec {
  const bar = (label: string, key: 'completed' | 'failed' | 'stopped'): Series => ({
    label,
    kind: 'bar',
    color: COLORS[key],
    data: buckets.map((bucket) => bucket.runs[key]),
  })
  return {
    labels: labelsOf(buckets),
    stacked: true,
    unit: 'runs',
    series: [
      bar('Completed', 'completed'),
      bar('Failed', 'failed'),
      bar('Stopped', 'stopped'),
      { label: 'Created', kind: 'line', color: COLORS.created, data: buckets.map((bucket) => bucket.runs.created) },
    ],
  }
}

/** The median and 95th percentile of the durations of the runs ended in each bucket, in seconds. */
export function durationChart(buckets: readonly StatsBucket[]): ChartSpec {
  return {
    labels: labelsOf(buckets),
    stacked: false,
    unit: 'seconds',
    series: [
      { label: 'p50', kind: 'line', color: COLORS.p50, data: buckets.map((bucket) => bucket.duration_p50) },
      { label: 'p95', kind: 'line', color: COLORS.p95, data: buckets.map((bucket) => bucket.duration_p95) },
    ],
  }
}

export function eventsChart(buckets: readonly StatsBucket[]): ChartSpec {
  return {
    labels: labelsOf(buckets),
    stacked: false,
    unit: 'events per second',
    series: [
      { label: 'Events per second', kind: 'line', color: COLORS.events, data: buckets.map((bucket) => bucket.events_per_second) },
    ],
  }
}

/** Whether the stats carry queue depths (staff); others get null in every bucket. */
export function hasQueueDepth(stats: Stats): boolean {
  return stats.buckets.some((bucket) => bucket.queue_depth !== null)
}

/** One line per queue named in any bucket (sorted by name); a bucket without a sample of it is a gap. */
export function queueChart(buckets: readonly StatsBucket[]): ChartSpec {
  const names = [...new Set(buckets.flatMap((bucket) => Object.keys(bucket.queue_depth ?? {})))].sort()
  return {
    labels: labelsOf(buckets),
    stacked: false,
    unit: 'messages waiting',
    series: names.map((name, index) => ({
      label: name,
      kind: 'line',
      color: QUEUE_COLORS[index % QUEUE_COLORS.length]!,
      data: buckets.map((bucket) => bucket.queue_depth?.[name] ?? null),
    })),
  }
}

/** Totals of the window in words, for the page's summary (and whoever cannot see the charts). */
export function runsSummary(buckets: readonly StatsBucket[]): string {
  const sum = (key: 'created' | 'completed' | 'failed' | 'stopped') => buckets.reduce((total, bucket) => total + bucket.runs[key], 0)
  return `${sum('created')} created, ${sum('completed')} completed, ${sum('failed')} failed, ${sum('stopped')} stopped`
}
