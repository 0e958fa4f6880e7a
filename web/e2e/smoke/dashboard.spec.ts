/**
 * The whole dashboard in a real browser against a mocked backend (see
 * mockBackend.ts): log in, create, run, stream, stop, survive a dropped
 * socket. The same flows run against the real stack in e2e/stack/.
 */
import { expect, test, type Page } from '@playwright/test'
import { expectTextToGrow, fillAgentForm, liveLog, logIn, shot } from '../support'
import { MockBackend } from './mockBackend'

async function setUp(page: Page, baseURL: string | undefined) {
  const backend = new MockBackend(page, baseURL!)
  await backend.install()
  return backend
}

async function createAgent(page: Page, name: string, config: { steps: number; tokens: number; delay_ms: number }) {
  await page.getByRole('link', { name: 'New agent' }).click()
  await expect(page.getByRole('combobox', { name: 'Runtime' })).toBeVisible()
  await fillAgentForm(page, name, config)
  await page.getByRole('button', { name: 'Create agent' }).click()
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible()
}

async function currentExecutionId(page: Page): Promise<string> {
  const href = await page.getByRole('heading', { name: /Current execution/ }).getByRole('link').getAttribute('href')
  return href!.split('/').filter(Boolean).pop()!
}

test('log in, with a helpful message for a wrong password', async ({ page, baseURL }) => {
  const backend = await setUp(page, baseURL)
  await page.goto('/login')
  await page.getByLabel('Username').fill('smoke')
  await page.getByLabel('Password').fill('wrong')
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('alert')).toHaveText('Unable to log in with provided credentials.')
  await logIn(page, 'smoke', 'smoke-pass')
  await expect(page.getByText('No agents yet.')).toBeVisible()
  await shot(page, 'smoke-agents-empty')
  await page.getByRole('button', { name: 'Log out' }).click()
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible()
  expect(backend.csrfFailures).toEqual([])
})

test('create an agent, run it and watch the text grow to completion', async ({ page, baseURL }) => {
  const backend = await setUp(page, baseURL)
  await logIn(page, 'smoke', 'smoke-pass')
  await page.getByRole('link', { name: 'New agent' }).click()
  await fillAgentForm(page, 'Storyteller', { steps: 3, tokens: 200, delay_ms: 20 })
  await shot(page, 'smoke-agent-form')
  await page.getByRole('button', { name: 'Create agent' }).click()
  await expect(page.getByRole('heading', { name: 'Storyteller', level: 1 })).toBeVisible()
  await expect(page.getByRole('status', { name: 'Live updates: Connected' })).toBeVisible()

  await page.getByRole('textbox', { name: 'Input (JSON object)' }).fill('{"prompt": "Tell a story"}')
  await page.getByRole('button', { name: 'Run' }).click()
  await expectTextToGrow(page)
  const log = liveLog(page)
  await expect(log.section).toHaveAttribute('data-status', 'completed', { timeout: 30_000 })
  const id = await currentExecutionId(page)
  await expect(log.text).toHaveText(backend.expectedText(id))
  expect(await log.eventCount()).toBe(backend.lastSeq(id))
  await expect(page.getByRole('button', { name: 'Stop' })).toBeDisabled()
  await expect(log.section.getByRole('progressbar')).toHaveAttribute('value', '100')
  await shot(page, 'smoke-agent-detail')

  await page.getByRole('heading', { name: /Current execution/ }).getByRole('link').click()
  await expect(page.getByRole('heading', { name: /^Execution / })).toBeVisible()
  const timeline = page.getByRole('figure', { name: /in total$/ })
  await expect(timeline).toContainText('Stage step 1')
  await expect(timeline).toContainText('Tokens 200 tokens')
  await shot(page, 'smoke-execution-detail')

  await page.getByRole('link', { name: 'Agents' }).click()
  await expect(page.getByRole('link', { name: 'Latest execution of Storyteller: completed' })).toBeVisible()
  await shot(page, 'smoke-agents')
  expect(backend.csrfFailures).toEqual([])
})

/** The Duration cell of the newest history row. */
function latestDuration(page: Page) {
  return page.getByRole('row').nth(1).getByRole('cell').nth(3)
}

test('reloading mid-run keeps the input, the log and a ticking duration', async ({ page, baseURL }) => {
  const backend = await setUp(page, baseURL)
  await logIn(page, 'smoke', 'smoke-pass')
  await createAgent(page, 'Patient', { steps: 1, tokens: 300, delay_ms: 25 })
  const input = page.getByRole('textbox', { name: 'Input (JSON object)' })
  await expect(input).toHaveValue(/"prompt": "hello"/)
  await input.fill('{"prompt": "Tell a long story"}')
  await page.getByRole('button', { name: 'Run' }).click()
  await expect(liveLog(page).text).toContainText('w5 ')

  await page.reload()
  await expect(page.getByRole('textbox', { name: 'Input (JSON object)' })).toHaveValue(/"prompt": "Tell a long story"/)
  const first = await latestDuration(page).textContent()
  await expect.poll(() => latestDuration(page).textContent(), { timeout: 5_000 }).not.toBe(first)

  const log = liveLog(page)
  await expect(log.section).toHaveAttribute('data-status', 'completed', { timeout: 30_000 })
  const id = await currentExecutionId(page)
  await expect(log.text).toHaveText(backend.expectedText(id))
  expect(await log.eventCount()).toBe(backend.lastSeq(id))
  const final = await latestDuration(page).textContent()
  await page.waitForTimeout(1_500)
  await expect(latestDuration(page)).toHaveText(final!)
})

