/**
 * Helpers for the specs that run against the real stack. The backend's
 * harness starts the stack and sets:
 *   E2E_BASE_URL          e.g. http://127.0.0.1:8000 (required, else the specs skip)
 *   E2E_USERNAME, E2E_PASSWORD   an existing user
 *   E2E_RESTART_API_CMD   shell command that restarts the api process (restart spec only)
 */
import { expect, test, type Page } from '@playwright/test'

export const baseUrl = process.env.E2E_BASE_URL
export const username = process.env.E2E_USERNAME ?? 'demo'
export const password = process.env.E2E_PASSWORD ?? 'demo'

export function requireStack(): void {
  test.skip(!baseUrl, 'E2E_BASE_URL is not set: no running stack to test against.')
}

export function uniqueName(prefix: string): string {
  return `${prefix} ${new Date().toISOString().slice(11, 19)} ${Math.random().toString(36).slice(2, 6)}`
}

async function csrfHeader(page: Page): Promise<Record<string, string>> {
  const cookie = (await page.context().cookies()).find((item) => item.name === 'csrftoken')
  return cookie ? { 'X-CSRFToken': cookie.value, Referer: page.url() } : {}
}

/** Creates a synthetic agent through the API with the logged-in page's session. */
export async function createAgentViaApi(
  page: Page,
  name: string,
  config: {
    steps: number
    tokens: number
    delay_ms?: number
    fail_at?: number | null
    ask?: { question: string; choices?: string[] }
  },
): Promise<string> {
  const response = await page.request.post('/api/agents/', {
    headers: await csrfHeader(page),
    data: { name, description: 'Made by the e2e suite.', status: 'active', runtime: 'synthetic', config: { fail_at: null, ...config } },
  })
  expect(response.status(), await response.text()).toBe(201)
  return ((await response.json()) as { id: string }).id
}

/** Starts a conversation with an agent through the API. */
export async function createThreadViaApi(page: Page, agentId: string, title: string): Promise<string> {
  const response = await page.request.post('/api/threads/', { headers: await csrfHeader(page), data: { agent: agentId, title } })
  expect(response.status(), await response.text()).toBe(201)
  return ((await response.json()) as { id: string }).id
}

/** A thread's stored messages, in order (one page is plenty here). */
export async function threadMessages(page: Page, threadId: string): Promise<{ role: string; content: string; data: Record<string, unknown> }[]> {
  const response = await page.request.get(`/api/threads/${threadId}/messages/?page_size=100`)
  expect(response.ok()).toBe(true)
  return ((await response.json()) as { results: { role: string; content: string; data: Record<string, unknown> }[] }).results
}

interface StoredEvent {
  seq: number
  type: string
  event_type?: string
  content?: { content?: string }
}

/** Every stored event of an execution, following `next` like the dashboard does. */
export async function storedEvents(page: Page, executionId: string): Promise<StoredEvent[]> {
  const events: StoredEvent[] = []
  let url: string | null = `/api/executions/${executionId}/events/?after_seq=0`
  while (url) {
    const response = await page.request.get(url)
    expect(response.ok()).toBe(true)
    const body = (await response.json()) as { results: StoredEvent[]; next: string | null }
    events.push(...body.results)
    url = body.next ? new URL(body.next).pathname + new URL(body.next).search : null
  }
  return events
}

export function tokenText(events: StoredEvent[]): string {
  return events
    .filter((event) => event.type === 'agent_event' && event.event_type === 'token')
    .map((event) => event.content?.content ?? '')
    .join('')
}

export async function currentExecutionId(page: Page): Promise<string> {
  const link = page.getByRole('heading', { name: /Current execution/ }).getByRole('link')
  await expect(link).toBeVisible()
  const href = await link.getAttribute('href')
  return href!.split('/').filter(Boolean).pop()!
}

export interface RoomSpec {
  name: string
  task: string
  mode: 'sequential' | 'parallel'
  max_rounds: number
  /** The agents taking turns, in order. */
  agents: string[]
}

/** Makes a room of the given agents through the API. */
export async function createRoomViaApi(page: Page, room: RoomSpec): Promise<string> {
  const { agents, ...fields } = room
  const response = await page.request.post('/api/rooms/', {
    headers: await csrfHeader(page),
    data: { ...fields, seats: agents.map((agent) => ({ agent })) },
  })
  expect(response.status(), await response.text()).toBe(201)
  return ((await response.json()) as { id: string }).id
}

export interface StoredRoom {
  id: string
  status: string
  round: number
  pause_requested: boolean
  end_reason: string
}

/** A room's record as the API has it. */
export async function roomViaApi(page: Page, roomId: string): Promise<StoredRoom> {
  const response = await page.request.get(`/api/rooms/${roomId}/`)
  expect(response.ok()).toBe(true)
  return (await response.json()) as StoredRoom
}

export interface StoredRoomMessage {
  round: number
  seat: number | null
  agent: string | null
  agent_name: string | null
  role: string
  content: string
}

/** What a room has said, in order (one page is plenty here). */
export async function roomMessages(page: Page, roomId: string): Promise<StoredRoomMessage[]> {
  const response = await page.request.get(`/api/rooms/${roomId}/messages/?page_size=100`)
  expect(response.ok()).toBe(true)
  return ((await response.json()) as { results: StoredRoomMessage[] }).results
}

/** The types of a room's own events, in order (one page is plenty here). */
export async function roomEventTypes(page: Page, roomId: string): Promise<string[]> {
  const response = await page.request.get(`/api/rooms/${roomId}/events/?page_size=100`)
  expect(response.ok()).toBe(true)
  return ((await response.json()) as { results: { event_type: string }[] }).results.map((event) => event.event_type)
}

/** Starts a run of an agent through the API; its id. */
export async function startRunViaApi(page: Page, agentId: string, inputData: Record<string, unknown>): Promise<string> {
  const response = await page.request.post(`/api/agents/${agentId}/executions/`, {
    headers: await csrfHeader(page),
    data: { input_data: inputData },
  })
  expect(response.status(), await response.text()).toBe(201)
  return ((await response.json()) as { id: string }).id
}

/** An execution as the API has it now. */
export async function executionViaApi(page: Page, executionId: string): Promise<{ status: string; rerun_of: string | null; input_data: Record<string, unknown> }> {
  const response = await page.request.get(`/api/executions/${executionId}/`)
  expect(response.ok()).toBe(true)
  return (await response.json()) as { status: string; rerun_of: string | null; input_data: Record<string, unknown> }
}
