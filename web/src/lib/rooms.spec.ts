import { describe, expect, it } from 'vitest'
import { AGENT_ID, EXEC_ID } from '@/test-utils/events'
import { AGENT_B, EXEC_B, room, roomEv, turn } from '@/test-utils/rooms'
import { applyToRoom, applyToTurns, describeEndReason, latestTurns, seatState, turnState, type TurnState } from './rooms'

describe('applyToRoom', () => {
  it("moves the room's record with its own events", () => {
    let record = room()
    record = applyToRoom(record, roomEv.started(1))
    expect(record).toMatchObject({ status: 'running', round: 1 })
    record = applyToRoom(record, roomEv.turnStarted(2, 0, 1, EXEC_ID))
    expect(record).toMatchObject({ status: 'running', round: 1 })
    record = applyToRoom(record, roomEv.turnStarted(9, 0, 2, EXEC_ID))
    expect(record.round).toBe(2)
    record = applyToRoom({ ...record, pause_requested: true }, roomEv.paused(10, 2))
    expect(record).toMatchObject({ status: 'paused', pause_requested: false })
    record = applyToRoom(record, roomEv.resumed(11, 2))
    expect(record).toMatchObject({ status: 'running' })
    record = applyToRoom(record, roomEv.completed(20, 2, 'stop_phrase'))
    expect(record).toMatchObject({ status: 'completed', end_reason: 'stop_phrase' })
    expect(record.ended_at).not.toBeNull()
  })

  it('ignores what a replay from the start tells of earlier rounds, and an ended room is final', () => {
    const running = room({ status: 'running', round: 2 })
    expect(applyToRoom(running, roomEv.started(1))).toBe(running)
    expect(applyToRoom(running, roomEv.paused(5, 1))).toBe(running)
    const paused = room({ status: 'paused', round: 2 })
    expect(applyToRoom(paused, roomEv.started(1))).toBe(paused)
    const ended = room({ status: 'stopped', round: 2, end_reason: 'stopped' })
    expect(applyToRoom(ended, roomEv.resumed(9, 2))).toBe(ended)
    expect(applyToRoom(ended, roomEv.turnStarted(9, 0, 2, EXEC_ID))).toBe(ended)
  })
})

describe('applyToTurns', () => {
  it('adds a started turn once and sets its status when it ends', () => {
    let turns: TurnState[] = []
    turns = applyToTurns(turns, roomEv.turnStarted(2, 0, 1, EXEC_ID))
    expect(turns).toEqual([{ round: 1, seat: 0, agent: AGENT_ID, execution: EXEC_ID, status: 'pending', redo: false }])
    expect(applyToTurns(turns, roomEv.turnStarted(2, 0, 1, EXEC_ID))).toBe(turns)
    turns = applyToTurns(turns, roomEv.turnCompleted(3, 0, 1, EXEC_ID, 'failed'))
    expect(turns[0]!.status).toBe('failed')
    // Told only of its end (the REST list was read before it started).
    turns = applyToTurns(turns, roomEv.turnCompleted(4, 1, 1, EXEC_B))
    expect(turns[1]).toMatchObject({ seat: 1, agent: AGENT_B, execution: EXEC_B, status: 'completed' })
    expect(applyToTurns(turns, roomEv.roundCompleted(5, 1))).toBe(turns)
  })

  it('keeps a turn the REST list knows as ended when its start is replayed', () => {
    const turns = [turnState(turn({ status: 'completed' }))]
    expect(applyToTurns(turns, roomEv.turnStarted(2, 0, 1, EXEC_ID))).toBe(turns)
  })
})

describe('seat states', () => {
  it("reads each seat's latest turn of the round, the further of its record and its events", () => {
    const turns = [
      turnState(turn({ round: 1, seat: 0, status: 'completed' })),
      turnState(turn({ round: 2, seat: 0, status: 'stopped', redo: true, execution: 'old' })),
      turnState(turn({ round: 2, seat: 0, status: 'running' })),
    ]
    const latest = latestTurns(turns, 2)
    expect(latest.get(0)?.status).toBe('running')
    expect(latest.has(1)).toBe(false)
    expect(seatState(undefined)).toBe('idle')
    expect(seatState(latest.get(0))).toBe('running')
    expect(seatState(latest.get(0), 'completed')).toBe('done')
    expect(seatState(latest.get(0), 'failed')).toBe('failed')
    expect(seatState(turnState(turn({ status: 'completed' })), 'running')).toBe('done')
    expect(seatState(turnState(turn({ status: 'not_started' as string, execution: 'x' })))).toBe('failed')
    // Stopped by a pause at once: it is run again on resume.
    expect(seatState(turns[1])).toBe('idle')
    expect(seatState(turnState(turn({ status: 'stopped' })))).toBe('stopped')
  })

  it('says why a room ended', () => {
    expect(describeEndReason('max_rounds')).toBe('Every round was played.')
    expect(describeEndReason('something_new')).toBe('Ended (something_new).')
  })
})