test('a chat agent gets a message form prefilled from its runtime', async ({ page, baseURL }) => {
  await setUp(page, baseURL)
  await logIn(page, 'smoke', 'smoke-pass')
  await page.getByRole('link', { name: 'New agent' }).click()
  await page.getByRole('textbox', { name: 'Name' }).fill('Talker')
  await page.getByRole('combobox', { name: 'Runtime' }).selectOption('chat')
  await expect(page.getByRole('textbox', { name: 'System prompt' })).toHaveValue('You are helpful.')
  await page.getByRole('button', { name: 'Create agent' }).click()
  await expect(page.getByRole('heading', { name: 'Talker', level: 1 })).toBeVisible()

  const message = page.getByRole('textbox', { name: 'Message' })
  await expect(message).toHaveValue('Hello! What can you do?')
  await message.fill('Tell me about harbours.')
  await shot(page, 'smoke-chat-form')
  await page.getByRole('button', { name: 'Run' }).click()
  await expect(liveLog(page).section).toHaveAttribute('data-status', 'completed')

  await page.getByRole('checkbox', { name: 'Edit the input as raw JSON' }).check()
  await expect(page.getByRole('textbox', { name: 'Input (JSON object)' })).toHaveValue(/"message": "Tell me about harbours."/)
  await page.getByRole('heading', { name: /Current execution/ }).getByRole('link').click()
  await expect(page.locator('pre').first()).toContainText('"message": "Tell me about harbours."')
})

test('stop a long run', async ({ page, baseURL }) => {
  await setUp(page, baseURL)
  await logIn(page, 'smoke', 'smoke-pass')
  await createAgent(page, 'Long runner', { steps: 1, tokens: 5000, delay_ms: 20 })
  await page.getByRole('button', { name: 'Run' }).click()
  await expect(liveLog(page).text).toContainText('w5 ')
  await page.getByRole('button', { name: 'Stop' }).click()
  await expect(liveLog(page).section).toHaveAttribute('data-status', 'stopped')
  await expect(page.getByText('Stopped: Stopped on request.')).toBeVisible()
  await expect(page.getByRole('button', { name: 'Stop' })).toBeDisabled()
  await shot(page, 'smoke-stopped')
})

test('a dropped socket mid-run ends with every event exactly once', async ({ page, baseURL }) => {
  const backend = await setUp(page, baseURL)
  await logIn(page, 'smoke', 'smoke-pass')
  await createAgent(page, 'Resilient', { steps: 2, tokens: 300, delay_ms: 15 })
  await page.getByRole('button', { name: 'Run' }).click()
  await expect(liveLog(page).text).toContainText('w20 ')
  backend.dropSockets()
  await expect(page.getByRole('status', { name: /Live updates: (Reconnecting|Connecting)/ })).toBeVisible()
  await expect(page.getByRole('status', { name: 'Live updates: Connected' })).toBeVisible()
  const log = liveLog(page)
  await expect(log.section).toHaveAttribute('data-status', 'completed', { timeout: 30_000 })
  const id = await currentExecutionId(page)
  await expect(log.text).toHaveText(backend.expectedText(id))
  expect(await log.eventCount()).toBe(backend.lastSeq(id))
  expect(await log.lastSeq()).toBe(backend.lastSeq(id))
})

test('upload a document, see it indexed, delete it', async ({ page, baseURL }) => {
  await setUp(page, baseURL)
  await logIn(page, 'smoke', 'smoke-pass')
  await createAgent(page, 'Reader', { steps: 1, tokens: 1, delay_ms: 0 })
  await page.getByRole('link', { name: 'Documents' }).click()
  await expect(page.getByText('No documents yet.')).toBeVisible()
  await page.getByLabel('File (text, Markdown or PDF)').setInputFiles({
    name: 'harbour.md',
    mimeType: 'text/markdown',
    buffer: Buffer.from('# Harbour\n\nThe lamp is cleaned on Tuesdays.\n'),
  })
  await page.getByRole('button', { name: 'Upload' }).click()
  const row = page.getByRole('row', { name: /harbour\.md/ })
  await expect(row.getByRole('cell', { name: 'Ready' })).toBeVisible()
  await shot(page, 'smoke-documents')
  await row.getByRole('button', { name: 'Delete' }).click()
  await row.getByRole('button', { name: 'Yes, delete' }).click()
  await expect(page.getByText('No documents yet.')).toBeVisible()
})

test('the agent page fits a phone screen', async ({ page, baseURL }) => {
  await page.setViewportSize({ width: 390, height: 844 })
  await setUp(page, baseURL)
  await logIn(page, 'smoke', 'smoke-pass')
  await createAgent(page, 'Pocket', { steps: 2, tokens: 30, delay_ms: 5 })
  await page.getByRole('button', { name: 'Run' }).click()
  await expect(liveLog(page).section).toHaveAttribute('data-status', 'completed')
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  await shot(page, 'smoke-agent-detail-phone')
})
