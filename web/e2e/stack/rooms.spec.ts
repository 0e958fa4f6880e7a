/**
 * Rooms on the real stack: two synthetic agents taking turns on one task.
 * A room made through the room list runs its seats in parallel (both turns
 * stream at once), pauses between rounds once its running turns have
 * ended, resumes, and completes with every answer labelled by its agent and
 * round; a sequential room pauses after the running seat's turn, before the
 * next seat's. A room of two of the example agents a new user finds seeded
 * (Synthetic demo, then Chat on the local model) runs the same way.
 */
import { expect, test, type Locator, type Page } from '@playwright/test'
import { logIn, shot } from '../support'
import {
  createAgentViaApi,
  createRoomViaApi,
  password,
  requireStack,
  roomEventTypes,
  roomMessages,
  roomViaApi,
  uniqueName,
  username,
  type StoredRoom,
} from './stack'

test.beforeEach(requireStack)

/** A turn may wait for a busy worker on a small machine: generous, bounded. */
const TURN_TIMEOUT = 30_000
const TASK = 'Write a short story together.'
// About 3 s of tokens per turn: long enough to see both turns of a round run at once and to pause mid-turn.
const WRITER = { steps: 2, tokens: 20, delay_ms: 150 }
const CRITIC = { steps: 2, tokens: 24, delay_ms: 150 }

function tokens(count: number): string {
  return Array.from({ length: count }, (_, i) => `tok${i + 1} `).join('')
}

function roomPage(page: Page) {
  const section = page.locator('section.room')
  const controls = page.getByRole('form', { name: 'Room controls' })
  const conversation = page.getByRole('log', { name: 'Conversation' })
  return {
    section,
    controls,
    conversation,
    button: (name: 'Start' | 'Pause' | 'Resume' | 'Stop') => controls.getByRole('button', { name, exact: true }),
    seat: (position: number, agent: string) =>
      page.getByRole('list', { name: 'Seats' }).getByRole('listitem', { name: `Seat ${position + 1}: ${agent}` }),
    turn: (agent: string, round: number) => page.getByRole('article', { name: `Turn of ${agent}, round ${round}` }),
    /** The turns on screen that are running and have streamed some text. */
    streaming: () => page.locator('article.turn').filter({ has: page.locator('[data-status="running"]') }).filter({ hasText: 'tok2 ' }),
    answers: () => conversation.locator('.message.assistant'),
  }
}

/** What the conversation shows of each answer: who said it, in which round, and what. */
async function shownAnswers(answers: Locator): Promise<[string, string][]> {
  const shown: [string, string][] = []
  for (const item of await answers.all()) {
    shown.push([((await item.locator('.who').textContent()) ?? '').trim(), (await item.locator('.bubble').textContent()) ?? ''])
  }
  return shown
}

async function pauseAnswer(page: Page, click: () => Promise<void>): Promise<StoredRoom> {
  const answered = page.waitForResponse((response) => /\/api\/rooms\/[^/]+\/pause\/$/.test(new URL(response.url()).pathname))
  await click()
  const response = await answered
  expect(response.status(), await response.text()).toBe(200)
  return (await response.json()) as StoredRoom
}

