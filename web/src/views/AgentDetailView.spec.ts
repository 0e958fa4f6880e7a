import { fireEvent, screen, waitFor } from '@testing-library/vue'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { api } from '@/api/client'
import type { Agent } from '@/api/types'
import { AGENT_ID, ev, EXEC_ID, execution } from '@/test-utils/events'
import { FakeSocket } from '@/test-utils/fakeSocket'
import { renderView } from '@/test-utils/render'
import AgentDetailView from './AgentDetailView.vue'

const writer: Agent = {
  id: AGENT_ID,
  name: 'Writer',
  description: 'Writes things.',
  status: 'active',
  runtime: 'synthetic',
  config: { steps: 1, tokens: 3, delay_ms: 1, fail_at: null },
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
  latest_execution: null,
}

beforeEach(() => {
  FakeSocket.reset()
  vi.stubGlobal('WebSocket', FakeSocket)
  vi.spyOn(api, 'getAgent').mockResolvedValue(writer)
  vi.spyOn(api, 'listExecutions').mockResolvedValue({ count: 0, next: null, previous: null, results: [] })
  vi.spyOn(api, 'eventsAfter').mockResolvedValue([])
  vi.spyOn(api, 'getExecution').mockResolvedValue(execution({ status: 'stopped' }))
})
afterEach(() => {
  vi.unstubAllGlobals()
})

async function openPage() {
  await renderView(AgentDetailView, { path: `/agents/${AGENT_ID}`, props: { id: AGENT_ID } })
  await screen.findByRole('heading', { name: 'Writer' })
  FakeSocket.last.open()
  FakeSocket.last.receive({ type: 'connection', status: 'connected', agent_id: AGENT_ID })
  await screen.findByRole('status', { name: 'Live updates: Connected' })
}

describe('AgentDetailView', () => {
  it('runs the agent, streams its text live and stops it', async () => {
    const create = vi.spyOn(api, 'createExecution').mockResolvedValue(execution({ status: 'pending' }))
    const stop = vi.spyOn(api, 'stopExecution').mockResolvedValue(undefined)
    await openPage()

    await fireEvent.update(screen.getByRole('textbox', { name: 'Input (JSON object)' }), '{"prompt": "go"}')
    await fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    await waitFor(() => expect(create).toHaveBeenCalledWith(AGENT_ID, { prompt: 'go' }))
    await waitFor(() =>
      expect(FakeSocket.last.framesOf('subscribe')).toEqual([
        { action: 'subscribe', execution_id: EXEC_ID, after_seq: 0 },
      ]),
    )
    expect(screen.getByRole('button', { name: 'Stop' })).toBeEnabled()

    FakeSocket.last.receive(ev.started(1))
    FakeSocket.last.receive(ev.token(2, 'Once'))
    await waitFor(() => expect(screen.getByTestId('token-text')).toHaveTextContent('Once'))
    FakeSocket.last.receive(ev.token(3, ' upon'))
    await waitFor(() => expect(screen.getByTestId('token-text')).toHaveTextContent('Once upon'))

    await fireEvent.click(screen.getByRole('button', { name: 'Stop' }))
    expect(stop).toHaveBeenCalledWith(EXEC_ID)
    await waitFor(() => expect(screen.getByRole('button', { name: 'Stopping…' })).toBeDisabled())

    FakeSocket.last.receive(ev.stopped(4))
    await waitFor(() => expect(screen.getByRole('button', { name: 'Stop' })).toBeDisabled())
    expect(screen.getByText(/Stopped: Stopped by user\./)).toBeInTheDocument()
  })

  it('shows reconnecting when the socket drops', async () => {
    await openPage()
    FakeSocket.last.serverClose(1006)
    expect(await screen.findByRole('status', { name: 'Live updates: Reconnecting…' })).toBeInTheDocument()
  })
})
