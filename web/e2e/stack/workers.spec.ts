/**
 * The workers page against the real stack: the harness's worker, killed as a
 * crash would kill it (E2E_KILL_WORKER_CMD), shows as lost within one lease,
 * and the worker its restart loop starts comes online.
 */
import { execSync } from 'node:child_process'
import { expect, test } from '@playwright/test'
import { logIn, shot } from '../support'
import { password, requireStack, username } from './stack'

const killCommand = process.env.E2E_KILL_WORKER_CMD
const leaseSeconds = Number(process.env.E2E_WORKER_LEASE_SECONDS ?? '30')

test.beforeEach(requireStack)

test('a killed worker shows as lost within one lease, and its successor online', async ({ page }) => {
  test.skip(!killCommand, 'E2E_KILL_WORKER_CMD is not set.')
  await logIn(page, username, password)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workers' }).click()
  const online = page.locator('[data-testid="worker-row"][data-state="online"]')
  await expect(online.first()).toBeVisible({ timeout: 30_000 })
  const pid = await online.first().getAttribute('data-pid')
  expect(pid).toBeTruthy()
  await expect(page.getByRole('table', { name: 'Queues' }).getByRole('row', { name: /^Queue e2e-/ })).toBeVisible()

  execSync(killCommand!, { stdio: 'inherit', timeout: 30_000 })
  const killedAt = Date.now()
  const killed = page.locator(`[data-testid="worker-row"][data-pid="${pid}"]`)
  // Lost once its last heartbeat is a lease old; the page asks every 2 s.
  await expect(killed).toHaveAttribute('data-state', 'lost', { timeout: (leaseSeconds + 5) * 1000 })
  expect(Date.now() - killedAt).toBeLessThan((leaseSeconds + 5) * 1000)
  await expect(page.locator(`[data-testid="worker-row"][data-state="online"]:not([data-pid="${pid}"])`)).toBeVisible({
    timeout: 60_000,
  })
  await shot(page, 'stack-workers-lost')
})
