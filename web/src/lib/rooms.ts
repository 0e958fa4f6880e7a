/**
 * A room in plain words, and what its stream tells of it: the room's own
 * events move its record (status, round, how it ended) and its turns
 * (started, ended), so the page moves at once, before REST is asked again.
 *
 * The stream of a room opened without a cursor replays it from its start,
 * so an event may be older than the record already known: one of an
 * earlier round than the record's is ignored, and an ended room is final.
 */
import {
  isRoomEnded,
  isTerminal,
  type ExecutionStatus,
  type OnTurnFailure,
  type Room,
  type RoomMessage,
  type RoomMode,
  type RoomStatus,
  type RoomTurn,
  type Uuid,
} from '@/api/types'
import type { RoomEvent } from '@/realtime/frames'

export const ROOM_STATUS_LABELS: Record<RoomStatus, string> = {
  idle: 'Idle',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  stopped: 'Stopped',
  failed: 'Failed',
}

export const MODE_LABELS: Record<RoomMode, string> = {
  sequential: 'One after the other',
  parallel: 'All at once',
}

export const ON_TURN_FAILURE_LABELS: Record<OnTurnFailure, string> = {
  continue: 'The room goes on',
  fail: 'The room fails',
}

const END_REASONS: Record<string, string> = {
  max_rounds: 'Every round was played.',
  stop_phrase: 'An answer said the stop phrase.',
  stopped: 'Stopped by a person.',
  turn_failed: 'A turn failed.',
  turn_not_started: 'A turn could not start.',
}

/** Why a room ended, in words. */
export function describeEndReason(reason: string): string {
  return END_REASONS[reason] ?? (reason ? `Ended (${reason}).` : 'Ended.')
}

/** A turn as the page knows it: from the turns endpoint, or from the stream's turn_started and turn_completed. */
export interface TurnState {
  round: number
  /** The seat's position, from 0. */
  seat: number
  agent: Uuid
  /** None when the turn could not start (turn_completed with status not_started). */
  execution: Uuid | null
  /** The execution's status, or not_started. */
  status: string
  /** Stopped by a pause that would not wait: the seat's turn of this round is run again on resume. */
  redo: boolean
}

export function turnState(turn: RoomTurn): TurnState {
  return {
    round: turn.round,
    seat: turn.seat,
    agent: turn.agent,
    execution: turn.execution,
    status: turn.status,
    redo: turn.redo,
  }
}

const ENDED_TURN_STATUSES = ['completed', 'failed', 'stopped', 'not_started']

export function isTurnEnded(status: string): boolean {
  return ENDED_TURN_STATUSES.includes(status)
}

/** The room's record with one of its own events applied; the same object when the event changes nothing. */
export function applyToRoom(room: Room, event: RoomEvent): Room {
  if (isRoomEnded(room.status)) return room
  const round = 'round' in event.content ? event.content.round : null
  if (round !== null && round < room.round) return room
  const atRound = round === null ? {} : { round }
  switch (event.type) {
    case 'room_started':
      // Replayed to a room known to be further along already: nothing to learn.
      if (room.status !== 'idle') return room
      return {
        ...room,
        status: 'running',
        round: Math.max(1, room.round),
        task: event.content.task,
        started_at: room.started_at ?? event.timestamp,
      }
    case 'turn_started':
      return { ...room, ...atRound, status: room.status === 'idle' ? 'running' : room.status }
    case 'room_paused':
      return { ...room, ...atRound, status: 'paused', pause_requested: false }
    case 'room_resumed':
      return { ...room, ...atRound, status: 'running', pause_requested: false }
    case 'room_completed':
    case 'room_stopped':
    case 'room_failed':
      return {
        ...room,
        ...atRound,
        status: event.type === 'room_completed' ? 'completed' : event.type === 'room_stopped' ? 'stopped' : 'failed',
        end_reason: event.content.reason,
        pause_requested: false,
        ended_at: room.ended_at ?? event.timestamp,
      }
    default:
      return room
  }
}

/** The turns with one of the room's events applied; the same array when the event is not about a turn. */
export function applyToTurns(turns: TurnState[], event: RoomEvent): TurnState[] {
  if (event.type !== 'turn_started' && event.type !== 'turn_completed') return turns
  const { round, seat, agent_id: agent } = event.content
  const execution = event.content.execution_id ?? null
  const index = execution === null ? -1 : turns.findIndex((turn) => turn.execution === execution)
  if (event.type === 'turn_started') {
    // Known already (REST, or a replay): what is known is at least as far along.
    if (index >= 0) return turns
    return [...turns, { round, seat, agent, execution, status: 'pending', redo: false }]
  }
  const status = event.content.status
  if (index < 0) return [...turns, { round, seat, agent, execution, status, redo: false }]
  const known = turns[index]!
  if (known.status === status) return turns
  return turns.map((turn, at) => (at === index ? { ...turn, status } : turn))
}

/** The latest turn of each seat in a round, by seat (a turn run again after a pause replaces the stopped one). */
export function latestTurns(turns: readonly TurnState[], round: number): Map<number, TurnState> {
  const latest = new Map<number, TurnState>()
  for (const turn of turns) if (turn.round === round) latest.set(turn.seat, turn)
  return latest
}

/** Where a seat is in the round under way. */
export type SeatState = 'idle' | 'running' | 'done' | 'failed' | 'stopped'

export const SEAT_STATE_LABELS: Record<SeatState, string> = {
  idle: 'Idle',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  stopped: 'Stopped',
}

/**
 * A seat's state from its latest turn of the round and what its events
 * tell (`live`, the further along of the two wins): none yet is idle, and
 * so is one stopped by a pause, to be run again.
 */
export function seatState(turn: TurnState | undefined, live: ExecutionStatus | null = null): SeatState {
  if (!turn) return 'idle'
  const status = isTurnEnded(turn.status) ? turn.status : isTerminal(live) ? live! : turn.status
  switch (status) {
    case 'completed':
      return 'done'
    case 'failed':
    case 'not_started':
      return 'failed'
    case 'stopped':
      return turn.redo ? 'idle' : 'stopped'
    default:
      return 'running'
  }
}

/** Who said a message of the room: the task is the person's; each answer is its agent's. */
export function speakerOf(message: RoomMessage): string {
  if (message.role === 'user') return 'Task'
  return message.agent_name ?? 'An agent'
}
