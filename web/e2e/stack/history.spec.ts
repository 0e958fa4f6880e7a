/**
 * A long execution on the real stack: a run of 20,000 events, opened while it
 * streams, shows every stored event in its history, scrolls to the last one
 * with only the rows in view in the page, and unfolds its tokens.
 */
import { expect, test } from '@playwright/test'
import { logIn, shot } from '../support'
import { createAgentViaApi, executionViaApi, password, requireStack, startRunViaApi, storedEvents, uniqueName, username } from './stack'

test.beforeEach(requireStack)

// 1,000 steps (a progress and a step event each) and 17,998 tokens, with the
// started and completed events: 20,000 stored events.
const STEPS = 1000
const TOKENS = 17_998
const EVENTS = 2 * STEPS + TOKENS + 2

test('an execution of 20,000 events: its whole history, scrolled to the end', async ({ page }) => {
  test.setTimeout(180_000)
  await logIn(page, username, password)
  const agent = await createAgentViaApi(page, uniqueName('Long'), { steps: STEPS, tokens: TOKENS, delay_ms: 0 })
  const id = await startRunViaApi(page, agent, { prompt: 'a long one' })

  await page.goto(`/executions/${id}`)
  await expect(page.getByRole('heading', { name: /^Execution / })).toBeVisible()
  await expect(page.getByTestId('history-count')).toHaveText(`${EVENTS.toLocaleString('en-US')} events`, { timeout: 90_000 })
  await expect.poll(async () => (await executionViaApi(page, id)).status, { timeout: 60_000 }).toBe('completed')
  const stored = await storedEvents(page, id)
  expect(stored.map((event) => event.seq)).toEqual(Array.from({ length: EVENTS }, (_, index) => index + 1))

  const list = page.getByRole('list', { name: 'Event history' })
  await list.scrollIntoViewIfNeeded()
  // Half way: the steps' rows, one each.
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight / 2))
  await expect(list.getByRole('listitem').filter({ hasText: /step/ }).first()).toBeVisible()
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight))
  const last = list.locator(`[data-seq="${EVENTS}"]`)
  await expect(last).toBeVisible()
  await expect(last).toContainText('execution_completed')
  // The tokens after the last step are one folded row, ending just before it.
  const tokens = list.locator(`[data-seq="${EVENTS - 1}"]`)
  await expect(tokens).toContainText(`${TOKENS} tokens`)
  expect(await list.getByRole('listitem').count()).toBeLessThan(200)

  // Unfolded, every token is a row of its own; the list stays virtual.
  await tokens.getByRole('button', { name: 'Show tokens' }).click()
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight))
  await expect(list.locator(`[data-seq="${EVENTS - 1}"]`)).toContainText(`tok${TOKENS}`)
  await expect(list.locator(`[data-seq="${EVENTS}"]`)).toBeVisible()
  expect(await list.getByRole('listitem').count()).toBeLessThan(200)
  await shot(page, 'stack-history-20000')
})
