/**
 * A conversation in a real browser against the mocked backend: start a
 * thread, send a message, answer the agent's question, watch the reply
 * stream, reload mid-answer, and end with the stored answer.
 */
import { expect, test } from '@playwright/test'
import { logIn, shot } from '../support'
import { MockBackend } from './mockBackend'

test('a conversation: a question answered, the reply streamed through a reload, then stored', async ({ page, baseURL }) => {
  const backend = new MockBackend(page, baseURL!)
  await backend.install()
  await logIn(page, 'smoke', 'smoke-pass')
  backend.addAgent('Painter', {
    steps: 1,
    tokens: 100,
    delay_ms: 40,
    ask: { question: 'Which colour?', choices: ['red', 'blue'] },
  })

  await page.getByRole('link', { name: 'Threads' }).click()
  await expect(page.getByRole('heading', { name: 'Threads', level: 1 })).toBeVisible()
  const form = page.getByRole('form', { name: 'New conversation' })
  await form.getByRole('combobox', { name: 'Agent' }).selectOption({ label: 'Painter (synthetic)' })
  await form.getByRole('textbox', { name: 'Title (optional)' }).fill('Colours')
  await form.getByRole('button', { name: 'Start conversation' }).click()
  await expect(page.getByRole('heading', { name: 'Colours', level: 1 })).toBeVisible()

  await page.getByRole('textbox', { name: 'Message' }).fill('Paint me something')
  await page.getByRole('button', { name: 'Send' }).click()
  const conversation = page.getByRole('log', { name: 'Conversation' })
  await expect(conversation.getByText('Paint me something')).toBeVisible()
  const card = page.getByRole('region', { name: 'Question from the agent' })
  await expect(card).toContainText('Which colour?')
  await expect(page.getByText('Waiting for input').first()).toBeVisible()
  await shot(page, 'smoke-thread-question')
  await card.getByRole('button', { name: 'red' }).click()
  await expect(card.getByRole('status')).toHaveText(/Answered by smoke: red/)

  const streamed = page.getByTestId('streamed-reply')
  await expect(streamed).toContainText('w5 ')
  await page.reload()
  await expect(conversation.getByText('Paint me something')).toBeVisible()
  // The run is replayed from its first event and goes on live.
  await expect(streamed).toContainText('w1 w2 w3 w4 w5 ')
  await expect(streamed).toContainText('w60 ')
  await shot(page, 'smoke-thread-streaming')

  const reply = Array.from({ length: 100 }, (_, i) => `w${i + 1} `).join('')
  await expect(streamed).toBeHidden({ timeout: 30_000 })
  await expect(conversation.locator('.message.assistant .bubble').last()).toHaveText(reply)
  // The question stays in the conversation, with the answer it got.
  await expect(conversation.getByText('Answer: red (by smoke)')).toBeVisible()
  await expect(page.getByRole('button', { name: 'Stop' })).toBeHidden()
  await shot(page, 'smoke-thread')
  expect(backend.csrfFailures).toEqual([])
})
