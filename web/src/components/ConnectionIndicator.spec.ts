import { render, screen } from '@testing-library/vue'
import { describe, expect, it } from 'vitest'
import ConnectionIndicator from './ConnectionIndicator.vue'

describe('ConnectionIndicator', () => {
  it.each([
    ['connected', 'Connected'],
    ['connecting', 'Connecting…'],
    ['reconnecting', 'Reconnecting…'],
    ['offline', 'Offline'],
    ['idle', 'Offline'],
  ] as const)('in state %s says %s, with an accessible label', (state, text) => {
    render(ConnectionIndicator, { props: { state } })
    const status = screen.getByRole('status', { name: `Live updates: ${text}` })
    expect(status).toHaveTextContent(text)
  })

  it('tells when the next try is while reconnecting', () => {
    render(ConnectionIndicator, { props: { state: 'reconnecting', detail: { retryInMs: 2300 } } })
    expect(screen.getByRole('status')).toHaveTextContent('Next try in 3 s.')
  })

  it("repeats the server's complaint about a frame", () => {
    render(ConnectionIndicator, { props: { state: 'connected', serverError: 'Unknown action.' } })
    expect(screen.getByRole('status', { name: 'Live updates: Connected' })).toHaveTextContent(
      'The server said: Unknown action.',
    )
  })

  it('tells why it is offline for good', () => {
    render(ConnectionIndicator, { props: { state: 'offline', detail: { reason: 'Not logged in.' } } })
    expect(screen.getByRole('status')).toHaveTextContent('Not logged in.')
  })
})
