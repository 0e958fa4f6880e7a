/**
 * WebSocket frames of /ws/agents/{agent_id}/ and the user socket /ws/, written by hand: the OpenAPI
 * schema does not describe the socket, and documents an event only loosely
 * (one `Event` object whose fields are all optional). These types mirror the
 * event vocabulary in the repository's contract/events.py and the message
 * table of shared/design/platform.md; keep the names exactly.
 *
 * An event is the same object over REST (GET /api/executions/{id}/events/)
 * and over the socket, so the REST client returns these types too.
 */
import type { components } from '@/api/schema'
import type { Execution, ExecutionStatus, Interrupt, IsoDateTime, JsonObject, JsonValue, RoomMode, Uuid } from '@/api/types'

interface EventBase {
  execution_id: Uuid
  seq: number
  timestamp: IsoDateTime
}

export interface ProgressContent {
  stage: string
  message: string
  /** 0..100, optional; it never goes down within a run, and a successful run ends at 100. */
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
  /** Which run this is; only sent from the second run on (absent means 1). */
  attempt?: number
}
/**
 * The run was lost (its worker stopped responding, or was shut down) before
 * its first agent event, so the execution is pending again and will be
 * started again as `attempt`. The next event is that run's execution_started
 * (or a terminal event, e.g. when it is stopped while pending).
 */
export interface ExecutionRequeuedEvent extends EventBase {
  type: 'execution_requeued'
  /** The run that comes next: 2 after the first requeue. */
  attempt: number
  /** Why the last run ended, e.g. `worker_lost` or `worker_shutdown`. */
  code: string
  message: string
}
export type AgentEventMessage = EventBase & { type: 'agent_event' } & AgentEventBody

/** What a run waits for (contract/interrupts.py): a question, or a tool call to approve. */
export type InterruptKind = 'ask_human' | 'confirm_tool'
export interface AskHumanPayload {
  question: string
  /** When given, the answer must be one of these. */
  choices?: string[]
}
export interface ConfirmToolPayload {
  tool: string
  arguments: JsonObject
}
export type InterruptRequest =
  | { id: Uuid; kind: 'ask_human'; payload: AskHumanPayload }
  | { id: Uuid; kind: 'confirm_tool'; payload: ConfirmToolPayload }

/**
 * The run waits for a person (status waiting_input) until the interrupt is
 * answered (POST /api/interrupts/{id}/answer/), stopped or expired.
 */
export interface ExecutionInterruptedEvent extends EventBase {
  type: 'execution_interrupted'
  interrupt: InterruptRequest
}
/** A worker took the answered run up again; its agent events follow. */
export interface ExecutionResumedEvent extends EventBase {
  type: 'execution_resumed'
  interrupt_id: Uuid
}
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
  | ExecutionRequeuedEvent
  | AgentEventMessage
  | ExecutionInterruptedEvent
  | ExecutionResumedEvent
  | ExecutionCompletedEvent
  | ExecutionErrorEvent
  | ExecutionStoppedEvent

export const EXECUTION_EVENT_TYPES = [
  'execution_started',
  'execution_requeued',
  'agent_event',
  'execution_interrupted',
  'execution_resumed',
  'execution_completed',
  'execution_error',
  'execution_stopped',
] as const satisfies readonly ExecutionEvent['type'][]

// isExecutionEvent drops a type missing from the list, and the seq it had
// would be a gap that never fills: so every type the schema's stored Event
// knows must be both listed and described above, or this does not compile.
type Unlisted = Exclude<components['schemas']['Event']['type'], (typeof EXECUTION_EVENT_TYPES)[number]>
true satisfies [Unlisted] extends [never] ? true : false

/**
 * What a thread's or a room's stream adds to each event it carries: the
 * stream's name (`thread:<id>`, `room:<id>`) and a cursor to resume right
 * after this event, across runs; a room's stream also places each of its
 * turns' events in the room (`room_id`, `room_seq`).
 */
export interface StreamTag {
  stream?: string
  /** Opaque: sent back as is in `subscribe` to go on right after this event. */
  cursor?: string
  room_id?: Uuid
  /** One order over the whole room: its own events and its turns' events. */
  room_seq?: number
}

/** A thread's stream, as named on the user socket. */
export function threadStream(threadId: Uuid): string {
  return `thread:${threadId}`
}

/** A room's stream, as named on the user socket. */
export function roomStream(roomId: Uuid): string {
  return `room:${roomId}`
}

/** Where a turn stands in its room: the round, the seat's position (from 0) and its agent. */
export interface TurnPlace {
  round: number
  seat: number
  agent_id: Uuid
  agent_name: string
}

/** How a room ended: max_rounds, stop_phrase, stopped, turn_failed, turn_not_started... */
export interface RoomEndContent {
  round: number
  reason: string
}

