/** The memory page in a real browser against the mocked backend: add, a taken key, edit, search, forget. */
import { expect, test } from '@playwright/test'
import { logIn, shot } from '../support'
import { MockBackend } from './mockBackend'

test('memory: remember, a taken key, edit a JSON value, search, forget', async ({ page, baseURL }) => {
  const backend = new MockBackend(page, baseURL!)
  await backend.install()
  await logIn(page, 'smoke', 'smoke-pass')

  await page.getByRole('link', { name: 'Memory' }).click()
  await expect(page.getByRole('heading', { name: 'Memory', level: 1 })).toBeVisible()
  await expect(page.getByText('Nothing remembered yet.')).toBeVisible()

  const form = page.getByRole('form', { name: 'New memory item' })
  await form.getByRole('textbox', { name: 'Key' }).fill('favourite_colour')
  await form.getByRole('textbox', { name: 'Value' }).fill('blue')
  await form.getByRole('button', { name: 'Remember' }).click()
  const items = page.getByRole('table', { name: 'Memory items' })
  await expect(items.getByRole('row', { name: /favourite_colour/ })).toContainText('blue')

  await form.getByRole('textbox', { name: 'Value' }).fill('green')
  await form.getByRole('textbox', { name: 'Key' }).fill('favourite_colour')
  await form.getByRole('button', { name: 'Remember' }).click()
  await expect(form.getByRole('textbox', { name: 'Key' })).toHaveAccessibleDescription(/this key in this namespace already/)

  await form.getByRole('textbox', { name: 'Key' }).fill('pets')
  await form.getByRole('combobox', { name: 'The value is' }).selectOption('json')
  await form.getByRole('textbox', { name: 'Value (JSON)' }).fill('["cat"]')
  await form.getByRole('button', { name: 'Remember' }).click()
  const pets = items.getByRole('row', { name: /pets/ })
  await expect(pets).toContainText('["cat"]')

  await pets.getByRole('button', { name: 'Edit pets' }).click()
  const box = page.getByRole('textbox', { name: 'Value of pets (JSON)' })
  await box.fill('["cat", ')
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(box).toHaveAccessibleDescription(/not valid JSON/)
  await box.fill('["cat", "dog"]')
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(pets).toContainText('["cat","dog"]')

  const search = page.getByRole('search', { name: 'Search memory' })
  await search.getByRole('searchbox', { name: 'Search' }).fill('dog')
  await search.getByRole('button', { name: 'Search' }).click()
  const results = page.getByRole('list', { name: 'Search results' })
  await expect(results.getByRole('listitem')).toHaveCount(1)
  await expect(results.getByRole('listitem')).toContainText('pets')
  await expect(results.getByRole('listitem')).toContainText('By words')
  await shot(page, 'memory')

  await items.getByRole('row', { name: /favourite_colour/ }).getByRole('button', { name: 'Delete' }).click()
  await page.getByRole('button', { name: 'Yes, forget it' }).click()
  await expect(items.getByRole('row', { name: /favourite_colour/ })).toHaveCount(0)
  expect(backend.csrfFailures).toEqual([])
})
