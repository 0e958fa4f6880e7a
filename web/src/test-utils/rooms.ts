/** Builders for rooms, their seats, messages and turns, and their streams' messages, in tests. */
import type { Room, RoomMessage, RoomSeat, RoomTurn } from '@/api/types'
import type { ExecutionEvent, RoomEvent, RoomEventBody } from '@/realtime/frames'
import { AGENT_ID, at, EXEC_ID } from './events'

export const ROOM_ID = '66666666-6666-4666-8666-666666666666'
export const AGENT_B = '77777777-7777-4777-8777-777777777777'
/** The second seat's turn of a round. */
export const EXEC_B = '88888888-8888-4888-8888-888888888888'
export const ROOM_STREAM = `room:${ROOM_ID}`

export function seat(position: number, overrides: Partial<RoomSeat> = {}): RoomSeat {
  return {
    position,
    agent: position === 0 ? AGENT_ID : AGENT_B,
    agent_name: position === 0 ? 'Writer' : 'Critic',
    instructions: '',
    ...overrides,
  }
}

export function room(overrides: Partial<Room> = {}): Room {
  return {
    id: ROOM_ID,
    name: 'Story time',
    task: 'Write a short story together.',
    mode: 'sequential',
    max_rounds: 2,
    stop_phrase: '',
    on_turn_failure: 'continue',
    seats: [seat(0), seat(1)],
    status: 'idle',
    round: 0,
    pause_requested: false,
    end_reason: '',
    created_at: at(0),
    updated_at: at(0),
    started_at: null,
    ended_at: null,
    ...overrides,
  }
}

let messageIds = 0

/** The task (role user, round 0) unless told otherwise. */
export function roomMessage(overrides: Partial<RoomMessage> = {}): RoomMessage {
  messageIds += 1
  return {
    id: messageIds,
    round: 0,
    seat: null,
    agent: null,
    agent_name: null,
    execution: null,
    role: 'user',
    content: 'Write a short story together.',
    created_at: at(0),
    ...overrides,
  }
}

/** A seat's answer in a round. */
export function answer(seatPosition: number, round: number, content: string, execution: string): RoomMessage {
  const { agent, agent_name } = seat(seatPosition)
  return roomMessage({ round, seat: seatPosition, agent, agent_name, execution, role: 'assistant', content })
}

let turnIds = 0

export function turn(overrides: Partial<RoomTurn> = {}): RoomTurn {
  turnIds += 1
  return {
    id: turnIds,
    round: 1,
    seat: 0,
    agent: AGENT_ID,
    execution: EXEC_ID,
    status: 'running',
    redo: false,
    created_at: at(0),
    started_at: at(0),
    completed_at: null,
    ...overrides,
  }
}

/** One of the room's own events, as its stream carries it. */
export function roomEvent(roomSeq: number, body: RoomEventBody): RoomEvent {
  return {
    ...body,
    room_id: ROOM_ID,
    room_seq: roomSeq,
    timestamp: at(roomSeq * 10),
    stream: ROOM_STREAM,
    cursor: String(roomSeq),
  } as RoomEvent
}

/** Where the seat's turn stands, as turn_started and turn_completed say it. */
export function place(seatPosition: number, round: number) {
  const { agent, agent_name } = seat(seatPosition)
  return { round, seat: seatPosition, agent_id: agent, agent_name }
}

export const roomEv = {
  started: (roomSeq: number, mode: 'sequential' | 'parallel' = 'sequential') =>
    roomEvent(roomSeq, { type: 'room_started', content: { task: 'Write a short story together.', mode, max_rounds: 2 } }),
  turnStarted: (roomSeq: number, seatPosition: number, round: number, execution: string) =>
    roomEvent(roomSeq, { type: 'turn_started', content: { ...place(seatPosition, round), execution_id: execution } }),
  turnCompleted: (roomSeq: number, seatPosition: number, round: number, execution: string, status = 'completed') =>
    roomEvent(roomSeq, {
      type: 'turn_completed',
      content: { ...place(seatPosition, round), execution_id: execution, status },
    }),
  roundCompleted: (roomSeq: number, round: number, failedSeats: number[] = []) =>
    roomEvent(roomSeq, { type: 'round_completed', content: { round, failed_seats: failedSeats } }),
  paused: (roomSeq: number, round: number) => roomEvent(roomSeq, { type: 'room_paused', content: { round } }),
  resumed: (roomSeq: number, round: number) => roomEvent(roomSeq, { type: 'room_resumed', content: { round } }),
  completed: (roomSeq: number, round: number, reason = 'max_rounds') =>
    roomEvent(roomSeq, { type: 'room_completed', content: { round, reason } }),
  stopped: (roomSeq: number, round: number) => roomEvent(roomSeq, { type: 'room_stopped', content: { round, reason: 'stopped' } }),
  failed: (roomSeq: number, round: number) =>
    roomEvent(roomSeq, { type: 'room_failed', content: { round, reason: 'turn_failed' } }),
}

/** A turn's event as the room's stream carries it: the execution's own message, placed in the room. */
export function inRoom(roomSeq: number, event: ExecutionEvent) {
  return { ...event, room_id: ROOM_ID, room_seq: roomSeq, stream: ROOM_STREAM, cursor: String(roomSeq) }
}
