import { expect, test } from '@playwright/test'
import { expectTextToGrow, fillAgentForm, liveLog, logIn, shot } from '../support'
import { currentExecutionId, password, requireStack, storedEvents, tokenText, uniqueName, username } from './stack'

test.beforeEach(requireStack)

test('create an agent, run it and watch the text grow to completion', async ({ page }) => {
  await logIn(page, username, password)
  const name = uniqueName('Storyteller')
  await page.getByRole('link', { name: 'New agent' }).click()
  await expect(page.getByRole('textbox', { name: 'Name' })).toBeVisible()
  await fillAgentForm(page, name, { steps: 3, tokens: 200, delay_ms: 20 })
  await shot(page, 'stack-agent-form')
  await page.getByRole('button', { name: 'Create agent' }).click()
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible()
  await expect(page.getByRole('status', { name: 'Live updates: Connected' })).toBeVisible()

  await page.getByRole('textbox', { name: 'Input (JSON object)' }).fill('{"prompt": "Tell a story"}')
  await page.getByRole('button', { name: 'Run' }).click()
  await expectTextToGrow(page)
  const log = liveLog(page)
  await expect(log.section).toHaveAttribute('data-status', 'completed', { timeout: 60_000 })
  await expect(page.getByRole('button', { name: 'Stop' })).toBeDisabled()
  await expect(log.section.getByRole('progressbar')).toHaveAttribute('value', '100')
  await shot(page, 'stack-agent-detail')

  // A reload shows the input of the latest execution, not an empty one.
  await page.reload()
  await expect(page.getByRole('textbox', { name: 'Input (JSON object)' })).toHaveValue(/"prompt": "Tell a story"/)

  const id = await currentExecutionId(page)
  const events = await storedEvents(page, id)
  await expect(log.text).toHaveText(tokenText(events))
  expect(await log.eventCount()).toBe(events.length)
  expect(events.filter((event) => event.event_type === 'token')).toHaveLength(200)

  await page.getByRole('heading', { name: /Current execution/ }).getByRole('link').click()
  await expect(page.getByRole('figure', { name: /in total$/ })).toContainText('200 tokens')
  await shot(page, 'stack-execution-detail')

  await page.goto('/agents')
  await expect(page.getByRole('link', { name: `Latest execution of ${name}: completed` })).toBeVisible()
  await shot(page, 'stack-agents-list')

  await page.getByRole('link', { name, exact: true }).click()
  await page.getByRole('link', { name: 'Documents' }).click()
  await expect(page.getByRole('heading', { name: /Knowledge documents/ })).toBeVisible()
  await shot(page, 'stack-documents')
})
