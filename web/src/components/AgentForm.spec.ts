import { fireEvent, render, screen, waitFor } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { createPinia } from 'pinia'
import { describe, expect, it } from 'vitest'
import type { Agent, Runtime } from '@/api/types'
import { agent as agentOf } from '@/test-utils/events'
import { server } from '@/test-utils/server'
import AgentForm from './AgentForm.vue'

const synthetic: Runtime = {
  name: 'synthetic',
  description: 'Deterministic load generator.',
  config_schema: {
    type: 'object',
    required: ['steps', 'tokens', 'delay_ms'],
    properties: {
      steps: { type: 'integer', minimum: 1, default: 3 },
      tokens: { type: 'integer', minimum: 0, default: 100 },
      delay_ms: { type: 'integer', minimum: 0, default: 10 },
      fail_at: { type: ['integer', 'null'], minimum: 1, default: null },
    },
  },
  input_schema: { type: 'object' },
  input_example: { prompt: 'hello' },
}

function agent(overrides: Partial<Agent> = {}): Agent {
  return agentOf({ id: 'a1', description: '', ...overrides })
}

/** Answers POST /api/agents/ (or PATCH of a1) and keeps the bodies sent. */
function acceptSaves() {
  const sent: unknown[] = []
  const save = async ({ request }: { request: Request }) => {
    const body = (await request.json()) as Partial<Agent>
    sent.push(body)
    return HttpResponse.json(agent(body), { status: request.method === 'POST' ? 201 : 200 })
  }
  server.use(http.post('/api/agents/', save), http.patch('/api/agents/a1/', save))
  return sent
}

function renderForm(props: Record<string, unknown>) {
  return render(AgentForm, {
    props: { agent: null, runtimes: [synthetic], ...props },
    global: { plugins: [createPinia()] },
  })
}

describe('AgentForm', () => {
  it('builds config controls from the runtime schema, with its defaults', () => {
    renderForm({})
    expect(screen.getByRole('spinbutton', { name: 'Steps' })).toHaveValue(3)
    expect(screen.getByRole('spinbutton', { name: 'Tokens' })).toHaveValue(100)
    expect(screen.getByRole('spinbutton', { name: 'Delay ms' })).toHaveValue(10)
    expect(screen.getByRole('spinbutton', { name: 'Fail at' })).toHaveValue(null)
  })

  it('creates an agent with the config from the form', async () => {
    const sent = acceptSaves()
    const { emitted } = renderForm({})
    await fireEvent.update(screen.getByRole('textbox', { name: 'Name' }), 'Writer')
    await fireEvent.update(screen.getByRole('spinbutton', { name: 'Tokens' }), '200')
    await fireEvent.update(screen.getByRole('spinbutton', { name: 'Delay ms' }), '20')
    await fireEvent.click(screen.getByRole('button', { name: 'Create agent' }))
    await waitFor(() => expect(emitted().saved).toHaveLength(1))
    expect(sent).toEqual([
      {
        name: 'Writer',
        description: '',
        status: 'active',
        runtime: 'synthetic',
        config: { steps: 3, tokens: 200, delay_ms: 20, fail_at: null },
      },
    ])
  })

  it('points at the fields to fix instead of sending', async () => {
    const sent = acceptSaves()
    renderForm({})
    await fireEvent.update(screen.getByRole('spinbutton', { name: 'Steps' }), '0')
    await fireEvent.click(screen.getByRole('button', { name: 'Create agent' }))
    expect(sent).toEqual([])
    expect(screen.getByRole('textbox', { name: 'Name' })).toHaveAccessibleDescription('Give the agent a name.')
    expect(screen.getByRole('spinbutton', { name: 'Steps' })).toHaveAccessibleDescription(/Must be at least 1\./)
  })

  it("shows the server's field errors next to the config field they name", async () => {
    server.use(
      http.patch('/api/agents/a1/', () =>
        HttpResponse.json({ config: { tokens: ['Ensure this value is less than or equal to 100000.'] } }, { status: 400 }),
      ),
    )
    renderForm({ agent: agent() })
    await fireEvent.click(screen.getByRole('button', { name: 'Save changes' }))
    await waitFor(() =>
      expect(screen.getByRole('spinbutton', { name: 'Tokens' })).toHaveAccessibleDescription(/less than or equal/),
    )
  })

  it('shows config errors that belong to no single field above the config', async () => {
    server.use(
      http.post('/api/agents/', () =>
        HttpResponse.json({ config: { non_field_errors: ['Unknown option: speed.'] } }, { status: 400 }),
      ),
    )
    renderForm({})
    await fireEvent.update(screen.getByRole('textbox', { name: 'Name' }), 'Writer')
    await fireEvent.click(screen.getByRole('button', { name: 'Create agent' }))
    expect(await screen.findByText('Unknown option: speed.')).toBeInTheDocument()
  })

  it('edits the config as validated JSON when the runtime names no options', async () => {
    const sent = acceptSaves()
    const echo: Runtime = {
      name: 'echo',
      description: 'Says it back.',
      config_schema: { type: 'object' },
      input_schema: { type: 'object' },
      input_example: {},
    }
    renderForm({ runtimes: [echo, synthetic] })
    expect(screen.getByRole('combobox', { name: 'Runtime' })).toHaveValue('echo')
    expect(screen.queryByRole('spinbutton')).not.toBeInTheDocument()
    const config = screen.getByRole('textbox', { name: 'Config (JSON object)' })
    expect(config).toHaveValue('{}')
    await fireEvent.update(screen.getByRole('textbox', { name: 'Name' }), 'Writer')
    await fireEvent.update(config, '{"steps": 3,,}')
    await fireEvent.click(screen.getByRole('button', { name: 'Create agent' }))
    expect(sent).toEqual([])
    expect(config).toHaveAccessibleDescription(/not valid JSON/)
    await fireEvent.update(config, '{"voice": "calm"}')
    await fireEvent.click(screen.getByRole('button', { name: 'Create agent' }))
    await waitFor(() => expect(sent).toMatchObject([{ runtime: 'echo', config: { voice: 'calm' } }]))
  })
})
