/**
 * The api server restarts mid-run (E2E_RESTART_API_CMD, provided by the
 * harness). The dashboard reconnects, resubscribes from its last seq, and the
 * log must end with every stored event exactly once.
 */
import { expect, test } from '@playwright/test'
import { execSync } from 'node:child_process'
import { liveLog, logIn, shot } from '../support'
import {
  createAgentViaApi,
  currentExecutionId,
  password,
  requireStack,
  storedEvents,
  tokenText,
  uniqueName,
  username,
} from './stack'

const restartCommand = process.env.E2E_RESTART_API_CMD

test.beforeEach(requireStack)

test('the log survives an api restart with no gap and no duplicate', async ({ page }) => {
  test.skip(!restartCommand, 'E2E_RESTART_API_CMD is not set.')
  test.setTimeout(180_000)
  await logIn(page, username, password)
  // About 15 s of tokens, so the restart lands in the middle of the stream.
  const agentId = await createAgentViaApi(page, uniqueName('Restart survivor'), { steps: 3, tokens: 600, delay_ms: 25 })
  await page.goto(`/agents/${agentId}`)
  await expect(page.getByRole('status', { name: 'Live updates: Connected' })).toBeVisible()
  await page.getByRole('button', { name: 'Run' }).click()
  const log = liveLog(page)
  await expect.poll(async () => ((await log.text.textContent()) ?? '').length, { timeout: 30_000 }).toBeGreaterThan(50)

  const seqBefore = await log.lastSeq()
  execSync(restartCommand!, { stdio: 'inherit', timeout: 120_000 })

  await expect(page.getByRole('status', { name: 'Live updates: Connected' })).toBeVisible({ timeout: 60_000 })
  await expect(log.section).toHaveAttribute('data-status', /completed|failed/, { timeout: 120_000 })
  await shot(page, 'stack-after-restart')

  const events = await storedEvents(page, await currentExecutionId(page))
  expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1))
  expect(await log.eventCount()).toBe(events.length)
  expect(await log.lastSeq()).toBe(events.length)
  expect(await log.lastSeq()).toBeGreaterThan(seqBefore)
  await expect(log.text).toHaveText(tokenText(events))
  // Each rendered entry (steps, start, end...) appears once.
  const seqs = await log.section.locator('[data-seq]').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-seq')))
  expect(new Set(seqs).size).toBe(seqs.length)
})
