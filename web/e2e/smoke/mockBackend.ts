/**
 * An in-browser stand-in for the backend, for the smoke specs: the REST
 * endpoints the dashboard uses (page.route) and the agent and user
 * WebSockets (page.routeWebSocket), following the contract in
 * shared/design/platform.md. Executions run the synthetic script on timers;
 * an agent whose config has `ask` waits for an answer after its steps, and a
 * run of a thread stores its answer as the thread's next message. Nothing
 * leaves the browser.
 */
import type { Page, Route, WebSocketRoute } from '@playwright/test'
import type {
  Execution as ApiExecution,
  Interrupt as ApiInterrupt,
  KnowledgeDocument,
  Runtime,
  Thread as ApiThread,
  MemoryItem as ApiMemoryItem,
  ThreadMessage as ApiMessage,
  AgentServer,
  Queue,
  Stats,
  StatsBucket,
  Worker as ApiWorker,
} from '../../src/api/types'

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
type Thread = Writable<ApiThread>
type Message = Writable<ApiMessage>
type Interrupt = Writable<ApiInterrupt>
type Ask = { question: string; choices?: string[] }
type MemoryItem = Writable<ApiMemoryItem>
type Worker = Writable<ApiWorker>

export class MockBackend {
  loggedIn = false
  /** Unsafe requests that arrived without the right X-CSRFToken header. */
  csrfFailures: string[] = []
  /** How far before the requested seq a replay starts, to exercise dedupe at the seam. */
  replayOverlap = 3
  /** Whether the logged-in user is staff (the workers page, queue depth in the charts). */
  staff = false
  /** The workers the ops endpoints report; an online one sends a heartbeat each time it is listed. */
  workers: Worker[] = [
    {
      name: 'smoke-host:4242',
      host: 'smoke-host',
      pid: 4242,
      pool: 'prefork',
      concurrency: 2,
      queues: ['celery', 'executions'],
      started_at: Date.now() / 1000 - 600,
      last_heartbeat: Date.now() / 1000,
      state: 'online',
      running: [{ id: 'e0000000-0000-4000-8000-000000000042', lease_expires_at: new Date(Date.now() + 30_000).toISOString() }],
      active_tasks: 1,
    },
    {
      name: 'smoke-host:4243',
      host: 'smoke-host',
      pid: 4243,
      pool: 'prefork',
      concurrency: 2,
      queues: ['executions'],
      started_at: Date.now() / 1000 - 900,
      last_heartbeat: Date.now() / 1000 - 95,
      state: 'lost',
      running: [],
      active_tasks: null,
    },
  ]
  queues: Queue[] = [
    { name: 'celery', depth: 0 },
    { name: 'executions', depth: 3 },
  ]
  agentServers: AgentServer[] = [
    { url: 'http://agent-server:8080', reachable: true, latency_ms: 3.2, status: 'ok', runtimes: ['synthetic', 'chat'], active_runs: 1, error: '' },
  ]
  private agents: Json[] = []
  private executions: Execution[] = []
  private documents: StoredDocument[] = []
  private events = new Map<string, Event[]>()
  private threads: Thread[] = []
  private messages: Message[] = []
  private interrupts: Interrupt[] = []
  private memory: MemoryItem[] = []
  private stopRequested = new Set<string>()
  private sockets = new Map<WebSocketRoute, Set<string>>()
  /** The threads' streams each socket follows (`thread:<id>`). */
  private streams = new Map<WebSocketRoute, Set<string>>()
  private counter = 0
  /** Every GET of an execution's events: which one, after which seq, how many. */
  eventRequests: { executionId: string; after: number; limit: number }[] = []

  constructor(
    private readonly page: Page,
    private readonly baseURL: string,
  ) {}

  async install(): Promise<void> {
    // Django sets this cookie on GET /api/auth/me/; a routed response cannot set it reliably.
    await this.page.context().addCookies([{ name: 'csrftoken', value: CSRF, url: this.baseURL }])
    await this.page.route('**/api/**', (route) => this.handle(route))
    await this.page.routeWebSocket(/\/ws\/(agents\/[^/]+\/)?$/, (ws) => this.connect(ws))
  }

