/**
 * An in-browser stand-in for the backend, for the smoke specs: the REST
 * endpoints the dashboard uses (page.route) and the agent WebSocket
 * (page.routeWebSocket), following the contract in shared/design/platform.md.
 * Executions run the synthetic script on timers. Nothing leaves the browser.
 */
import type { Page, Route, WebSocketRoute } from '@playwright/test'
import type { Execution as ApiExecution, KnowledgeDocument, Runtime } from '../../src/api/types'

type Json = Record<string, unknown>
type Event = Json & { seq: number; execution_id: string }

const CSRF = 'smoke-csrf-token'
const USER = { id: 1, username: 'smoke', is_staff: false }
const SCHEMA = {
  type: 'object',
  properties: {
    steps: { type: 'integer', minimum: 0, maximum: 1000, default: 3, description: 'Number of steps.' },
    tokens: { type: 'integer', minimum: 0, maximum: 100000, default: 20, description: 'Number of tokens.' },
    delay_ms: { type: 'integer', minimum: 0, maximum: 60000, default: 0, description: 'Pause between tokens.' },
    fail_at: { type: ['integer', 'null'], minimum: 1, default: null, description: 'Fail at this event.' },
  },
}

/** Sorted by name, as the real catalog is; every runtime plays the synthetic script here. */
const RUNTIMES: Runtime[] = [
  {
    name: 'chat',
    description: 'Chat with an LLM: a system prompt and the conversation in, a streamed reply out.',
    config_schema: {
      type: 'object',
      properties: { system_prompt: { type: 'string', default: 'You are helpful.', description: 'How to behave.' } },
    },
    input_schema: {
      anyOf: [{ required: ['message'] }, { required: ['prompt'] }, { required: ['messages'] }],
      properties: {
        message: { type: 'string', pattern: '\\S', description: 'The new message to reply to.' },
        prompt: { type: 'string', pattern: '\\S', description: 'Another name for message.' },
        messages: { type: 'array', description: 'The conversation so far, oldest first.' },
      },
    },
    input_example: { message: 'Hello! What can you do?' },
  },
  {
    name: 'synthetic',
    description: 'Deterministic load generator.',
    config_schema: SCHEMA,
    input_schema: { type: 'object', description: 'Anything: the result echoes it as input.' },
    input_example: { prompt: 'hello' },
  },
]

/** Objects as the generated schema types them, so the mock cannot drift from the API. */
type Writable<T> = { -readonly [K in keyof T]: T[K] }
type Execution = Writable<ApiExecution>
type StoredDocument = Writable<KnowledgeDocument> & { listed: number }

export class MockBackend {
  loggedIn = false
  /** Unsafe requests that arrived without the right X-CSRFToken header. */
  csrfFailures: string[] = []
  /** How far before the requested seq a replay starts, to exercise dedupe at the seam. */
  replayOverlap = 3
  private agents: Json[] = []
  private executions: Execution[] = []
  private documents: StoredDocument[] = []
  private events = new Map<string, Event[]>()
  private stopRequested = new Set<string>()
  private sockets = new Map<WebSocketRoute, Set<string>>()
  private counter = 0

  constructor(
    private readonly page: Page,
    private readonly baseURL: string,
  ) {}

  async install(): Promise<void> {
    // Django sets this cookie on GET /api/auth/me/; a routed response cannot set it reliably.
    await this.page.context().addCookies([{ name: 'csrftoken', value: CSRF, url: this.baseURL }])
    await this.page.route('**/api/**', (route) => this.handle(route))
    await this.page.routeWebSocket(/\/ws\/agents\/[^/]+\/$/, (ws) => this.connect(ws))
  }

  /** Closes every socket as a restarting api server would. */
  dropSockets(): void {
    for (const ws of this.sockets.keys()) void ws.close({ code: 1012, reason: 'service restart' })
    this.sockets.clear()
  }

  expectedText(executionId: string): string {
    return (this.events.get(executionId) ?? [])
      .filter((event) => event.event_type === 'token')
      .map((event) => (event.content as { content: string }).content)
      .join('')
  }

  lastSeq(executionId: string): number {
    return this.events.get(executionId)?.length ?? 0
  }

  private id(prefix: string): string {
    this.counter += 1
    const tail = String(this.counter).padStart(12, '0')
    return `${prefix}000000-0000-4000-8000-${tail}`
  }

  // ---- REST ----

