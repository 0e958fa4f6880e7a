/**
 * The execution page's event history with a long run: 20,000 stored events
 * load page by page, the list scrolls to the end, and only the rows in view
 * are in the DOM.
 */
import { expect, test } from '@playwright/test'
import { logIn, shot } from '../support'
import { MockBackend } from './mockBackend'

test('history: 20,000 events load, scroll to the last rows, few rows in the DOM', async ({ page, baseURL }) => {
  const backend = new MockBackend(page, baseURL!)
  await backend.install()
  const agent = backend.addAgent('Long', { steps: 1, tokens: 3, delay_ms: 10 })
  const id = backend.addFinishedRun(agent, 20_000)
  await logIn(page, 'smoke', 'smoke-pass')

  await page.goto(`/executions/${id}`)
  await expect(page.getByRole('heading', { name: /^Execution / })).toBeVisible()
  await expect(page.getByTestId('history-count')).toHaveText('20,000 events', { timeout: 30_000 })
  // Read 5000 at a time.
  const pages = backend.eventRequests.filter((r) => r.executionId === id)
  expect(pages.slice(0, 4).map((r) => [r.after, r.limit])).toEqual([
    [0, 5000],
    [5000, 5000],
    [10_000, 5000],
    [15_000, 5000],
  ])

  const list = page.getByRole('list', { name: 'Event history' })
  await list.scrollIntoViewIfNeeded()
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight))
  // The last row: the completed event.
  await expect(list.locator('[data-seq="20000"]')).toBeVisible()
  await expect(list.locator('[data-seq="20000"]')).toContainText('execution_completed')
  // Tokens between progress events are folded: 99 a row.
  await expect(list.locator('[data-seq="19999"]')).toContainText('99 tokens: xxx')
  const rendered = await list.getByRole('listitem').count()
  expect(rendered).toBeGreaterThan(5)
  expect(rendered).toBeLessThan(200)

  // The filter keeps only progress events; the list still scrolls to its end.
  await page.getByRole('combobox', { name: 'Filter by event type' }).selectOption('agent_event:progress')
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight))
  await expect(list.locator('[data-seq="19900"]')).toBeVisible()
  expect(await list.getByRole('listitem').count()).toBeLessThan(200)

  await expect(page.getByRole('region', { name: 'Model calls' })).toContainText('No model calls reported')
  await shot(page, 'smoke-history')
  expect(backend.csrfFailures).toEqual([])
})
