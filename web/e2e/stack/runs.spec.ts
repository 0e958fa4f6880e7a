/**
 * The runs view against the real stack: filtered to one agent's failed runs,
 * a new failure shows up live, and a failed run is run again from its page.
 */
import { expect, test } from '@playwright/test'
import { logIn, shot } from '../support'
import { createAgentViaApi, executionViaApi, password, requireStack, startRunViaApi, uniqueName, username } from './stack'

test.beforeEach(requireStack)

test("the failed runs of one agent, a new failure live, and a re-run from its page", async ({ page }) => {
  await logIn(page, username, password)
  const flaky = await createAgentViaApi(page, uniqueName('Flaky'), { steps: 2, tokens: 5, delay_ms: 10, fail_at: 3 })
  const steady = await createAgentViaApi(page, uniqueName('Steady'), { steps: 1, tokens: 3, delay_ms: 10 })
  const firstFailure = await startRunViaApi(page, flaky, { prompt: 'one' })
  await startRunViaApi(page, steady, { prompt: 'fine' })
  await expect.poll(async () => (await executionViaApi(page, firstFailure)).status, { timeout: 30_000 }).toBe('failed')

  await page.goto(`/runs?status=failed&agent=${flaky}`)
  const filters = page.getByRole('search', { name: 'Filter runs' })
  await expect(filters.getByRole('checkbox', { name: 'Failed' })).toBeChecked()
  await expect(filters.getByRole('combobox', { name: 'Agent' })).toHaveValue(flaky)
  const table = page.getByRole('table', { name: 'Runs' })
  await expect(table.getByRole('row')).toHaveCount(2) // the header, and the one failure
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible()

  // A new failure of the agent appears without a reload; the steady agent's run does not.
  const secondFailure = await startRunViaApi(page, flaky, { prompt: 'two' })
  await startRunViaApi(page, steady, { prompt: 'still fine' })
  const newRow = table.getByRole('row', { name: `Run ${secondFailure.slice(0, 8)}` })
  await expect(newRow).toContainText('Failed', { timeout: 30_000 })
  await expect(table.getByRole('row')).toHaveCount(3)
  await shot(page, 'stack-runs-failed')

  // Its page runs it again with its input prefilled.
  await newRow.locator('td[data-label="Run"] a').click()
  await expect(page.getByRole('heading', { name: /^Execution / })).toBeVisible()
  await page.getByRole('button', { name: 'Re-run…' }).click()
  await expect(page.getByRole('textbox', { name: /Input of the new run/ })).toHaveValue(/"prompt": "two"/)
  await page.getByRole('button', { name: 'Run again' }).click()
  await expect(page.getByText('Re-run of')).toBeVisible()
  const rerun = page.url().split('/executions/')[1].replace(/\/$/, '')
  expect(rerun).not.toBe(secondFailure)
  const stored = await executionViaApi(page, rerun)
  expect(stored.rerun_of).toBe(secondFailure)
  expect(stored.input_data).toEqual({ prompt: 'two' })
})
