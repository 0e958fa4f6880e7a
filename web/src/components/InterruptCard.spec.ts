import { fireEvent, render, screen, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import type { Interrupt } from '@/api/types'
import { useInterruptsStore } from '@/stores/interrupts'
import { at, INTERRUPT_ID, interrupt, TOOL_CONFIRMATION } from '@/test-utils/events'
import { server } from '@/test-utils/server'
import InterruptCard from './InterruptCard.vue'

const ANSWER_URL = `/api/interrupts/${INTERRUPT_ID}/answer/`

/** The card as a page shows it: the store's copy, so an answer or a refetch replaces it. */
function renderCard(shown: Interrupt) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const store = useInterruptsStore()
  store.byId[shown.id] = shown
  const Page = defineComponent({ setup: () => () => h(InterruptCard, { interrupt: store.byId[shown.id]! }) })
  return render(Page, { global: { plugins: [pinia] } })
}

/** Answers the POST with the interrupt answered as `answer`, and records the bodies sent. */
function acceptAnswers(kind: Interrupt['kind'] = 'ask_human') {
  const sent: unknown[] = []
  server.use(
    http.post(ANSWER_URL, async ({ request }) => {
      const body = (await request.json()) as { answer: unknown }
      sent.push(body.answer)
      const base = kind === 'ask_human' ? interrupt() : interrupt({}, TOOL_CONFIRMATION)
      return HttpResponse.json({ ...base, status: 'answered', answer: body.answer, answered_by: 'ada', answered_at: at(1000) })
    }),
  )
  return sent
}

beforeEach(() => {
  setActivePinia(createPinia())
})

describe('InterruptCard', () => {
  it('answers a question with one of its choices', async () => {
    const sent = acceptAnswers()
    renderCard(interrupt())
    const card = screen.getByRole('region', { name: 'Question from the agent' })
    expect(card).toHaveTextContent('Which colour?')
    await fireEvent.click(within(card).getByRole('button', { name: 'blue' }))
    expect(await within(card).findByRole('status')).toHaveTextContent('Answered by ada: blue')
    expect(sent).toEqual(['blue'])
    expect(within(card).queryByRole('button', { name: 'red' })).not.toBeInTheDocument()
  })

  it('answers an open question in words, and shows the server refusing an answer by the box', async () => {
    renderCard(interrupt({ payload: { question: 'Your name?' } }))
    const box = screen.getByRole('textbox', { name: 'Your answer' })
    await fireEvent.click(screen.getByRole('button', { name: 'Answer' }))
    expect(screen.getByText('Write an answer first.')).toBeInTheDocument()

    server.use(http.post(ANSWER_URL, () => HttpResponse.json({ answer: ['The answer is too long.'] }, { status: 400 })))
    await fireEvent.update(box, 'Ada')
    await fireEvent.click(screen.getByRole('button', { name: 'Answer' }))
    expect(await screen.findByText('The answer is too long.')).toBeInTheDocument()
    expect(box).toHaveAttribute('aria-invalid', 'true')
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()

    const sent = acceptAnswers()
    await fireEvent.click(screen.getByRole('button', { name: 'Answer' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Answered by ada: Ada')
    expect(sent).toEqual(['Ada'])
  })

  it('shows the stored answer when someone else answered first', async () => {
    server.use(
      http.post(ANSWER_URL, () =>
        HttpResponse.json(
          { detail: 'This interrupt was already answered; the first answer counts.', code: 'already_answered' },
          { status: 409 },
        ),
      ),
      http.get(`/api/interrupts/${INTERRUPT_ID}/`, () =>
        HttpResponse.json(interrupt({ status: 'answered', answer: 'red', answered_by: 'grace', answered_at: at(500) })),
      ),
    )
    renderCard(interrupt())
    await fireEvent.click(screen.getByRole('button', { name: 'blue' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Answered elsewhere by grace: red')
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
  })

  it('says so when the run no longer waits', async () => {
    server.use(
      http.post(ANSWER_URL, () =>
        HttpResponse.json({ detail: 'The run no longer waits for this answer: it is stopped.', code: 'interrupt_closed' }, { status: 409 }),
      ),
      http.get(`/api/interrupts/${INTERRUPT_ID}/`, () => HttpResponse.json(interrupt({ status: 'closed' }))),
    )
    renderCard(interrupt())
    await fireEvent.click(screen.getByRole('button', { name: 'red' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Closed: the run no longer waits for an answer.')
  })

  it('approves a tool call, or rejects it with a reason', async () => {
    const sent = acceptAnswers('confirm_tool')
    const { unmount } = renderCard(interrupt({}, TOOL_CONFIRMATION))
    const card = screen.getByRole('region', { name: 'Tool call to confirm' })
    expect(card).toHaveTextContent('send_email')
    expect(card).toHaveTextContent('"to": "ada@example.com"')
    await fireEvent.click(within(card).getByRole('button', { name: 'Approve' }))
    expect(await within(card).findByRole('status')).toHaveTextContent('Answered by ada: Approved')
    unmount()

    renderCard(interrupt({}, TOOL_CONFIRMATION))
    await fireEvent.update(screen.getByRole('textbox', { name: 'Reason (optional)' }), 'Not today ')
    await fireEvent.click(screen.getByRole('button', { name: 'Reject' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Answered by ada: Rejected: Not today')
    expect(sent).toEqual([{ action: 'approve' }, { action: 'reject', reason: 'Not today' }])
  })

  it('checks edited arguments before it approves them', async () => {
    const sent = acceptAnswers('confirm_tool')
    renderCard(interrupt({}, TOOL_CONFIRMATION))
    await fireEvent.click(screen.getByRole('button', { name: 'Edit arguments' }))
    const box = screen.getByRole('textbox', { name: 'Arguments (JSON object)' })
    expect(box).toHaveValue('{\n  "to": "ada@example.com",\n  "subject": "Hi"\n}')
    await fireEvent.update(box, '[1')
    await fireEvent.click(screen.getByRole('button', { name: 'Approve edited' }))
    expect(screen.getByText(/This is not valid JSON/)).toBeInTheDocument()
    expect(sent).toEqual([])

    await fireEvent.update(box, '{"to": "grace@example.com"}')
    await fireEvent.click(screen.getByRole('button', { name: 'Approve edited' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Answered by ada: Approved with edited arguments')
    expect(sent).toEqual([{ action: 'edit', arguments: { to: 'grace@example.com' } }])
  })
})
