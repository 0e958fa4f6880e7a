import { fireEvent, screen, waitFor } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import type { Stats, StatsBucket } from '@/api/types'
import { renderView } from '@/test-utils/render'
import { server } from '@/test-utils/server'
import ChartsView from './ChartsView.vue'

/** Chart.js needs a real canvas: the specs see the configs it was given instead. */
const charts = vi.hoisted(() => ({ made: [] as FakeChart[] }))
interface FakeChart {
  canvas: HTMLCanvasElement
  config: { type: string; data: { labels: string[]; datasets: { label: string; type: string; data: (number | null)[] }[] } }
  data: FakeChart['config']['data']
  destroyed: boolean
  updates: number
}
vi.mock('chart.js', () => {
  class Chart {
    static register() {}
    data: unknown
    destroyed = false
    updates = 0
    constructor(
      public canvas: HTMLCanvasElement,
      public config: { data: unknown },
    ) {
      this.data = config.data
      charts.made.push(this as unknown as FakeChart)
    }
    update() {
      this.updates += 1
    }
    destroy() {
      this.destroyed = true
    }
  }
  const part = {}
  return {
    Chart,
    BarController: part,
    BarElement: part,
    CategoryScale: part,
    Legend: part,
    LinearScale: part,
    LineController: part,
    LineElement: part,
    PointElement: part,
    Tooltip: part,
  }
})

function stats(window: Stats['window'], count: number, staff: boolean, completed = 1): Stats {
  const seconds = window === 'hour' ? 60 : 900
  const start = Date.UTC(2026, 0, 1, 10, 0)
  const buckets: StatsBucket[] = Array.from({ length: count }, (_, index) => ({
    start: new Date(start + index * seconds * 1000).toISOString(),
    runs: { created: 2, completed, failed: index === 0 ? 1 : 0, stopped: 0 },
    duration_p50: 1.5,
    duration_p95: 3,
    events_per_second: 10,
    queue_depth: staff ? { celery: index } : null,
  }))
  return { window, bucket_seconds: seconds, buckets }
}

function chartOf(label: string): FakeChart {
  const chart = charts.made.filter((made) => !made.destroyed).find((made) => made.canvas.getAttribute('aria-label') === label)
  if (!chart) throw new Error(`no chart ${label}`)
  return chart
}

const RUNS = 'Runs per bucket: completed, failed and stopped stacked, created as a line'

describe('ChartsView', () => {
  it('draws the last hour: runs by status, durations, events and, for staff, queue depth', async () => {
    charts.made = []
    server.use(http.get('/api/ops/stats/', () => HttpResponse.json(stats('hour', 60, true))))
    await renderView(ChartsView, { path: '/charts', staff: true })
    await screen.findByText(/in 1-minute buckets/)
    expect(screen.getAllByRole('img')).toHaveLength(4)
    const runs = chartOf(RUNS)
    await waitFor(() => expect(runs.data.labels).toHaveLength(60))
    expect(runs.data.datasets.map((d) => [d.label, d.type])).toEqual([
      ['Completed', 'bar'],
      ['Failed', 'bar'],
      ['Stopped', 'bar'],
      ['Created', 'line'],
    ])
    expect(runs.data.datasets[1]!.data.slice(0, 2)).toEqual([1, 0])
    expect(chartOf('Run duration per bucket, median and 95th percentile, in seconds').data.datasets.map((d) => d.label)).toEqual(['p50', 'p95'])
    expect(chartOf('Events stored per second').data.datasets[0]!.data[0]).toBe(10)
    expect(chartOf('Messages waiting in each queue').data.datasets.map((d) => d.label)).toEqual(['celery'])
    expect(screen.getByRole('button', { name: 'Last hour' })).toHaveAttribute('aria-pressed', 'true')
  })

  it('switches to the last day, in the URL', async () => {
    charts.made = []
    const asked: string[] = []
    server.use(
      http.get('/api/ops/stats/', ({ request }) => {
        const window = new URL(request.url).searchParams.get('window') as Stats['window']
        asked.push(window)
        return HttpResponse.json(stats(window, window === 'day' ? 96 : 60, true))
      }),
    )
    const { router } = await renderView(ChartsView, { path: '/charts', staff: true })
    await screen.findByText(/in 1-minute buckets/)
    await fireEvent.click(screen.getByRole('button', { name: 'Last day' }))
    await screen.findByText(/in 15-minute buckets/)
    expect(router.currentRoute.value.query.window).toBe('day')
    expect(screen.getByRole('button', { name: 'Last day' })).toHaveAttribute('aria-pressed', 'true')
    await waitFor(() => expect(chartOf(RUNS).data.labels).toHaveLength(96))
    expect(asked).toEqual(['hour', 'day'])
  })

  it('shows a user who is not staff their own runs and no queue depth', async () => {
    charts.made = []
    server.use(http.get('/api/ops/stats/', () => HttpResponse.json(stats('hour', 60, false))))
    await renderView(ChartsView, { path: '/charts' })
    await screen.findByText(/Your runs, in 1-minute buckets/)
    expect(screen.getAllByRole('img')).toHaveLength(3)
    expect(screen.getByText('Queue depth is for staff only.')).toBeInTheDocument()
  })

  it('reads the stats again every so often and updates the charts in place; none after the page is left', async () => {
    charts.made = []
    let completed = 1
    let calls = 0
    server.use(
      http.get('/api/ops/stats/', () => {
        calls += 1
        return HttpResponse.json(stats('hour', 60, false, completed))
      }),
    )
    const { unmount } = await renderView(ChartsView, { path: '/charts', props: { pollMs: 20 } })
    await screen.findByText(/in 1-minute buckets/)
    const runs = chartOf(RUNS)
    completed = 5
    await waitFor(() => expect(runs.data.datasets[0]!.data[0]).toBe(5))
    expect(runs.updates).toBeGreaterThan(0)
    unmount()
    expect(runs.destroyed).toBe(true)
    const after = calls
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(calls).toBe(after)
  })

  it('shows a failure in words', async () => {
    charts.made = []
    server.use(http.get('/api/ops/stats/', () => HttpResponse.json({ detail: 'Boom' }, { status: 500 })))
    await renderView(ChartsView, { path: '/charts' })
    expect(await screen.findByRole('alert')).toHaveTextContent(/Could not load the charts/)
  })
})
