/** The production build loads in Chromium from a server laid out like Django's. */
import { expect, test } from '@playwright/test'
import { shot } from '../support'

test('the built dashboard loads and sends a visitor to the login page', async ({ page }) => {
  const failed: string[] = []
  page.on('pageerror', (error) => failed.push(error.message))
  const response = await page.goto('/')
  expect(response?.status()).toBe(200)
  await expect(page.getByRole('heading', { name: 'Log in', level: 1 })).toBeVisible()
  await expect(page).toHaveURL(/\/login\?next=/)
  await expect(page).toHaveTitle('Log in · Agent platform')
  const script = await page.locator('script[type="module"]').first().getAttribute('src')
  expect(script).toMatch(/^\/static\/dashboard\/assets\/index-.*\.js$/)
  expect(failed).toEqual([])
  await shot(page, 'smoke-login')
})

test('a deep link survives the detour through the login page', async ({ page }) => {
  await page.goto('/agents/0000/edit')
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible()
  expect(new URL(page.url()).searchParams.get('next')).toBe('/agents/0000/edit')
})
