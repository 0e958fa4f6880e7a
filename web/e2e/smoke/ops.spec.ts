/** The operator pages in a real browser against the mocked backend: workers and queues (staff), and the charts. */
import { expect, test } from '@playwright/test'
import { logIn, shot } from '../support'
import { MockBackend } from './mockBackend'

test('workers: a staff user sees the workers, one of them lost, then another one lost live', async ({ page, baseURL }) => {
  const backend = new MockBackend(page, baseURL!)
  backend.staff = true
  await backend.install()
  await logIn(page, 'smoke', 'smoke-pass')

  await page.getByRole('link', { name: 'Workers' }).click()
  await expect(page.getByRole('heading', { name: 'Workers and queues', level: 1 })).toBeVisible()
  const workers = page.getByRole('table', { name: 'Workers' })
  const online = workers.locator('[data-testid="worker-row"][data-pid="4242"]')
  await expect(online).toHaveAttribute('data-state', 'online')
  await expect(online).toHaveAccessibleName('Worker smoke-host:4242')
  await expect(online.getByRole('link', { name: 'e0000000' })).toHaveAttribute('href', '/executions/e0000000-0000-4000-8000-000000000042')
  await expect(online).toContainText(/\d s ago/)
  const lost = workers.getByRole('row', { name: 'Worker smoke-host:4243' })
  await expect(lost).toHaveAttribute('data-state', 'lost')
  await expect(lost.getByTestId('worker-state')).toHaveText('Lost')
  await expect(page.getByRole('table', { name: 'Queues' }).getByRole('row', { name: 'Queue executions' })).toContainText('3')
  await expect(page.getByRole('table', { name: 'Agent servers' }).getByRole('row', { name: /agent-server/ })).toContainText('synthetic, chat')
  await shot(page, 'workers')

  backend.loseWorker(4242)
  await expect(online).toHaveAttribute('data-state', 'lost', { timeout: 10_000 })
  await expect(online.getByTestId('worker-state')).toHaveText('Lost')
})

test('workers: the page is for staff only, and its link is not shown to others', async ({ page, baseURL }) => {
  const backend = new MockBackend(page, baseURL!)
  await backend.install()
  await logIn(page, 'smoke', 'smoke-pass')
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Charts' })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Workers' })).toHaveCount(0)
  await page.goto('/workers')
  await expect(page.getByRole('status')).toContainText('staff only')
})

test('charts: the window switch and the four charts', async ({ page, baseURL }) => {
  const backend = new MockBackend(page, baseURL!)
  backend.staff = true
  await backend.install()
  await logIn(page, 'smoke', 'smoke-pass')

  await page.getByRole('link', { name: 'Charts' }).click()
  await expect(page.getByRole('heading', { name: 'Charts', level: 1 })).toBeVisible()
  await expect(page.getByText(/in 1-minute buckets/)).toBeVisible()
  const canvases = page.locator('canvas')
  await expect(canvases).toHaveCount(4)
  for (const canvas of await canvases.all()) {
    await expect(canvas).toBeVisible()
    const box = await canvas.boundingBox()
    expect(box!.width).toBeGreaterThan(100)
    expect(box!.height).toBeGreaterThan(100)
  }
  await shot(page, 'charts-hour')

  await page.getByRole('button', { name: 'Last day' }).click()
  await expect(page).toHaveURL(/\/charts\?window=day/)
  await expect(page.getByText(/in 15-minute buckets/)).toBeVisible()
  await expect(canvases).toHaveCount(4)
  await shot(page, 'charts-day')
})