  private async handle(route: Route): Promise<void> {
    const request = route.request()
    const url = new URL(request.url())
    const method = request.method()
    const path = url.pathname
    const isJson = (request.headers()['content-type'] ?? '').includes('application/json')
    const body = isJson && request.postData() ? (JSON.parse(request.postData()!) as Json) : {}
    const reply = (status: number, data?: unknown) =>
      route.fulfill({ status, contentType: 'application/json', body: data === undefined ? '' : JSON.stringify(data) })

    if (method !== 'GET' && request.headers()['x-csrftoken'] !== CSRF) {
      this.csrfFailures.push(`${method} ${path}`)
      return reply(403, { detail: 'CSRF Failed: CSRF token missing.' })
    }
    if (path === '/api/auth/me/') return this.loggedIn ? reply(200, USER) : reply(403, { detail: 'Not logged in.' })
    if (path === '/api/auth/login/') {
      if (body.username === 'smoke' && body.password === 'smoke-pass') {
        this.loggedIn = true
        return reply(200, USER)
      }
      return reply(400, { non_field_errors: ['Unable to log in with provided credentials.'] })
    }
    if (!this.loggedIn) return reply(403, { detail: 'Authentication credentials were not provided.' })
    if (path === '/api/auth/logout/') {
      this.loggedIn = false
      return reply(204)
    }
    if (path === '/api/runtimes/') return reply(200, RUNTIMES)
    if (path === '/api/agents/' && method === 'GET') return reply(200, this.page_(this.agents.map((a) => this.withLatest(a))))
    if (path === '/api/agents/' && method === 'POST') {
      if (!body.name) return reply(400, { name: ['This field is required.'] })
      const now = new Date().toISOString()
      const agent = { id: this.id('a'), description: '', status: 'active', created_at: now, updated_at: now, ...body }
      this.agents.unshift(agent)
      return reply(201, this.withLatest(agent))
    }
    let match = path.match(/^\/api\/agents\/([^/]+)\/$/)
    if (match) {
      const agent = this.agents.find((a) => a.id === match![1])
      if (!agent) return reply(404, { detail: 'Not found.' })
      if (method === 'DELETE') {
        this.agents = this.agents.filter((a) => a !== agent)
        return reply(204)
      }
      if (method === 'PATCH' || method === 'PUT') Object.assign(agent, body, { updated_at: new Date().toISOString() })
      return reply(200, this.withLatest(agent))
    }
    match = path.match(/^\/api\/agents\/([^/]+)\/executions\/$/)
    if (match && method === 'POST') {
      const agent = this.agents.find((a) => a.id === match![1])
      if (!agent) return reply(404, { detail: 'Not found.' })
      return reply(201, this.start(agent, (body.input_data as Json) ?? {}))
    }
    match = path.match(/^\/api\/agents\/([^/]+)\/documents\/(?:([^/]+)\/)?$/)
    if (match) return this.handleDocuments(route, match[1]!, match[2], reply)
    if (path === '/api/executions/') {
      const agent = url.searchParams.get('agent')
      return reply(200, this.page_(this.executions.filter((e) => !agent || e.agent === agent)))
    }
    match = path.match(/^\/api\/executions\/([^/]+)\/(stop\/|events\/)?$/)
    if (match) {
      const execution = this.executions.find((e) => e.id === match![1])
      if (!execution) return reply(404, { detail: 'Not found.' })
      if (match[2] === 'stop/') {
        this.stopRequested.add(execution.id)
        return reply(202, { ...execution, last_seq: this.lastSeq(execution.id) })
      }
      if (match[2] === 'events/') {
        const after = Number(url.searchParams.get('after_seq') ?? 0)
        return reply(200, { results: (this.events.get(execution.id) ?? []).filter((e) => e.seq > after), next: null })
      }
      return reply(200, { ...execution, last_seq: this.lastSeq(execution.id) })
    }
    return reply(404, { detail: 'Not found.' })
  }

