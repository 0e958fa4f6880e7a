import { expect, test } from '@playwright/test'
import { logIn, shot } from '../support'
import { password, requireStack, username } from './stack'

test.beforeEach(requireStack)

test('log in and log out', async ({ page }) => {
  await page.goto('/')
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible()
  await shot(page, 'stack-login')

  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(`${password}-wrong`)
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('alert')).toBeVisible()

  await logIn(page, username, password)
  await shot(page, 'stack-agents')
  await page.getByRole('button', { name: 'Log out' }).click()
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible()
  await page.goto('/agents')
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible()
  expect(new URL(page.url()).searchParams.get('next')).toBe('/agents')
})
