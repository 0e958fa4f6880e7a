/**
 * The runs view in a real browser against the mocked backend: filters that
 * land in the URL and survive a reload, a status changing live, a new run
 * appearing live, and a run started again from its execution page.
 */
import { expect, test } from '@playwright/test'
import { logIn, shot } from '../support'
import { MockBackend } from './mockBackend'

test('runs: filter, a live status change, a new run appearing, a re-run', async ({ page, baseURL }) => {
  const backend = new MockBackend(page, baseURL!)
  await backend.install()
  const quick = backend.addAgent('Quick', { steps: 1, tokens: 3, delay_ms: 10 })
  const slow = backend.addAgent('Slow', { steps: 1, tokens: 40, delay_ms: 100 })
  backend.startRun(quick, { prompt: 'first' })
  await logIn(page, 'smoke', 'smoke-pass')

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click()
  await expect(page.getByRole('heading', { name: 'Runs', level: 1 })).toBeVisible()
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible()
  const table = page.getByRole('table', { name: 'Runs' })
  await expect(table.getByRole('row')).toHaveCount(2)
  await expect(table.getByRole('row').nth(1)).toContainText('Completed')

  // A run started elsewhere shows up on the first page, then finishes, live.
  backend.startRun(slow, { prompt: 'second' })
  await expect(page.getByText('2 runs')).toBeVisible()
  const slowRow = table.getByRole('row').filter({ hasText: 'Slow' })
  await expect(slowRow).toContainText('Running')

  // Filters go to the URL, and survive a reload.
  const filters = page.getByRole('search', { name: 'Filter runs' })
  await filters.getByRole('checkbox', { name: 'Running' }).check()
  await expect(page).toHaveURL(/status=running/)
  await expect(page.getByText('1 run', { exact: true })).toBeVisible()
  await expect(table.getByRole('row').filter({ hasText: 'Quick' })).toHaveCount(0)
  await filters.getByRole('checkbox', { name: 'Running' }).uncheck()
  await filters.getByRole('combobox', { name: 'Agent' }).selectOption({ label: 'Slow' })
  await expect(page).toHaveURL(new RegExp(`agent=${slow}`))
  await page.reload()
  await expect(page.getByRole('search', { name: 'Filter runs' }).getByRole('combobox', { name: 'Agent' })).toHaveValue(slow)
  await expect(page.getByText('1 run', { exact: true })).toBeVisible()
  await shot(page, 'smoke-runs')
  await expect(slowRow).toContainText('Completed', { timeout: 20_000 })
  await expect(slowRow.locator('td[data-label="Duration"]')).toHaveText(/\d s$/)

  // Run it again from its execution page, with another input.
  await slowRow.locator('td[data-label="Run"] a').click()
  await expect(page.getByRole('heading', { name: /^Execution / })).toBeVisible()
  await page.getByRole('button', { name: 'Re-run…' }).click()
  await page.getByRole('textbox', { name: /Input of the new run/ }).fill('{"prompt": "third"}')
  await page.getByRole('button', { name: 'Run again' }).click()
  await expect(page.getByText('Re-run of')).toBeVisible()
  await expect(page.getByText('"third"').first()).toBeVisible()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click()
  await expect(page.getByText('3 runs')).toBeVisible()
  await expect(table.getByRole('row').nth(1).getByRole('link', { name: /^Re-run of / })).toBeVisible()
  expect(backend.csrfFailures).toEqual([])
})
