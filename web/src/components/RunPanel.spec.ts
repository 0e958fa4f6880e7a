import { fireEvent, render, screen } from '@testing-library/vue'
import { describe, expect, it } from 'vitest'
import { chatRuntime, runtime } from '@/test-utils/events'
import RunPanel from './RunPanel.vue'

/** A runtime whose input has one field of each simple kind. */
const writer = runtime({
  name: 'writer',
  input_schema: {
    type: 'object',
    required: ['topic'],
    properties: {
      topic: { type: 'string', description: 'What to write about.' },
      words: { type: 'integer', minimum: 1 },
      formal: { type: 'boolean' },
    },
  },
  input_example: { topic: 'Harbours', words: 200, formal: false },
})

function renderPanel(props: Record<string, unknown> = {}) {
  return render(RunPanel, { props: { status: null, ...props } })
}

describe('RunPanel', () => {
  it('does not send invalid JSON and says what is wrong', async () => {
    const { emitted } = renderPanel()
    const input = screen.getByRole('textbox', { name: 'Input (JSON object)' })
    await fireEvent.update(input, '{"prompt": "hi",')
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    expect(emitted().run).toBeUndefined()
    expect(screen.getByText(/not valid JSON/)).toBeInTheDocument()
    expect(input).toHaveAttribute('aria-invalid', 'true')
    expect(input).toHaveAccessibleDescription(/not valid JSON/)
  })

  it('refuses JSON that is not an object', async () => {
    const { emitted } = renderPanel()
    await fireEvent.update(screen.getByRole('textbox', { name: /input/i }), '[1, 2]')
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    expect(emitted().run).toBeUndefined()
    expect(screen.getByText(/Enter a JSON object/)).toBeInTheDocument()
  })

  it('sends the parsed object once the JSON is valid', async () => {
    const { emitted } = renderPanel()
    const input = screen.getByRole('textbox', { name: /input/i })
    await fireEvent.update(input, '{"prompt": "hi"')
    await fireEvent.update(input, '{"prompt": "hi"}')
    expect(input).toHaveAttribute('aria-invalid', 'false')
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    expect(emitted().run).toEqual([[{ prompt: 'hi' }]])
  })

  it.each([
    [null, false],
    ['pending', true],
    ['running', true],
    ['completed', false],
    ['failed', false],
    ['stopped', false],
  ] as const)('with status %s the stop button is enabled: %s', (status, enabled) => {
    renderPanel({ status })
    const stop = screen.getByRole('button', { name: 'Stop' })
    if (enabled) expect(stop).toBeEnabled()
    else expect(stop).toBeDisabled()
  })

  it('disables stop while a stop request is on its way, and emits stop on click', async () => {
    const { emitted, rerender } = renderPanel({ status: 'running' })
    await fireEvent.click(screen.getByRole('button', { name: 'Stop' }))
    expect(emitted().stop).toHaveLength(1)
    await rerender({ status: 'running', stopping: true })
    expect(screen.getByRole('button', { name: 'Stopping…' })).toBeDisabled()
  })

  it('explains why an inactive agent cannot run', () => {
    renderPanel({ blockedReason: 'This agent is inactive.' })
    expect(screen.getByRole('button', { name: 'Run' })).toBeDisabled()
    expect(screen.getByText('This agent is inactive.')).toBeInTheDocument()
  })

  it('prefills the JSON box from the runtime example and says what the runtime takes', () => {
    renderPanel({ runtime: runtime() })
    const input = screen.getByRole('textbox', { name: 'Input (JSON object)' })
    expect(JSON.parse((input as HTMLTextAreaElement).value)).toEqual({ prompt: 'hello' })
    expect(input).toHaveAccessibleDescription(
      'Anything: the result echoes it as input. For example {"prompt":"hello"}.',
    )
    expect(screen.queryByRole('checkbox', { name: /raw JSON/ })).not.toBeInTheDocument()
  })

  it('is a form built from the input schema, prefilled from the example', async () => {
    const { emitted } = renderPanel({ runtime: writer })
    const topic = screen.getByRole('textbox', { name: 'Topic' })
    expect(topic.tagName).toBe('TEXTAREA')
    expect(topic).toHaveValue('Harbours')
    expect(topic).toHaveAccessibleDescription('What to write about.')
    expect(screen.getByRole('spinbutton', { name: 'Words' })).toHaveValue(200)
    expect(screen.getByRole('checkbox', { name: 'Formal' })).not.toBeChecked()
    expect(screen.queryByRole('textbox', { name: 'Input (JSON object)' })).not.toBeInTheDocument()

    await fireEvent.update(topic, 'Lighthouses\nand their keepers')
    await fireEvent.update(screen.getByRole('spinbutton', { name: 'Words' }), '50')
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Formal' }))
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    expect(emitted().run).toEqual([[{ topic: 'Lighthouses\nand their keepers', words: 50, formal: true }]])
  })

  it('shows only the field a chat runtime example uses, of its several names', () => {
    renderPanel({ runtime: chatRuntime })
    expect(screen.getByRole('textbox', { name: 'Message' })).toHaveValue('Hello! What can you do?')
    expect(screen.queryByRole('textbox', { name: 'Prompt' })).not.toBeInTheDocument()
  })

  it('checks the form against the schema before sending', async () => {
    const { emitted } = renderPanel({ runtime: writer })
    await fireEvent.update(screen.getByRole('spinbutton', { name: 'Words' }), '0')
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    expect(emitted().run).toBeUndefined()
    expect(screen.getByRole('spinbutton', { name: 'Words' })).toHaveAccessibleDescription(/Must be at least 1\./)
  })

  it('edits the same input as raw JSON, and back', async () => {
    const { emitted } = renderPanel({ runtime: writer })
    await fireEvent.update(screen.getByRole('textbox', { name: 'Topic' }), 'Tides')
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Edit the input as raw JSON' }))
    const json = screen.getByRole('textbox', { name: 'Input (JSON object)' })
    expect(JSON.parse((json as HTMLTextAreaElement).value)).toEqual({ topic: 'Tides', words: 200, formal: false })

    await fireEvent.update(json, '{"topic": "Storms", "words": 10}')
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Edit the input as raw JSON' }))
    expect(screen.getByRole('textbox', { name: 'Topic' })).toHaveValue('Storms')
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    expect(emitted().run).toEqual([[{ topic: 'Storms', words: 10 }]])
  })

  it('stays on raw JSON while the JSON is broken or has fields the form cannot show', async () => {
    renderPanel({ runtime: writer })
    const toggle = screen.getByRole('checkbox', { name: 'Edit the input as raw JSON' })
    await fireEvent.click(toggle)
    const json = screen.getByRole('textbox', { name: 'Input (JSON object)' })
    await fireEvent.update(json, '{"topic": ')
    await fireEvent.click(toggle)
    expect(toggle).toHaveAccessibleDescription(/Fix the JSON first/)
    await fireEvent.update(json, '{"topic": "x", "tone": "dry"}')
    await fireEvent.click(toggle)
    expect(toggle).toHaveAccessibleDescription('This input has fields the form cannot show; edit it as JSON.')
    expect(screen.getByRole('textbox', { name: 'Input (JSON object)' })).toBeInTheDocument()
  })

  it('starts from the latest input rather than the example', () => {
    renderPanel({ runtime: chatRuntime, initialInput: { message: 'Where were we?' } })
    expect(screen.getByRole('textbox', { name: 'Message' })).toHaveValue('Where were we?')
  })

  it('keeps an input the form cannot show as JSON', () => {
    const conversation = { messages: [{ role: 'user', content: 'Hi' }] }
    renderPanel({ runtime: chatRuntime, initialInput: conversation })
    const json = screen.getByRole('textbox', { name: 'Input (JSON object)' })
    expect(JSON.parse((json as HTMLTextAreaElement).value)).toEqual(conversation)
  })

  it("shows the server's input errors next to the field they name", () => {
    renderPanel({ runtime: chatRuntime, errors: { 'input_data.message': ['Enter some text.'] } })
    expect(screen.getByRole('textbox', { name: 'Message' })).toHaveAccessibleDescription(
      'The new message to reply to. Enter some text.',
    )
  })
})
