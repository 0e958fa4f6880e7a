/**
 * Types of the objects the backend sends, matching the public contract in
 * shared/design/platform.md. Names and fields are the contract's; keep them
 * exactly so a later `types:check` can compare them against /api/schema/.
 */

export type Uuid = string
/** ISO-8601 date-time string as DRF renders it. */
export type IsoDateTime = string

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

export interface User {
  id: number
  username: string
  is_staff: boolean
}

export interface Paginated<T> {
  count: number
  next: string | null
  previous: string | null
  results: T[]
}

/** DRF error body: field -> messages, possibly nested for JSON fields. */
export type DrfErrorBody = { [field: string]: string[] | string | DrfErrorBody } | string[]

export type AgentStatus = 'active' | 'inactive'

export const EXECUTION_STATUSES = ['pending', 'running', 'completed', 'failed', 'stopped'] as const
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number]
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['completed', 'failed', 'stopped']

export interface ExecutionSummary {
  id: Uuid
  status: ExecutionStatus
  created_at: IsoDateTime
}

export interface Agent {
  id: Uuid
  name: string
  description: string
  status: AgentStatus
  runtime: string
  config: JsonObject
  created_at: IsoDateTime
  updated_at: IsoDateTime
  latest_execution: ExecutionSummary | null
}

/** The writable fields of an agent (POST / PUT / PATCH body). */
export type AgentInput = Pick<Agent, 'name' | 'description' | 'status' | 'runtime' | 'config'>

/** A JSON Schema, only as far as the config form reads it. */
export interface JsonSchema {
  type?: string | string[]
  title?: string
  description?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  enum?: JsonValue[]
  minimum?: number
  maximum?: number
  default?: JsonValue
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  items?: JsonSchema
}

export interface Runtime {
  name: string
  description: string
  config_schema: JsonSchema
}

export interface Execution {
  id: Uuid
  agent: Uuid
  status: ExecutionStatus
  input_data: JsonObject
  output_data: JsonValue
  error_message: string
  /** Machine-readable reason of a failure (e.g. "worker_lost"); the backend adds it beyond the contract. */
  error_code?: string
  created_at: IsoDateTime
  started_at: IsoDateTime | null
  completed_at: IsoDateTime | null
  /** seq of the newest stored event (0 when there is none). */
  last_seq: number
}

/* ---- Events: identical over REST and WebSocket ---- */

interface EventBase {
  execution_id: Uuid
  seq: number
  timestamp: IsoDateTime
}

export interface ProgressContent {
  stage: string
  message: string
  percent?: number | null
}
export interface MessageContent {
  role: string
  content: string
}
export interface StepContent {
  name: string
  content: JsonValue
}
export interface TokenContent {
  /** A text delta, never cumulative: append it. */
  content: string
}
export interface ToolCallContent {
  tool: string
  arguments: JsonValue
}
export interface ToolResultContent {
  tool: string
  result: JsonValue
}

export type AgentEventBody =
  | { event_type: 'progress'; content: ProgressContent }
  | { event_type: 'message'; content: MessageContent }
  | { event_type: 'step'; content: StepContent }
  | { event_type: 'token'; content: TokenContent }
  | { event_type: 'tool_call'; content: ToolCallContent }
  | { event_type: 'tool_result'; content: ToolResultContent }

export type AgentEventType = AgentEventBody['event_type']

export interface ExecutionStartedEvent extends EventBase {
  type: 'execution_started'
  input_data: JsonObject
}
export type AgentEventMessage = EventBase & { type: 'agent_event' } & AgentEventBody
export interface ExecutionCompletedEvent extends EventBase {
  type: 'execution_completed'
  output: JsonValue
}
export interface ExecutionErrorEvent extends EventBase {
  type: 'execution_error'
  message: string
  code: string
}
export interface ExecutionStoppedEvent extends EventBase {
  type: 'execution_stopped'
  message: string
}

export type ExecutionEvent =
  | ExecutionStartedEvent
  | AgentEventMessage
  | ExecutionCompletedEvent
  | ExecutionErrorEvent
  | ExecutionStoppedEvent

export const EXECUTION_EVENT_TYPES = [
  'execution_started',
  'agent_event',
  'execution_completed',
  'execution_error',
  'execution_stopped',
] as const

export interface EventPage {
  results: ExecutionEvent[]
  next: string | null
}

/* ---- WebSocket frames ---- */

export type ServerMessage =
  | ExecutionEvent
  | { type: 'connection'; status: 'connected'; agent_id: Uuid }
  | { type: 'execution_created'; execution: Execution }
  /** Sent to every socket of an agent when one of its executions changes status. */
  | { type: 'execution_status'; execution_id: Uuid; status: ExecutionStatus }
  | { type: 'error'; message: string; code?: string }
  | { type: 'pong' }

export type ClientFrame =
  | { action: 'start_agent'; input_data: JsonObject }
  | { action: 'stop_agent'; execution_id: Uuid }
  | { action: 'subscribe'; execution_id: Uuid; after_seq: number }
  | { action: 'unsubscribe'; execution_id: Uuid }
  | { action: 'ping' }

/* ---- Knowledge documents (endpoint arrives in a later change) ---- */

export type DocumentStatus = 'pending' | 'indexing' | 'ready' | 'failed'

export interface KnowledgeDocument {
  id: Uuid
  filename: string
  content_type: string
  size: number
  status: DocumentStatus
  error_message: string
  created_at: IsoDateTime
}

export function isTerminal(status: ExecutionStatus | null | undefined): boolean {
  return status != null && TERMINAL_STATUSES.includes(status)
}

/** True for a server message that belongs to an execution's event stream. */
export function isExecutionEvent(message: { type?: unknown; seq?: unknown }): message is ExecutionEvent {
  return (
    typeof message.seq === 'number' &&
    (EXECUTION_EVENT_TYPES as readonly unknown[]).includes(message.type)
  )
}
