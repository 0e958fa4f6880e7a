import { expect, test } from '@playwright/test'
import { liveLog, logIn, shot } from '../support'
import { createAgentViaApi, currentExecutionId, password, requireStack, storedEvents, uniqueName, username } from './stack'

test.beforeEach(requireStack)

test('stop a long run', async ({ page }) => {
  await logIn(page, username, password)
  // 5000 tokens 20 ms apart would take 100 s: it only ends if the stop works.
  const agentId = await createAgentViaApi(page, uniqueName('Long runner'), { steps: 1, tokens: 5000, delay_ms: 20 })
  await page.goto(`/agents/${agentId}`)
  await page.getByRole('button', { name: 'Run' }).click()
  const log = liveLog(page)
  await expect(log.section).toHaveAttribute('data-status', 'running')
  await expect.poll(async () => ((await log.text.textContent()) ?? '').length, { timeout: 30_000 }).toBeGreaterThan(20)

  await page.getByRole('button', { name: 'Stop' }).click()
  await expect(log.section).toHaveAttribute('data-status', 'stopped', { timeout: 30_000 })
  await expect(page.getByRole('button', { name: 'Stop' })).toBeDisabled()
  await shot(page, 'stack-stopped')

  const events = await storedEvents(page, await currentExecutionId(page))
  expect(events.at(-1)?.type).toBe('execution_stopped')
  expect(events.filter((event) => event.event_type === 'token').length).toBeLessThan(5000)
  expect(await log.eventCount()).toBe(events.length)
})