test('a parallel room made in the list: both turns stream at once, a pause waits for them, and every round is played', async ({
  page,
}) => {
  test.setTimeout(180_000)
  await logIn(page, username, password)
  const writer = uniqueName('Writer')
  const critic = uniqueName('Critic')
  await createAgentViaApi(page, writer, WRITER)
  await createAgentViaApi(page, critic, CRITIC)

  await page.getByRole('link', { name: 'Rooms', exact: true }).click()
  const form = page.getByRole('form', { name: 'New room' })
  const roomName = uniqueName('Story room')
  await form.getByRole('textbox', { name: 'Name' }).fill(roomName)
  await form.getByRole('textbox', { name: 'Task' }).fill(TASK)
  await form.getByRole('combobox', { name: 'Turns' }).selectOption('parallel')
  await form.getByRole('spinbutton', { name: 'Rounds' }).fill('2')
  const picker = form.getByRole('combobox', { name: 'Agent' })
  for (const agent of [writer, critic]) {
    await picker.selectOption({ label: `${agent} (synthetic)` })
    await form.getByRole('button', { name: 'Add seat' }).click()
  }
  await expect(form.getByRole('list', { name: 'Seats' }).getByRole('listitem')).toHaveCount(2)
  await form.getByRole('button', { name: 'Create room' }).click()

  await expect(page.getByRole('heading', { name: roomName, level: 1 })).toBeVisible()
  const roomId = new URL(page.url()).pathname.split('/').filter(Boolean).pop()!
  const room = roomPage(page)
  await expect(room.section).toHaveAttribute('data-room-status', 'idle')
  await expect(room.seat(0, writer)).toHaveAttribute('data-state', 'idle')
  await expect(room.seat(1, critic)).toHaveAttribute('data-state', 'idle')
  await expect(room.controls.getByRole('textbox', { name: 'Task' })).toHaveValue(TASK)

  // Round 1: both seats' turns run at once, each streaming its own tokens.
  await room.button('Start').click()
  await expect(room.section).toHaveAttribute('data-room-status', 'running')
  await expect(room.conversation.locator('.message.user .bubble')).toHaveText(TASK)
  await expect(room.turn(writer, 1).getByTestId('token-text')).toContainText('tok1 tok2 ', { timeout: TURN_TIMEOUT })
  await expect(room.turn(critic, 1).getByTestId('token-text')).toContainText('tok1 tok2 ', { timeout: TURN_TIMEOUT })
  await expect(room.streaming()).toHaveCount(2)
  await expect(room.seat(0, writer)).toHaveAttribute('data-state', 'running')
  await expect(room.seat(1, critic)).toHaveAttribute('data-state', 'running')
  await shot(page, 'stack-room-parallel')

  // A pause asked for mid-round waits for the running turns: the room pauses before round 2.
  const asked = await pauseAnswer(page, () => room.button('Pause').click())
  expect(asked, 'the pause came once round 1 was over: make the turns longer').toMatchObject({
    status: 'running',
    round: 1,
    pause_requested: true,
  })
  await expect(room.section).toHaveAttribute('data-room-status', 'paused', { timeout: TURN_TIMEOUT })
  await expect(room.section).toHaveAttribute('data-round', '2')
  await expect(page.locator('.page-head .badge')).toHaveText('Paused')
  await expect(room.button('Resume')).toBeEnabled()
  await expect(room.button('Pause')).toBeDisabled()
  await expect(room.answers()).toHaveCount(2)
  expect(await shownAnswers(room.answers())).toEqual([
    [`${writer} · round 1`, tokens(WRITER.tokens)],
    [`${critic} · round 1`, tokens(CRITIC.tokens)],
  ])
  await expect(page.locator('article.turn')).toHaveCount(0)
  await expect(room.seat(0, writer)).toHaveAttribute('data-state', 'idle')
  await expect(room.seat(1, critic)).toHaveAttribute('data-state', 'idle')
  expect(await roomViaApi(page, roomId)).toMatchObject({ status: 'paused', round: 2, pause_requested: false })
  await shot(page, 'stack-room-paused')

  // Resumed, round 2 streams the same way, and the room ends after it.
  await room.button('Resume').click()
  await expect(room.turn(writer, 2).getByTestId('token-text')).toContainText('tok1 tok2 ', { timeout: TURN_TIMEOUT })
  await expect(room.turn(critic, 2).getByTestId('token-text')).toContainText('tok1 tok2 ', { timeout: TURN_TIMEOUT })
  await expect(room.section).toHaveAttribute('data-room-status', 'completed', { timeout: TURN_TIMEOUT })
  await expect(page.getByText('Every round was played.')).toBeVisible()
  await expect(room.answers()).toHaveCount(4)
  expect(await shownAnswers(room.answers())).toEqual([
    [`${writer} · round 1`, tokens(WRITER.tokens)],
    [`${critic} · round 1`, tokens(CRITIC.tokens)],
    [`${writer} · round 2`, tokens(WRITER.tokens)],
    [`${critic} · round 2`, tokens(CRITIC.tokens)],
  ])
  await expect(page.locator('article.turn')).toHaveCount(0)
  for (const name of ['Start', 'Pause', 'Resume', 'Stop'] as const) await expect(room.button(name)).toBeDisabled()
  await shot(page, 'stack-room-completed')

  // What the room stored: the task, then each seat's answer, round by round in seat order.
  expect(await roomViaApi(page, roomId)).toMatchObject({ status: 'completed', round: 2, end_reason: 'max_rounds' })
  const stored = await roomMessages(page, roomId)
  expect(stored.map((message) => [message.role, message.round, message.seat, message.agent_name, message.content])).toEqual([
    ['user', 0, null, null, TASK],
    ['assistant', 1, 0, writer, tokens(WRITER.tokens)],
    ['assistant', 1, 1, critic, tokens(CRITIC.tokens)],
    ['assistant', 2, 0, writer, tokens(WRITER.tokens)],
    ['assistant', 2, 1, critic, tokens(CRITIC.tokens)],
  ])
  expect(await roomEventTypes(page, roomId)).toEqual([
    'room_started',
    'turn_started',
    'turn_started',
    'turn_completed',
    'turn_completed',
    'round_completed',
    'room_paused',
    'room_resumed',
    'turn_started',
    'turn_started',
    'turn_completed',
    'turn_completed',
    'round_completed',
    'room_completed',
  ])

  // A reload shows the same: the stored conversation, labelled.
  await page.reload()
  await expect(room.section).toHaveAttribute('data-room-status', 'completed')
  await expect(room.answers()).toHaveCount(4)
  expect((await shownAnswers(room.answers())).map(([who]) => who)).toEqual([
    `${writer} · round 1`,
    `${critic} · round 1`,
    `${writer} · round 2`,
    `${critic} · round 2`,
  ])
})

