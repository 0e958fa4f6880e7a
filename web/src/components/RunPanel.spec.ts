import { fireEvent, render, screen } from '@testing-library/vue'
import { describe, expect, it } from 'vitest'
import RunPanel from './RunPanel.vue'

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
})
