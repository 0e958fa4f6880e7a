/** Helpers shared by the smoke and stack specs. */
import { expect, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts')

/** A full-page screenshot under web/test-artifacts/. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const scrolled = await page.evaluate(() => [window.scrollX, window.scrollY] as const)
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
  // Chromium can leave the page scrolled elsewhere than it believes after a
  // full-page capture, and jump back at the next focus change: mid-click, so
  // the click misses. Scrolling back to where it was keeps the two together.
  await page.evaluate(([x, y]) => window.scrollTo(x, y), scrolled)
}

export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('heading', { name: 'Agents', level: 1 })).toBeVisible()
}

/** Fills the agent form for a synthetic agent; its config fields come from the runtime's schema. */
export async function fillAgentForm(
  page: Page,
  name: string,
  config: { steps: number; tokens: number; delay_ms: number },
): Promise<void> {
  await page.getByRole('textbox', { name: 'Name' }).fill(name)
  await page.getByRole('combobox', { name: 'Runtime' }).selectOption('synthetic')
  await page.getByRole('spinbutton', { name: 'Steps' }).fill(String(config.steps))
  await page.getByRole('spinbutton', { name: 'Tokens' }).fill(String(config.tokens))
  await page.getByRole('spinbutton', { name: 'Delay ms' }).fill(String(config.delay_ms))
}

/** The live log section of the page and the numbers it exposes for checks. */
export function liveLog(page: Page) {
  const section = page.getByRole('region', { name: 'Live log' }).first()
  return {
    section,
    text: section.getByTestId('token-text'),
    async lastSeq(): Promise<number> {
      return Number(await section.getAttribute('data-last-seq'))
    },
    async eventCount(): Promise<number> {
      return Number(await section.getAttribute('data-event-count'))
    },
  }
}

/** Waits until the text has grown at least twice, proving it streams rather than arrives at once. */
export async function expectTextToGrow(page: Page): Promise<void> {
  const log = liveLog(page)
  const lengths: number[] = []
  await expect
    .poll(
      async () => {
        const text = (await log.text.textContent()) ?? ''
        if (!text.startsWith('No text')) lengths.push(text.length)
        return new Set(lengths).size
      },
      { timeout: 30_000, intervals: [100] },
    )
    .toBeGreaterThanOrEqual(3)
  expect(lengths).toEqual([...lengths].sort((a, b) => a - b))
}