test('a sequential room pauses after the running turn, before the next seat takes its own', async ({ page }) => {
  test.setTimeout(150_000)
  await logIn(page, username, password)
  const writer = uniqueName('Writer')
  const critic = uniqueName('Critic')
  const writerId = await createAgentViaApi(page, writer, WRITER)
  const criticId = await createAgentViaApi(page, critic, CRITIC)
  const roomId = await createRoomViaApi(page, {
    name: uniqueName('Relay room'),
    task: TASK,
    mode: 'sequential',
    max_rounds: 1,
    agents: [writerId, criticId],
  })
  await page.goto(`/rooms/${roomId}`)
  const room = roomPage(page)
  await expect(room.section).toHaveAttribute('data-room-status', 'idle')

  await room.button('Start').click()
  await expect(room.turn(writer, 1).getByTestId('token-text')).toContainText('tok1 tok2 ', { timeout: TURN_TIMEOUT })
  await expect(room.seat(1, critic)).toHaveAttribute('data-state', 'idle')
  await expect(page.locator('article.turn')).toHaveCount(1)

  const asked = await pauseAnswer(page, () => room.button('Pause').click())
  expect(asked, "the pause came after the writer's turn: make it longer").toMatchObject({ status: 'running', pause_requested: true })
  await expect(page.getByText('Pausing once the running turns have ended…')).toBeVisible()
  await expect(room.section).toHaveAttribute('data-room-status', 'paused', { timeout: TURN_TIMEOUT })
  // The writer's answer has joined the room; the critic has not started.
  await expect(room.answers()).toHaveCount(1)
  expect(await shownAnswers(room.answers())).toEqual([[`${writer} · round 1`, tokens(WRITER.tokens)]])
  await expect(room.seat(0, writer)).toHaveAttribute('data-state', 'done')
  await expect(room.seat(1, critic)).toHaveAttribute('data-state', 'idle')
  await expect(page.locator('article.turn')).toHaveCount(0)
  // A reload of the paused room shows the same, ready to resume.
  await page.reload()
  await expect(room.section).toHaveAttribute('data-room-status', 'paused')
  await expect(room.answers()).toHaveCount(1)
  await expect(room.seat(0, writer)).toHaveAttribute('data-state', 'done')
  await expect(room.button('Resume')).toBeEnabled()

  await room.button('Resume').click()
  await expect(room.turn(critic, 1).getByTestId('token-text')).toContainText('tok1 tok2 ', { timeout: TURN_TIMEOUT })
  await expect(room.section).toHaveAttribute('data-room-status', 'completed', { timeout: TURN_TIMEOUT })
  await expect(room.answers()).toHaveCount(2)
  expect(await shownAnswers(room.answers())).toEqual([
    [`${writer} · round 1`, tokens(WRITER.tokens)],
    [`${critic} · round 1`, tokens(CRITIC.tokens)],
  ])
  await expect(room.seat(1, critic)).toHaveAttribute('data-state', 'done')

  const stored = await roomMessages(page, roomId)
  expect(stored.map((message) => [message.role, message.round, message.agent_name, message.content])).toEqual([
    ['user', 0, null, TASK],
    ['assistant', 1, writer, tokens(WRITER.tokens)],
    ['assistant', 1, critic, tokens(CRITIC.tokens)],
  ])
})

