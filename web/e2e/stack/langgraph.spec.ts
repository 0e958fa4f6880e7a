/**
 * The unmodified JavaScript LangGraph client (@langchain/langgraph-sdk)
 * against the real stack's LangGraph-compatible API under /lg/: a run
 * streamed with every mode gives the stored tokens in order, and a stream cut
 * by an api restart mid-run (E2E_RESTART_API_CMD) is resumed by the client
 * itself, from the Location header with Last-Event-ID, with every frame id
 * once and not a token lost or repeated. Node only: no browser page.
 */
import { Client, type StreamMode } from '@langchain/langgraph-sdk'
import { expect, test, type APIRequestContext } from '@playwright/test'
import { exec } from 'node:child_process'
import { promisify } from 'node:util'
import { baseUrl, password, requireStack, tokenText, uniqueName, username } from './stack'

const restartCommand = process.env.E2E_RESTART_API_CMD
const MODES: StreamMode[] = ['values', 'messages-tuple', 'updates', 'custom']
const HELLO = { messages: [{ role: 'user', content: 'Hello' }] }

interface Part {
  id?: string
  event: string
  data: unknown
}

interface StoredEvent {
  seq: number
  type: string
  event_type?: string
  content?: { content?: string }
}

interface StateMessage {
  id: string
  type: string
  content: string
}

test.beforeEach(requireStack)

async function apiToken(request: APIRequestContext): Promise<string> {
  const response = await request.post('/api/auth/token/', { data: { username, password } })
  expect(response.status(), await response.text()).toBe(200)
  return ((await response.json()) as { token: string }).token
}

async function createAgent(
  request: APIRequestContext,
  token: string,
  config: { steps: number; tokens: number; delay_ms: number },
): Promise<string> {
  const response = await request.post('/api/agents/', {
    headers: { Authorization: `Token ${token}` },
    data: {
      name: uniqueName('LangGraph JS client'),
      description: 'Made by the e2e suite.',
      status: 'active',
      runtime: 'synthetic',
      config: { fail_at: null, ...config },
    },
  })
  expect(response.status(), await response.text()).toBe(201)
  return ((await response.json()) as { id: string }).id
}

/** Every stored event of an execution (a run's id is its execution's), following `next`. */
async function storedEvents(request: APIRequestContext, token: string, executionId: string): Promise<StoredEvent[]> {
  const events: StoredEvent[] = []
  let url: string | null = `/api/executions/${executionId}/events/?after_seq=0`
  while (url) {
    const response = await request.get(url, { headers: { Authorization: `Token ${token}` } })
    expect(response.ok(), await response.text()).toBe(true)
    const body = (await response.json()) as { results: StoredEvent[]; next: string | null }
    events.push(...body.results)
    url = body.next ? new URL(body.next).pathname + new URL(body.next).search : null
  }
  return events
}

function storedTokens(events: StoredEvent[]): string[] {
  return events
    .filter((event) => event.type === 'agent_event' && event.event_type === 'token')
    .map((event) => event.content?.content ?? '')
}

function streamedTokens(parts: Part[]): string[] {
  return parts.filter((part) => part.event === 'messages').map((part) => (part.data as [{ content: string }])[0].content)
}

function finalMessages(parts: Part[]): StateMessage[] {
  const values = parts.filter((part) => part.event === 'values')
  expect(values.length).toBeGreaterThan(0)
  return (values[values.length - 1].data as { messages: StateMessage[] }).messages
}

/** Frame ids are `n` (event seq `n`) then `n.1`, `n.2`...: compared as (seq, index). */
function compareIds(a: string, b: string): number {
  const [seqA, indexA = '0'] = a.split('.')
  const [seqB, indexB = '0'] = b.split('.')
  return Number(seqA) - Number(seqB) || Number(indexA) - Number(indexB)
}

/** Each id that does not come strictly after the one before it, with that one. */
function outOfOrder(ids: string[]): string[] {
  return ids.flatMap((id, index) => (index > 0 && compareIds(ids[index - 1], id) >= 0 ? [`${ids[index - 1]} -> ${id}`] : []))
}

