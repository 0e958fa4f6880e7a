/**
 * The REST objects, as the backend's OpenAPI schema (docs/openapi.yaml)
 * describes them: each is an alias of a type that `npm run gen:api`
 * generates into schema.d.ts, so a change of the schema shows up here as a
 * type error. Only the WebSocket frames are written by hand
 * (realtime/frames.ts).
 */
import type { components } from './schema'

type Schemas = components['schemas']

export type Uuid = string
/** ISO-8601 date-time string as DRF renders it. */
export type IsoDateTime = string

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

export type User = Schemas['User']

export type Agent = Schemas['Agent']
/** The writable fields of an agent (POST / PUT body). */
export type AgentInput = Schemas['AgentRequest']
/** A PATCH body. */
export type AgentPatch = Schemas['PatchedAgentRequest']
export type AgentStatus = Schemas['AgentStatusEnum']
export type AgentPage = Schemas['PaginatedAgentList']

export type Execution = Schemas['Execution']
export type ExecutionStatus = Schemas['ExecutionStatusEnum']
export type ExecutionPage = Schemas['PaginatedExecutionList']

/** An execution as the runs view lists it: with its agent's name and runtime. */
export type Run = Schemas['Run']
/**
 * A page of runs (GET /api/runs/): `next` is older, `previous` newer, and
 * `count` is counted up to `count_limit`.
 */
export type RunPage = Schemas['PaginatedRunList']
/** What a bulk stop or re-run did: the runs acted on, the ids not found, and why the others were not. */
export type BulkResult = Schemas['BulkResult']

export type KnowledgeDocument = Schemas['Document']

/**
 * A run's question for a person (ask_human) or a tool call waiting for
 * approval (confirm_tool); `status` is open while the run waits for it.
 */
export type Interrupt = Schemas['Interrupt']
export type InterruptPage = Schemas['PaginatedInterruptList']

/** A conversation with one agent; its status is read from its runs. */
export type Thread = Schemas['Thread']
export type ThreadInput = Schemas['ThreadRequest']
export type ThreadStatus = Schemas['ThreadStatusEnum']
export type ThreadPage = Schemas['PaginatedThreadList']
/** One message of a thread: the user's, the assistant's, or a tool call's. */
export type ThreadMessage = Schemas['Message']
/** The answer to a posted message: it, and the run that answers it (or the waiting run it answered). */
export type PostedMessage = Schemas['PostedMessage']

/** What the user's agents remember about them: a JSON value under a key, in a namespace (`default` unless told). */
export type MemoryItem = Schemas['MemoryItem']
export type MemoryPage = Schemas['PaginatedMemoryItemList']
/** A search result: the item, how close it is (`score`, higher is closer) and how it was found. */
export type MemoryMatch = Schemas['MemoryMatch']
/** `semantic`: by meaning (the agent server's embedder); `keyword`: by words, without it. */
export type MemoryMatchKind = Schemas['MatchEnum']
/** A new item; the namespace may be left out (the schema marks it required because it has a default). */
export type MemoryInput = Omit<Schemas['MemoryItemRequest'], 'namespace' | 'value'> & { namespace?: string; value: JsonValue }

/**
 * A room: several of the user's agents (its seats, in order) taking turns
 * on one task, round after round, one after the other (`sequential`) or all
 * at once (`parallel`); each turn is an ordinary execution of the seat's agent.
 */
export type Room = Schemas['Room']
export type RoomInput = Schemas['RoomRequest']
export type RoomPatch = Schemas['PatchedRoomRequest']
export type RoomPage = Schemas['PaginatedRoomList']
export type RoomStatus = Schemas['RoomStatusEnum']
export type RoomMode = Schemas['ModeEnum']
/** `continue`: a failed turn is recorded and the room goes on; `fail`: the room fails with it. */
export type OnTurnFailure = Schemas['OnTurnFailureEnum']
/** A seat as the room shows it: its position (from 0), its agent and its instructions. */
export type RoomSeat = Schemas['Seat']
export type SeatInput = Schemas['SeatRequest']
/** What the room has said: its task (role user, round 0), then each turn's answer. */
export type RoomMessage = Schemas['RoomMessage']
/** One turn of a seat in a round: an execution of its agent; `status` is the execution's. */
export type RoomTurn = Schemas['Turn']

/** A Celery worker as its heartbeats tell it (GET /api/ops/workers/, staff only); `name` is host:pid, as executions' `worker` names it. */
export type Worker = Schemas['Worker']
/** `lost`: no heartbeat for one lease. */
export type WorkerState = Schemas['StateEnum']
/** An execution a worker holds, and when its lease runs out. */
export type RunningExecution = Schemas['RunningExecution']
/** A Celery queue and the messages waiting in it (`depth` null when the broker is away). */
export type Queue = Schemas['Queue']
/** An agent server the workers use, with its health seen from the api. */
export type AgentServer = Schemas['AgentServer']
/** Chart series over the last hour (60 one-minute buckets) or day (96 of 15 minutes). */
export type Stats = Schemas['Stats']
export type StatsBucket = Schemas['StatsBucket']
export type StatsWindow = Schemas['WindowEnum']

const ROOM_ENDED: readonly RoomStatus[] = ['completed', 'stopped', 'failed']

export function isRoomEnded(status: RoomStatus | null | undefined): boolean {
  return status != null && ROOM_ENDED.includes(status)
}

/**
 * A runtime of the catalog (GET /api/runtimes/): its config_schema and
 * input_schema (JSON Schemas of an agent's config and of an execution's
 * input_data) and an input_example it runs with.
 */
export type Runtime = Schemas['Runtime']

const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['completed', 'failed', 'stopped']
/** A run under way: it can be stopped, and its duration grows (waiting for a person included). */
const ACTIVE_STATUSES: readonly ExecutionStatus[] = ['pending', 'running', 'waiting_input']

export function isTerminal(status: ExecutionStatus | null | undefined): boolean {
  return status != null && TERMINAL_STATUSES.includes(status)
}

export function isActive(status: ExecutionStatus | null | undefined): boolean {
  return status != null && ACTIVE_STATUSES.includes(status)
}

/** A JSON object from a field the schema leaves untyped (input_data, config), or null. */
export function asJsonObject(value: unknown): JsonObject | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : null
}