test('a room of two seeded agents made in the list: each turn streams, a pause waits for the running one, resume goes on', async ({
  page,
}) => {
  test.setTimeout(180_000)
  await logIn(page, username, password)
  // The local model answers in seconds, but may wait for a busy machine.
  const CHAT_TIMEOUT = 90_000
  await page.getByRole('link', { name: 'Rooms', exact: true }).click()
  const form = page.getByRole('form', { name: 'New room' })
  const roomName = uniqueName('Seeded room')
  await form.getByRole('textbox', { name: 'Name' }).fill(roomName)
  await form.getByRole('textbox', { name: 'Task' }).fill('Say hello to each other in one sentence.')
  await form.getByRole('combobox', { name: 'Turns' }).selectOption('sequential')
  await form.getByRole('spinbutton', { name: 'Rounds' }).fill('1')
  const picker = form.getByRole('combobox', { name: 'Agent' })
  for (const label of ['Synthetic demo (synthetic)', 'Chat (chat)']) {
    await picker.selectOption({ label })
    await form.getByRole('button', { name: 'Add seat' }).click()
  }
  await form.getByRole('button', { name: 'Create room' }).click()
  await expect(page.getByRole('heading', { name: roomName, level: 1 })).toBeVisible()
  const roomId = new URL(page.url()).pathname.split('/').filter(Boolean).pop()!
  const room = roomPage(page)

  // The seeded synthetic agent streams about five seconds of tokens: pause during them.
  await room.button('Start').click()
  await expect(room.turn('Synthetic demo', 1).getByTestId('token-text')).toContainText('tok2 ', { timeout: TURN_TIMEOUT })
  const asked = await pauseAnswer(page, () => room.button('Pause').click())
  expect(asked, 'the pause came after the first turn: make it longer').toMatchObject({ status: 'running', pause_requested: true })
  await expect(room.section).toHaveAttribute('data-room-status', 'paused', { timeout: TURN_TIMEOUT })
  await expect(room.answers()).toHaveCount(1)
  await expect(room.seat(1, 'Chat')).toHaveAttribute('data-state', 'idle')

  // Chat's turn streams the local model's reply token by token, then the room completes.
  await room.button('Resume').click()
  const reply = room.turn('Chat', 1).getByTestId('token-text')
  await expect(reply).not.toBeEmpty({ timeout: CHAT_TIMEOUT })
  await expect(room.section).toHaveAttribute('data-room-status', 'completed', { timeout: CHAT_TIMEOUT })
  await expect(room.answers()).toHaveCount(2)
  await shot(page, 'stack-room-seeded')

  const stored = await roomMessages(page, roomId)
  expect(stored.map((message) => [message.role, message.round, message.agent_name])).toEqual([
    ['user', 0, null],
    ['assistant', 1, 'Synthetic demo'],
    ['assistant', 1, 'Chat'],
  ])
  expect(stored[2]!.content.trim()).not.toBe('')
  const shown = (await shownAnswers(room.answers())).map(([who, text]) => [who, text.trim()])
  expect(shown).toEqual([
    ['Synthetic demo · round 1', stored[1]!.content.trim()],
    ['Chat · round 1', stored[2]!.content.trim()],
  ])
  expect(await roomEventTypes(page, roomId)).toEqual([
    'room_started',
    'turn_started',
    'turn_completed',
    'room_paused',
    'room_resumed',
    'turn_started',
    'turn_completed',
    'round_completed',
    'room_completed',
  ])
})
