/**
 * Conversations on the real stack: a reply streamed token by token through
 * a reload and then stored, and a run's question answered in one tab and
 * seen answered in another.
 */
import { expect, test } from '@playwright/test'
import { logIn, shot } from '../support'
import {
  createAgentViaApi,
  createThreadViaApi,
  password,
  requireStack,
  storedEvents,
  threadMessages,
  tokenText,
  uniqueName,
  username,
} from './stack'

test.beforeEach(requireStack)

function tokens(count: number): string {
  return Array.from({ length: count }, (_, i) => `tok${i + 1} `).join('')
}

test('chat with an agent: the reply streams through a reload, then the stored one takes its place', async ({ page }) => {
  await logIn(page, username, password)
  const agentName = uniqueName('Chatter')
  // About 3 s of tokens, so the reload lands in the middle of the reply.
  await createAgentViaApi(page, agentName, { steps: 1, tokens: 30, delay_ms: 100 })
  await page.getByRole('link', { name: 'Threads' }).click()
  const form = page.getByRole('form', { name: 'New conversation' })
  await form.getByRole('combobox', { name: 'Agent' }).selectOption({ label: `${agentName} (synthetic)` })
  await form.getByRole('textbox', { name: 'Title (optional)' }).fill('Small talk')
  await form.getByRole('button', { name: 'Start conversation' }).click()
  await expect(page.getByRole('heading', { name: 'Small talk', level: 1 })).toBeVisible()
  const threadId = new URL(page.url()).pathname.split('/').filter(Boolean).pop()!

  await page.getByRole('textbox', { name: 'Message' }).fill('Hello there')
  await page.getByRole('button', { name: 'Send' }).click()
  const conversation = page.getByRole('log', { name: 'Conversation' })
  await expect(conversation.getByText('Hello there')).toBeVisible()
  const streamed = page.getByTestId('streamed-reply')
  await expect(streamed).toContainText('tok3 ')

  await page.reload()
  await expect(conversation.getByText('Hello there')).toBeVisible()
  await expect(streamed).toContainText('tok1 tok2 tok3 ')
  await expect(streamed).toContainText('tok20 ')
  await shot(page, 'stack-thread-streaming')

  await expect(streamed).toBeHidden({ timeout: 30_000 })
  await expect(conversation.locator('.message.assistant .bubble').last()).toHaveText(tokens(30))
  const stored = await threadMessages(page, threadId)
  expect(stored.map((message) => [message.role, message.content])).toEqual([
    ['user', 'Hello there'],
    ['assistant', tokens(30)],
  ])
  await shot(page, 'stack-thread')
})

test('a question answered in one tab is seen answered in another, and survives a reload while it waits', async ({
  page,
  context,
}) => {
  await logIn(page, username, password)
  const agentId = await createAgentViaApi(page, uniqueName('Asker'), {
    steps: 1,
    tokens: 3,
    ask: { question: 'Which colour?', choices: ['red', 'blue'] },
  })
  const threadId = await createThreadViaApi(page, agentId, 'Colours')
  await page.goto(`/threads/${threadId}`)
  await page.getByRole('textbox', { name: 'Message' }).fill('Paint me something')
  await page.getByRole('button', { name: 'Send' }).click()
  const card = page.getByRole('region', { name: 'Question from the agent' })
  await expect(card).toContainText('Which colour?')

  // A reload while the run waits shows the same: the message, and the question to answer.
  await page.reload()
  await expect(page.getByRole('log', { name: 'Conversation' }).getByText('Paint me something')).toBeVisible()
  await expect(card.getByRole('button', { name: 'blue' })).toBeVisible()
  const runLink = page.getByRole('link', { name: /^[0-9a-f]{8}$/ })
  const executionPath = await runLink.getAttribute('href')

  const other = await context.newPage()
  await other.goto(executionPath!)
  const otherCard = other.getByRole('region', { name: 'Question from the agent' })
  await expect(otherCard.getByRole('button', { name: 'red' })).toBeVisible()

  await card.getByRole('button', { name: 'blue' }).click()
  await expect(otherCard.getByRole('status')).toHaveText(`Answered elsewhere by ${username}: blue`)
  await expect(other.getByRole('region', { name: 'Live log' })).toHaveAttribute('data-status', 'completed')
  await shot(other, 'stack-interrupt-answered-elsewhere')

  // The first tab ends with the conversation as stored: the question, its answer, the reply.
  const conversation = page.getByRole('log', { name: 'Conversation' })
  await expect(conversation.getByText(`Answer: blue (by ${username})`)).toBeVisible()
  await expect(conversation.locator('.message.assistant .bubble').last()).toHaveText(tokens(3))
  const executionId = executionPath!.split('/').filter(Boolean).pop()!
  const events = await storedEvents(page, executionId)
  expect(events.map((event) => event.type)).toContain('execution_resumed')
  expect(tokenText(events)).toBe(tokens(3))
  const stored = await threadMessages(page, threadId)
  expect(stored.map((message) => message.role)).toEqual(['user', 'assistant', 'assistant'])
  expect(stored[1]).toMatchObject({ content: 'Which colour?' })
})