  /** Documents: an upload is `pending`, then `ready` once the page has listed it twice (indexing). */
  private handleDocuments(route: Route, agentId: string, documentId: string | undefined, reply: (status: number, data?: unknown) => Promise<void>) {
    const request = route.request()
    if (request.method() === 'POST') {
      const file = request.postDataBuffer()?.toString('latin1') ?? ''
      const filename = /filename="([^"]+)"/.exec(file)?.[1] ?? 'upload'
      const now = new Date().toISOString()
      const doc: StoredDocument = {
        id: this.id('d'),
        agent: agentId,
        filename,
        content_type: 'text/markdown',
        size: file.length,
        status: 'pending',
        error_message: '',
        chunks: 0,
        created_at: now,
        updated_at: now,
        listed: 0,
      }
      this.documents.unshift(doc)
      return reply(201, { ...doc, listed: undefined })
    }
    if (request.method() === 'DELETE') {
      this.documents = this.documents.filter((doc) => doc.id !== documentId)
      return reply(204)
    }
    const mine = this.documents.filter((doc) => doc.agent === agentId)
    for (const doc of mine) {
      doc.listed += 1
      if (doc.listed >= 2) Object.assign(doc, { status: 'ready', chunks: 1 })
    }
    return reply(200, this.page_(mine.map((doc) => ({ ...doc, listed: undefined }))))
  }

  private page_(results: unknown[]) {
    return { count: results.length, next: null, previous: null, results }
  }

  private withLatest(agent: Json): Json {
    const latest = this.executions.find((e) => e.agent === agent.id)
    return { ...agent, latest_execution: latest ? { id: latest.id, status: latest.status, created_at: latest.created_at } : null }
  }

  // ---- Executions ----

  private start(agent: Json, input: Json): Execution {
    const execution: Execution = {
      id: this.id('e'),
      agent: agent.id as string,
      thread: null,
      status: 'pending',
      input_data: input,
      output_data: null,
      error_message: '',
      error_code: '',
      created_at: new Date().toISOString(),
      started_at: null,
      completed_at: null,
      last_seq: 0,
      attempt: 1,
    }
    this.executions.unshift(execution)
    this.events.set(execution.id, [])
    // Agents of other runtimes have other configs; they play a short script.
    const config = agent.config as Partial<{ steps: number; tokens: number; delay_ms: number }>
    void this.run(execution, { steps: config.steps ?? 1, tokens: config.tokens ?? 10, delay_ms: config.delay_ms ?? 20 })
    return execution
  }

  private async run(execution: Execution, config: { steps: number; tokens: number; delay_ms: number }) {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    await sleep(50)
    execution.status = 'running'
    execution.started_at = new Date().toISOString()
    this.emit(execution, { type: 'execution_started', input_data: execution.input_data })
    const script: Json[] = []
    for (let step = 1; step <= config.steps; step++) {
      script.push({ type: 'agent_event', event_type: 'progress', content: { stage: `step ${step}`, message: `Working on step ${step}`, percent: Math.round(((step - 1) / config.steps) * 100) } })
      script.push({ type: 'agent_event', event_type: 'step', content: { name: `step ${step}`, content: `Step ${step} done.` } })
    }
    for (let token = 1; token <= config.tokens; token++) {
      script.push({ type: 'agent_event', event_type: 'token', content: { content: `w${token} ` } })
    }
    // Like the real runtimes: the last progress event of a successful run is at 100 percent.
    script.push({ type: 'agent_event', event_type: 'progress', content: { stage: 'done', message: 'Done', percent: 100 } })
    for (const event of script) {
      if (this.stopRequested.has(execution.id)) {
        this.finish(execution, 'stopped', { type: 'execution_stopped', message: 'Stopped on request.' })
        return
      }
      await sleep(event.event_type === 'token' ? config.delay_ms : 20)
      this.emit(execution, event)
    }
    execution.output_data = { text: this.expectedText(execution.id) }
    this.finish(execution, 'completed', { type: 'execution_completed', output: execution.output_data })
  }

  private finish(execution: Execution, status: Execution['status'], event: Json) {
    execution.status = status
    execution.completed_at = new Date().toISOString()
    this.emit(execution, event)
  }

  private emit(execution: Execution, body: Json): void {
    const list = this.events.get(execution.id)!
    const event: Event = { ...body, execution_id: execution.id, seq: list.length + 1, timestamp: new Date().toISOString() }
    list.push(event)
    execution.last_seq = event.seq
    for (const [ws, subscribed] of this.sockets) {
      if (subscribed.has(execution.id)) ws.send(JSON.stringify(event))
    }
  }

  // ---- WebSocket ----

  private connect(ws: WebSocketRoute): void {
    if (!this.loggedIn) {
      void ws.close({ code: 4001, reason: 'unauthenticated' })
      return
    }
    const agentId = ws.url().split('/').filter(Boolean).pop()
    const subscribed = new Set<string>()
    this.sockets.set(ws, subscribed)
    ws.send(JSON.stringify({ type: 'connection', status: 'connected', agent_id: agentId }))
    ws.onMessage((raw) => {
      const frame = JSON.parse(String(raw)) as Json
      if (frame.action === 'ping') ws.send(JSON.stringify({ type: 'pong' }))
      else if (frame.action === 'subscribe') {
        const id = frame.execution_id as string
        // Replay a little before after_seq, as a seam can, then go live.
        const from = Math.max(0, Number(frame.after_seq ?? 0) - this.replayOverlap)
        for (const event of this.events.get(id) ?? []) if (event.seq > from) ws.send(JSON.stringify(event))
        subscribed.add(id)
      } else if (frame.action === 'unsubscribe') subscribed.delete(frame.execution_id as string)
      else ws.send(JSON.stringify({ type: 'error', message: 'Unknown action.', code: 'unknown_action' }))
    })
    ws.onClose(() => this.sockets.delete(ws))
  }
}