/** The events of a room of its own (rooms/log.py); its turns' events are executions' events. */
export type RoomEventBody =
  | { type: 'room_started'; content: { task: string; mode: RoomMode; max_rounds: number } }
  | { type: 'turn_started'; content: TurnPlace & { execution_id: Uuid } }
  | {
      type: 'turn_completed'
      /** `status`: the execution's (completed, failed, stopped), or not_started when it could not start. */
      content: TurnPlace & { execution_id?: Uuid; status: string; error_code?: string }
    }
  | { type: 'round_completed'; content: { round: number; failed_seats: number[] } }
  | { type: 'room_paused'; content: { round: number } }
  | { type: 'room_resumed'; content: { round: number } }
  | { type: 'room_completed'; content: RoomEndContent }
  | { type: 'room_stopped'; content: RoomEndContent }
  | { type: 'room_failed'; content: RoomEndContent }

export type RoomEvent = RoomEventBody & {
  room_id: Uuid
  room_seq: number
  timestamp: IsoDateTime
  stream?: string
  cursor?: string
}

export const ROOM_EVENT_TYPES = [
  'room_started',
  'turn_started',
  'turn_completed',
  'round_completed',
  'room_paused',
  'room_resumed',
  'room_completed',
  'room_stopped',
  'room_failed',
] as const satisfies readonly RoomEvent['type'][]

/** After one of these the room's stream sends nothing more. */
export const ROOM_END_TYPES: readonly RoomEvent['type'][] = ['room_completed', 'room_stopped', 'room_failed']

/** True for a room's own event (not one of its turns'). */
export function isRoomEvent(message: { type?: unknown; room_seq?: unknown }): message is RoomEvent {
  return typeof message.room_seq === 'number' && (ROOM_EVENT_TYPES as readonly unknown[]).includes(message.type)
}

/** The runs stream of the user socket: every run the user may see (staff: anyone's). */
export const RUNS_STREAM = 'runs'

/**
 * On the `runs` stream: one of the user's runs was created or changed
 * status. No replay and no cursor: after a reconnect, subscribe again and
 * read the page over REST.
 */
export interface RunStatusFrame {
  type: 'execution_status'
  stream: typeof RUNS_STREAM
  execution_id: Uuid
  agent_id: Uuid
  thread_id: Uuid | null
  room_id: Uuid | null
  status: ExecutionStatus
}

/** True for an `execution_status` of the runs stream (not a thread's, nor an agent socket's). */
export function isRunStatus(message: { type?: unknown; stream?: unknown }): message is RunStatusFrame {
  return message.type === 'execution_status' && message.stream === RUNS_STREAM
}

/** Server -> client. */
export type ServerMessage =
  | (ExecutionEvent & StreamTag)
  /** A room's own event, on its stream. */
  | RoomEvent
  /** On connect: the agent socket names its agent, the user socket its user. */
  | { type: 'connection'; status: 'connected'; agent_id?: Uuid; user?: string }
  /** The answer to start_agent. */
  | { type: 'execution_created'; execution: Execution }
  /** Sent to every socket of an agent when one of its executions changes status. */
  | { type: 'execution_status'; execution_id: Uuid; status: ExecutionStatus; /** Set for a run of a followed thread. */ stream?: string }
  /** A run created or changed, on the `runs` stream. */
  | RunStatusFrame
  /** The answer to answer_interrupt: the interrupt as REST shows it. */
  | { type: 'interrupt_answered'; interrupt: Interrupt }
  /** A bad frame or a refused action; the connection stays open. */
  | {
      type: 'error'
      message: string
      code?: string
      execution_id?: Uuid
      fields?: Record<string, string[]>
      /** The stream a refused subscribe named. */
      stream?: string
    }
  | { type: 'pong' }

/** Client -> server. */
export type ClientFrame =
  | { action: 'start_agent'; input_data: JsonObject; /** The user socket's only: which agent. */ agent_id?: Uuid }
  | { action: 'stop_agent'; execution_id: Uuid }
  | { action: 'subscribe'; execution_id: Uuid; after_seq: number }
  | { action: 'unsubscribe'; execution_id: Uuid }
  /**
   * The user socket's only: every event of every run of a thread (`thread:<id>`), or every event of a
   * room and of its turns (`room:<id>`), from `cursor` (none: from the start).
   */
  | { action: 'subscribe'; stream: string; cursor?: string }
  | { action: 'unsubscribe'; stream: string }
  | { action: 'answer_interrupt'; interrupt_id: Uuid; answer: JsonValue }
  | { action: 'ping' }

/** True for a server message that belongs to an execution's event stream. */
export function isExecutionEvent(message: { type?: unknown; seq?: unknown }): message is ExecutionEvent {
  return typeof message.seq === 'number' && (EXECUTION_EVENT_TYPES as readonly unknown[]).includes(message.type)
}