  /** An agent made without the form, e.g. with a config the form does not show (`ask`). */
  addAgent(name: string, config: Json): string {
    const now = new Date().toISOString()
    const agent = { id: this.id('a'), name, description: '', status: 'active', runtime: 'synthetic', config, created_at: now, updated_at: now }
    this.agents.unshift(agent)
    return agent.id
  }

  /** A run of an agent started without the page (another tab, the API). */
  startRun(agentId: string, input: Json = {}): string {
    const agent = this.agents.find((a) => a.id === agentId)
    if (!agent) throw new Error(`no agent ${agentId}`)
    return this.start(agent, input).id
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

  /** A finished run of `agentId` with `count` stored events (mostly tokens, a progress every 100), for long histories. */
  addFinishedRun(agentId: string, count: number): string {
    const agent = this.agents.find((a) => a.id === agentId)
    if (!agent) throw new Error(`no agent ${agentId}`)
    const id = this.id('e')
    const t0 = Date.now() - count * 10
    const at = (seq: number) => new Date(t0 + seq * 10).toISOString()
    const events: Event[] = [{ type: 'execution_started', input_data: { prompt: 'long' }, execution_id: id, seq: 1, timestamp: at(1) }]
    for (let seq = 2; seq < count; seq++) {
      const body: Json =
        seq % 100 === 0
          ? { type: 'agent_event', event_type: 'progress', content: { stage: 'working', message: `At ${seq}`, percent: Math.floor((seq / count) * 100) } }
          : { type: 'agent_event', event_type: 'token', content: { content: 'x' } }
      events.push({ ...body, execution_id: id, seq, timestamp: at(seq) } as Event)
    }
    events.push({ type: 'execution_completed', output: { text: 'done' }, execution_id: id, seq: count, timestamp: at(count) } as Event)
    this.executions.unshift({
      id,
      agent: agentId,
      thread: null,
      status: 'completed',
      input_data: { prompt: 'long' },
      output_data: { text: 'done' },
      error_message: '',
      error_code: '',
      created_at: at(0),
      started_at: at(1),
      completed_at: at(count),
      last_seq: count,
      attempt: 1,
      room: null,
      rerun_of: null,
      worker: '',
      lease_expires_at: null,
    } as Execution)
    this.events.set(id, events)
    return id
  }

  lastSeq(executionId: string): number {
    return this.events.get(executionId)?.length ?? 0
  }

  /** A worker stops sending heartbeats: it is reported lost, holding nothing. */
  loseWorker(pid: number): void {
    const worker = this.workers.find((w) => w.pid === pid)
    if (!worker) throw new Error(`no worker ${pid}`)
    Object.assign(worker, { state: 'lost', last_heartbeat: Date.now() / 1000 - 60, running: [], active_tasks: null })
  }

  private user() {
    return { ...USER, is_staff: this.staff }
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
    if (path === '/api/auth/me/') return this.loggedIn ? reply(200, this.user()) : reply(403, { detail: 'Not logged in.' })
    if (path === '/api/auth/login/') {
      if (body.username === 'smoke' && body.password === 'smoke-pass') {
        this.loggedIn = true
        return reply(200, this.user())
      }
      return reply(400, { non_field_errors: ['Unable to log in with provided credentials.'] })
    }
    if (!this.loggedIn) return reply(403, { detail: 'Authentication credentials were not provided.' })
    if (path === '/api/auth/logout/') {
      this.loggedIn = false
      return reply(204)
    }
    if (path === '/api/runtimes/') return reply(200, RUNTIMES)
    if (path.startsWith('/api/ops/')) return this.handleOps(url, reply)
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
      const thread = url.searchParams.get('thread')
      return reply(
        200,
        this.page_(this.executions.filter((e) => (!agent || e.agent === agent) && (!thread || e.thread === thread))),
      )
    }
    if (path.startsWith('/api/runs/')) return this.handleRuns(url, method, body, reply)
    if (path.startsWith('/api/threads/')) return this.handleThreads(route, path, body, reply)
    if (path.startsWith('/api/memory/')) return this.handleMemory(route, url, body, reply)
    if (path.startsWith('/api/interrupts/')) return this.handleInterrupts(route, url, body, reply)
    match = path.match(/^\/api\/executions\/([^/]+)\/(stop\/|events\/|rerun\/)?$/)
    if (match) {
      const execution = this.executions.find((e) => e.id === match![1])
      if (!execution) return reply(404, { detail: 'Not found.' })
      if (match[2] === 'rerun/') {
        const rerun = this.rerun(execution, 'input_data' in body ? (body.input_data as Json) : undefined)
        return rerun ? reply(201, rerun) : reply(404, { detail: 'Not found.' })
      }
      if (match[2] === 'stop/') {
        this.stopRequested.add(execution.id)
        return reply(202, { ...execution, last_seq: this.lastSeq(execution.id) })
      }
      if (match[2] === 'events/') {
        const after = Number(url.searchParams.get('after_seq') ?? 0)
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 500) || 500, 5000)
        const rest = (this.events.get(execution.id) ?? []).filter((e) => e.seq > after)
        const results = rest.slice(0, limit)
        this.eventRequests.push({ executionId: execution.id, after, limit })
        const next = rest.length > limit ? `${url.origin}${url.pathname}?after_seq=${results[results.length - 1]!.seq}&limit=${limit}` : null
        return reply(200, { results, next })
      }
      return reply(200, { ...execution, last_seq: this.lastSeq(execution.id) })
    }
    return reply(404, { detail: 'Not found.' })
  }

  // ---- Runs ----

  /** GET /api/runs/ (one page: the mock has few runs), and the bulk stop and re-run. */
  private handleRuns(url: URL, method: string, body: Json, reply: (status: number, data?: unknown) => Promise<void>) {
    const path = url.pathname
    if (path === '/api/runs/' && method === 'GET') {
      const query = url.searchParams
      const statuses = query.getAll('status')
      const agent = query.get('agent')
      const runtime = query.get('runtime')
      const errorCode = query.get('error_code')
      const after = query.get('created_after')
      const text = (query.get('q') ?? '').toLowerCase()
      const runs = this.executions
        .map((e) => this.asRun(e))
        .filter(
          (run) =>
            (!statuses.length || statuses.includes(run.status)) &&
            (!agent || run.agent === agent) &&
            (!runtime || run.runtime === runtime) &&
            (!errorCode || run.error_code === errorCode) &&
            (!after || run.created_at >= after) &&
            (!text || JSON.stringify(run.input_data).toLowerCase().includes(text) || run.error_message.toLowerCase().includes(text)),
        )
      return reply(200, { results: runs, next: null, previous: null, count: runs.length, count_limit: 10_000 })
    }
    const ids = Array.isArray(body.ids) ? (body.ids as string[]) : []
    if (method !== 'POST' || !ids.length) return reply(400, { ids: ['This field is required.'] })
    const result: { results: Json[]; not_found: string[]; errors: Record<string, Json> } = { results: [], not_found: [], errors: {} }
    for (const id of ids) {
      const execution = this.executions.find((e) => e.id === id)
      if (!execution) result.not_found.push(id)
      else if (path === '/api/runs/stop/') {
        if (['completed', 'failed', 'stopped'].includes(execution.status)) {
          result.errors[id] = { code: 'not_active', message: 'The run has ended already.' }
        } else {
          this.stopRequested.add(id)
          result.results.push(this.asRun(execution))
        }
      } else if (path === '/api/runs/rerun/') {
        const rerun = this.rerun(execution)
        if (rerun) result.results.push(this.asRun(rerun))
      } else return reply(404, { detail: 'Not found.' })
    }
    return reply(path === '/api/runs/stop/' ? 202 : 201, result)
  }

  private asRun(execution: Execution): Execution & { agent_name: string; runtime: string } {
    const agent = this.agents.find((a) => a.id === execution.agent)
    return {
      ...execution,
      last_seq: this.lastSeq(execution.id),
      agent_name: String(agent?.name ?? ''),
      runtime: String(agent?.runtime ?? 'synthetic'),
    }
  }

  private rerun(execution: Execution, input?: Json): Execution | null {
    const agent = this.agents.find((a) => a.id === execution.agent)
    if (!agent) return null
    const rerun = this.start(agent, input ?? (execution.input_data as Json), execution.thread)
    rerun.rerun_of = execution.id
    return rerun
  }

  /** The runs stream: a run created or changed status (no replay, no cursor). */
  private announce(execution: Execution): void {
    const frame = JSON.stringify({
      type: 'execution_status',
      stream: 'runs',
      execution_id: execution.id,
      agent_id: execution.agent,
      thread_id: execution.thread,
      room_id: execution.room,
      status: execution.status,
    })
    for (const [ws, streams] of this.streams) if (streams.has('runs')) ws.send(frame)
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

  // ---- Threads and interrupts ----

  private handleThreads(route: Route, path: string, body: Json, reply: (status: number, data?: unknown) => Promise<void>) {
    const method = route.request().method()
    if (path === '/api/threads/' && method === 'GET') return reply(200, this.page_(this.threads.map((t) => this.withStatus(t))))
    if (path === '/api/threads/' && method === 'POST') {
      if (!this.agents.some((a) => a.id === body.agent)) return reply(400, { agent: ['Invalid pk - object does not exist.'] })
      const now = new Date().toISOString()
      const thread: Thread = {
        id: this.id('t'),
        agent: body.agent as string,
        title: (body.title as string) ?? '',
        metadata: {},
        multitask_strategy: 'reject',
        status: 'idle',
        created_at: now,
        updated_at: now,
      }
      this.threads.unshift(thread)
      return reply(201, thread)
    }
    const match = path.match(/^\/api\/threads\/([^/]+)\/(messages\/)?$/)
    const thread = match && this.threads.find((t) => t.id === match[1])
    if (!thread) return reply(404, { detail: 'Not found.' })
    if (!match[2]) return reply(200, this.withStatus(thread))
    if (method === 'GET') return reply(200, this.page_(this.messages.filter((m) => m.thread === thread.id)))
    const content = String(body.content ?? '')
    if (!content.trim()) return reply(400, { content: ['Must not be blank.'] })
    const active = this.executions.find((e) => e.thread === thread.id && ['pending', 'running', 'waiting_input'].includes(e.status))
    const waiting = active && this.interrupts.find((i) => i.execution === active.id && i.status === 'open')
    if (waiting) {
      // The message answers the question the run waits on.
      this.answer(waiting, waiting.kind === 'ask_human' ? content : { action: 'reject', reason: content })
      const message = this.addMessage(thread, active, 'user', content, { answers: waiting.id })
      return reply(201, { message, execution: active })
    }
    if (active) return reply(409, { detail: 'The thread is busy.', code: 'thread_busy' })
    const agent = this.agents.find((a) => a.id === thread.agent)!
    thread.updated_at = new Date().toISOString()
    const execution = this.start(agent, { message: content }, thread.id)
    const message = this.addMessage(thread, execution, 'user', content, {})
    return reply(201, { message, execution })
  }

  private handleInterrupts(route: Route, url: URL, body: Json, reply: (status: number, data?: unknown) => Promise<void>) {
    const match = url.pathname.match(/^\/api\/interrupts\/(?:([^/]+)\/(answer\/)?)?$/)
    if (!match) return reply(404, { detail: 'Not found.' })
    if (!match[1]) {
      const query = url.searchParams
      const found = this.interrupts.filter(
        (i) =>
          (!query.get('execution') || i.execution === query.get('execution')) &&
          (!query.get('thread') || i.thread === query.get('thread')) &&
          (query.get('open') !== 'true' || i.status === 'open'),
      )
      return reply(200, this.page_(found))
    }
    const interrupt = this.interrupts.find((i) => i.id === match[1])
    if (!interrupt) return reply(404, { detail: 'Not found.' })
    if (!match[2]) return reply(200, interrupt)
    if (route.request().method() !== 'POST') return reply(405, { detail: 'Method not allowed.' })
    if (interrupt.status === 'answered') {
      return reply(409, { detail: 'This interrupt was already answered; the first answer counts.', code: 'already_answered' })
    }
    if (interrupt.status === 'closed') return reply(409, { detail: 'The run no longer waits.', code: 'interrupt_closed' })
    const choices = (interrupt.payload.choices as string[] | undefined) ?? []
    if (interrupt.kind === 'ask_human' && (typeof body.answer !== 'string' || (choices.length && !choices.includes(body.answer)))) {
      return reply(400, { answer: [`The answer must be one of: ${choices.join(', ')}.`] })
    }
    this.answer(interrupt, body.answer)
    return reply(200, interrupt)
  }

  private answer(interrupt: Interrupt, answer: unknown): void {
    Object.assign(interrupt, { status: 'answered', answer, answered_by: USER.username, answered_at: new Date().toISOString() })
  }

  private addMessage(thread: Thread, execution: Execution, role: Message['role'], content: string, data: Json): Message {
    const turns = this.messages.filter((m) => m.thread === thread.id && m.role === 'user' && !m.data.answers).length
    const message: Message = {
      id: this.messages.length + 1,
      thread: thread.id,
      execution: execution.id,
      turn: role === 'user' && !data.answers ? turns + 1 : turns,
      role,
      content,
      data,
      created_at: new Date().toISOString(),
    }
    this.messages.push(message)
    return message
  }

  /** Read from the runs, as the real one is. */
  private withStatus(thread: Thread): Thread {
    const runs = this.executions.filter((e) => e.thread === thread.id)
    let status: Thread['status'] = runs[0]?.status === 'failed' ? 'error' : 'idle'
    if (runs.some((e) => e.status === 'waiting_input' && this.interrupts.some((i) => i.execution === e.id && i.status === 'open'))) {
      status = 'interrupted'
    } else if (runs.some((e) => ['pending', 'running', 'waiting_input'].includes(e.status))) status = 'busy'
    return { ...thread, status }
  }

  /** Memory items; search is by words only (every match a keyword one), as without the embedder. */
  private handleMemory(route: Route, url: URL, body: Json, reply: (status: number, data?: unknown) => Promise<void>) {
    const method = route.request().method()
    const path = url.pathname
    const namespace = url.searchParams.get('namespace')
    if (path === '/api/memory/search/') {
      const words = (url.searchParams.get('q') ?? '').toLowerCase().split(/\s+/).filter(Boolean)
      const found = this.memory
        .filter((m) => !namespace || m.namespace === namespace)
        .map((m) => ({ m, hits: words.filter((w) => `${m.key} ${JSON.stringify(m.value)}`.toLowerCase().includes(w)).length }))
        .filter(({ hits }) => hits > 0)
        .map(({ m, hits }) => ({ ...m, score: (0.5 * hits) / words.length, match: 'keyword' }))
      return reply(200, found)
    }
    if (path === '/api/memory/' && method === 'GET') return reply(200, this.page_(this.memory.filter((m) => !namespace || m.namespace === namespace)))
    if (path === '/api/memory/' && method === 'POST') {
      const ns = typeof body.namespace === 'string' && body.namespace ? body.namespace : 'default'
      const key = typeof body.key === 'string' ? body.key : ''
      if (!key) return reply(400, { key: ['This field is required.'] })
      if (this.memory.some((m) => m.namespace === ns && m.key === key)) {
        return reply(400, { key: ['You have an item with this key in this namespace already.'] })
      }
      const now = new Date().toISOString()
      const item: MemoryItem = { id: this.id('m'), namespace: ns, key, value: body.value, created_at: now, updated_at: now }
      this.memory.unshift(item)
      return reply(201, item)
    }
    const item = this.memory.find((m) => path === `/api/memory/${m.id}/`)
    if (!item) return reply(404, { detail: 'Not found.' })
    if (method === 'DELETE') {
      this.memory = this.memory.filter((m) => m !== item)
      return reply(204)
    }
    if (method === 'PATCH') Object.assign(item, { value: body.value, updated_at: new Date().toISOString() })
    return reply(200, item)
  }

  private page_(results: unknown[]) {
    return { count: results.length, next: null, previous: null, results }
  }

  private withLatest(agent: Json): Json {
    const latest = this.executions.find((e) => e.agent === agent.id)
    return { ...agent, latest_execution: latest ? { id: latest.id, status: latest.status, created_at: latest.created_at } : null }
  }

  // ---- Executions ----

  private start(agent: Json, input: Json, thread: string | null = null): Execution {
    const execution: Execution = {
      id: this.id('e'),
      agent: agent.id as string,
      thread,
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
      room: null,
      rerun_of: null,
      worker: '',
      lease_expires_at: null,
    }
    this.executions.unshift(execution)
    this.events.set(execution.id, [])
    this.announce(execution)
    // Agents of other runtimes have other configs; they play a short script.
    const config = agent.config as Partial<{ steps: number; tokens: number; delay_ms: number; ask: Ask }>
    void this.run(execution, {
      steps: config.steps ?? 1,
      tokens: config.tokens ?? 10,
      delay_ms: config.delay_ms ?? 20,
      ask: config.ask ?? null,
    })
    return execution
  }

  private async run(execution: Execution, config: { steps: number; tokens: number; delay_ms: number; ask: Ask | null }) {
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
    let answer: unknown
    for (const [index, event] of script.entries()) {
      if (config.ask && index === 2 * config.steps) {
        const answered = await this.wait(execution, config.ask)
        if (!answered) return
        answer = answered.answer
      }
      if (this.stopRequested.has(execution.id)) {
        this.finish(execution, 'stopped', { type: 'execution_stopped', message: 'Stopped on request.' })
        return
      }
      await sleep(event.event_type === 'token' ? config.delay_ms : 20)
      this.emit(execution, event)
    }
    execution.output_data = { text: this.expectedText(execution.id), ...(answer === undefined ? {} : { answer }) }
    this.finish(execution, 'completed', { type: 'execution_completed', output: execution.output_data })
    const thread = this.threads.find((t) => t.id === execution.thread)
    if (thread) this.addMessage(thread, execution, 'assistant', this.expectedText(execution.id), {})
  }

  /** Parks the run on a question until it is answered (the interrupt), or stopped (null). */
  private async wait(execution: Execution, ask: Ask): Promise<Interrupt | null> {
    const interrupt: Interrupt = {
      id: this.id('i'),
      execution: execution.id,
      thread: execution.thread,
      kind: 'ask_human',
      payload: { ...ask },
      status: 'open',
      created_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      answer: null,
      answered_by: null as unknown as string,
      answered_at: null,
    }
    this.interrupts.push(interrupt)
    execution.status = 'waiting_input'
    this.emit(execution, { type: 'execution_interrupted', interrupt: { id: interrupt.id, kind: interrupt.kind, payload: interrupt.payload } })
    const thread = this.threads.find((t) => t.id === execution.thread)
    if (thread) this.addMessage(thread, execution, 'assistant', ask.question, { interrupt: interrupt.id, ...ask })
    while (interrupt.status === 'open') {
      if (this.stopRequested.has(execution.id)) {
        interrupt.status = 'closed'
        this.finish(execution, 'stopped', { type: 'execution_stopped', message: 'Stopped while it waited for an answer.' })
        return null
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    execution.status = 'running'
    this.emit(execution, { type: 'execution_resumed', interrupt_id: interrupt.id })
    return interrupt
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
    if (body.type !== 'agent_event') this.announce(execution)
    if (execution.thread) {
      const stream = `thread:${execution.thread}`
      for (const [ws, streams] of this.streams) if (streams.has(stream)) ws.send(JSON.stringify(this.onStream(stream, event)))
    }
  }

  /** A thread's runs, oldest first: its stream's order. */
  private runsOf(threadId: string): Execution[] {
    return this.executions.filter((e) => e.thread === threadId).reverse()
  }

  private onStream(stream: string, event: Event): Json {
    return { ...event, stream, cursor: `${event.execution_id}:${event.seq}` }
  }

  /** Every event of the thread's runs after the cursor (a few before it too, as a seam can), run after run. */
  private replayStream(ws: WebSocketRoute, stream: string, cursor: string | undefined): void {
    const runs = this.runsOf(stream.slice('thread:'.length))
    const [runId, seqText] = cursor ? cursor.split(':') : [undefined, '0']
    let index = runId ? runs.findIndex((run) => run.id === runId) : 0
    if (index < 0) {
      ws.send(JSON.stringify({ type: 'error', message: 'Not a cursor.', code: 'invalid_field', fields: { cursor: ['Not a cursor.'] } }))
      return
    }
    let from = runId ? Math.max(0, Number(seqText) - this.replayOverlap) : 0
    for (; index < runs.length; index += 1, from = 0) {
      for (const event of this.events.get(runs[index]!.id) ?? []) {
        if (event.seq > from) ws.send(JSON.stringify(this.onStream(stream, event)))
      }
    }
  }

  private handleOps(url: URL, reply: (status: number, data?: unknown) => Promise<void>) {
    const path = url.pathname
    if (path === '/api/ops/stats/') {
      const window = url.searchParams.get('window') === 'day' ? 'day' : 'hour'
      return reply(200, this.stats(window))
    }
    if (!this.staff) return reply(403, { detail: 'You do not have permission to perform this action.' })
    if (path === '/api/ops/workers/') {
      const now = Date.now() / 1000
      for (const worker of this.workers) if (worker.state === 'online') worker.last_heartbeat = now - 1
      return reply(200, this.workers)
    }
    if (path === '/api/ops/queues/') return reply(200, this.queues)
    if (path === '/api/ops/agent-servers/') return reply(200, this.agentServers)
    return reply(404, { detail: 'Not found.' })
  }

  /** Made-up but steady series: a wave of runs, a few failures, durations and events that follow it. */
  private stats(window: 'hour' | 'day'): Stats {
    const seconds = window === 'hour' ? 60 : 900
    const count = window === 'hour' ? 60 : 96
    const first = Math.floor(Date.now() / 1000 / seconds) * seconds - (count - 1) * seconds
    const buckets: StatsBucket[] = Array.from({ length: count }, (_, index) => {
      const created = Math.round(3 + 3 * Math.sin(index / 6))
      const failed = index % 7 === 0 ? 1 : 0
      const stopped = index % 11 === 0 ? 1 : 0
      return {
        start: new Date((first + index * seconds) * 1000).toISOString(),
        runs: { created, completed: Math.max(0, created - failed - stopped), failed, stopped },
        duration_p50: created ? 1 + (index % 5) / 2 : null,
        duration_p95: created ? 3 + (index % 5) : null,
        events_per_second: created ? created * 4.5 : null,
        queue_depth: this.staff ? { celery: index % 3, executions: Math.round(2 + 2 * Math.cos(index / 5)) } : null,
      }
    })
    return { window, bucket_seconds: seconds, buckets }
  }

  // ---- WebSocket ----

  private connect(ws: WebSocketRoute): void {
    if (!this.loggedIn) {
      void ws.close({ code: 4001, reason: 'unauthenticated' })
      return
    }
    const agentId = new URL(ws.url()).pathname.match(/^\/ws\/agents\/([^/]+)\/$/)?.[1]
    const subscribed = new Set<string>()
    this.sockets.set(ws, subscribed)
    const streams = new Set<string>()
    this.streams.set(ws, streams)
    // The user socket (/ws/) names its user; an agent's socket its agent.
    ws.send(JSON.stringify({ type: 'connection', status: 'connected', ...(agentId ? { agent_id: agentId } : { user: USER.username }) }))
    ws.onMessage((raw) => {
      const frame = JSON.parse(String(raw)) as Json
      if (frame.action === 'ping') ws.send(JSON.stringify({ type: 'pong' }))
      else if (frame.action === 'subscribe' && typeof frame.stream === 'string') {
        if (agentId) {
          ws.send(JSON.stringify({ type: 'error', message: "A thread's stream is followed on the user socket, /ws/.", code: 'invalid_frame' }))
          return
        }
        if (frame.stream !== 'runs') this.replayStream(ws, frame.stream, frame.cursor as string | undefined)
        streams.add(frame.stream)
      } else if (frame.action === 'unsubscribe' && typeof frame.stream === 'string') streams.delete(frame.stream)
      else if (frame.action === 'subscribe') {
        const id = frame.execution_id as string
        // Replay a little before after_seq, as a seam can, then go live.
        const from = Math.max(0, Number(frame.after_seq ?? 0) - this.replayOverlap)
        for (const event of this.events.get(id) ?? []) if (event.seq > from) ws.send(JSON.stringify(event))
        subscribed.add(id)
      } else if (frame.action === 'unsubscribe') subscribed.delete(frame.execution_id as string)
      else ws.send(JSON.stringify({ type: 'error', message: 'Unknown action.', code: 'unknown_action' }))
    })
    ws.onClose(() => {
      this.sockets.delete(ws)
      this.streams.delete(ws)
    })
  }
}