test('the JavaScript client streams a run with every mode, the tokens in order', async ({ request }) => {
  const token = await apiToken(request)
  const agentId = await createAgent(request, token, { steps: 2, tokens: 8, delay_ms: 5 })
  const client = new Client({ apiUrl: `${baseUrl}/lg`, apiKey: token })

  const assistants = await client.assistants.search({ graphId: 'synthetic', limit: 100 })
  expect(assistants.map((assistant) => assistant.assistant_id)).toContain(agentId)
  expect(assistants.find((assistant) => assistant.assistant_id === agentId)?.graph_id).toBe('synthetic')
  const thread = await client.threads.create()

  const parts: Part[] = []
  for await (const part of client.runs.stream(thread.thread_id, agentId, { input: HELLO, streamMode: MODES })) {
    parts.push(part)
  }

  expect(parts[0].event).toBe('metadata')
  const runId = (parts[0].data as { run_id: string }).run_id
  expect((parts[0].data as { thread_id: string }).thread_id).toBe(thread.thread_id)
  const events = await storedEvents(request, token, runId)
  expect(storedTokens(events)).toHaveLength(8)
  expect(streamedTokens(parts)).toEqual(storedTokens(events))
  expect(new Set(parts.map((part) => part.event))).toEqual(new Set(['metadata', 'values', 'updates', 'custom', 'messages']))
  const ids = parts.map((part) => part.id ?? '(none)')
  expect(outOfOrder(ids)).toEqual([])

  const final = finalMessages(parts)
  expect(final.map((message) => message.type)).toEqual(['human', 'ai'])
  expect(final[0].content).toBe('Hello')
  expect(final[1].content).toBe(tokenText(events))
  // Every chunk carries the id of the reply it forms, as the client merges them by it.
  const chunkIds = parts.filter((part) => part.event === 'messages').map((part) => (part.data as [{ id: string }])[0].id)
  expect(new Set(chunkIds)).toEqual(new Set([final[1].id]))
  expect((await client.runs.get(thread.thread_id, runId)).status).toBe('success')
  expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
})

test('a stream cut mid-run is resumed with every id once', async ({ request }) => {
  test.skip(!restartCommand, 'E2E_RESTART_API_CMD is not set.')
  test.setTimeout(180_000)
  const token = await apiToken(request)
  // About 10 s of tokens, so the restart lands in the middle of the stream.
  const agentId = await createAgent(request, token, { steps: 2, tokens: 400, delay_ms: 25 })
  const parts: Part[] = []
  // What the client sends, and how many parts it had yielded by then.
  const sent: { method: string; path: string; lastEventId: string | null; partsBefore: number }[] = []
  const client = new Client({
    apiUrl: `${baseUrl}/lg`,
    apiKey: token,
    onRequest: (url, init) => {
      sent.push({
        method: init.method ?? 'GET',
        path: url.pathname,
        lastEventId: new Headers(init.headers).get('last-event-id'),
        partsBefore: parts.length,
      })
      return init
    },
  })
  const thread = await client.threads.create()

  let restarted: Promise<unknown> | undefined
  try {
    const stream = client.runs.stream(thread.thread_id, agentId, { input: HELLO, streamMode: MODES, streamResumable: true })
    for await (const part of stream) {
      parts.push(part)
      if (!restarted && streamedTokens(parts).length === 20) {
        // Not awaited: the client reads on while the api goes away and comes back.
        restarted = promisify(exec)(restartCommand!, { timeout: 120_000 })
        restarted.catch(() => undefined) // awaited below
      }
    }
  } finally {
    await restarted
  }

  expect(restarted).toBeDefined()
  expect(parts[0].event).toBe('metadata')
  const runId = (parts[0].data as { run_id: string }).run_id
  const streamPath = new URL(`${baseUrl}/lg/threads/${thread.thread_id}/runs/${runId}/stream`).pathname
  // The client came back by itself to Location, from the last id it had.
  const resumes = sent.filter((call) => call.method === 'GET' && call.path === streamPath)
  expect(resumes.length, JSON.stringify(sent)).toBeGreaterThan(0)
  for (const resume of resumes) {
    expect(resume.lastEventId).toBe(parts[resume.partsBefore - 1].id)
  }
  // ...while the run still had frames to send.
  expect(resumes[0].partsBefore).toBeLessThan(parts.length)

  const ids = parts.map((part) => part.id ?? '(none)')
  expect(new Set(ids).size, 'an id was sent twice').toBe(ids.length)
  expect(outOfOrder(ids)).toEqual([])
  const events = await storedEvents(request, token, runId)
  expect(storedTokens(events)).toHaveLength(400)
  expect(streamedTokens(parts)).toEqual(storedTokens(events))
  expect(streamedTokens(parts).join('')).toBe(tokenText(events))
  expect(finalMessages(parts)[1].content).toBe(tokenText(events))
  expect((await client.runs.get(thread.thread_id, runId)).status).toBe('success')
})
