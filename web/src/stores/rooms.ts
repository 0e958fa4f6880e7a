/**
 * Rooms store: the user's rooms, each one's conversation and turns, and
 * where its stream is (the last cursor and room_seq received).
 *
 * A room's record moves with its own events on the stream (lib/rooms.ts)
 * and is fetched again after them, so what REST says has the last word. A
 * fetch answered after a later one (or after an action's answer) is
 * dropped, and an ended room never goes back to running.
 */
import { defineStore } from 'pinia'
import { ref, type Ref } from 'vue'
import { api } from '@/api/client'
import { isRoomEnded, type Room, type RoomInput, type RoomMessage, type RoomPage, type Uuid } from '@/api/types'
import { applyToRoom, applyToTurns, isTurnEnded, turnState, type TurnState } from '@/lib/rooms'
import type { RoomEvent } from '@/realtime/frames'

export const ROOMS_PAGE_SIZE = 25

export const useRoomsStore = defineStore('rooms', () => {
  const page = ref(null) as Ref<RoomPage | null>
  const pageNumber = ref(1)
  const byId = ref({}) as Ref<Record<Uuid, Room>>
  /** Each room's conversation, oldest first: its task, then the turns' answers. */
  const messages = ref({}) as Ref<Record<Uuid, RoomMessage[]>>
  /** Each room's turns, round by round in seat order, then the ones the stream told of since. */
  const turns = ref({}) as Ref<Record<Uuid, TurnState[]>>
  /** The last cursor of each room's stream received, to resume right after it (not reactive: nothing shows it). */
  const cursors = new Map<Uuid, string>()
  /** The highest room_seq taken in from each room's stream: one order over the room and its turns. */
  const lastSeqs = new Map<Uuid, number>()
  /** The newest request of each kind and room: only its answer is kept. */
  const requests = new Map<string, number>()

  function ticket(key: string): () => boolean {
    const number = (requests.get(key) ?? 0) + 1
    requests.set(key, number)
    return () => requests.get(key) === number
  }

  function remember(room: Room): Room {
    const known = byId.value[room.id]
    // A room that has ended stays so: an answer that says otherwise was read before the end.
    if (known && isRoomEnded(known.status) && !isRoomEnded(room.status)) return known
    byId.value[room.id] = room
    if (page.value?.results.some((item) => item.id === room.id)) {
      page.value = { ...page.value, results: page.value.results.map((item) => (item.id === room.id ? room : item)) }
    }
    return room
  }

  /** An action's answer: newer than any fetch under way. */
  function answered(room: Room): Room {
    ticket(`room:${room.id}`)
    return remember(room)
  }

  async function fetchPage(number = pageNumber.value): Promise<RoomPage> {
    const result = await api.listRooms(number, ROOMS_PAGE_SIZE)
    page.value = result
    pageNumber.value = number
    result.results.forEach(remember)
    return result
  }

  async function fetchRoom(id: Uuid): Promise<Room> {
    const current = ticket(`room:${id}`)
    const room = await api.getRoom(id)
    return current() ? remember(room) : (byId.value[id] ?? room)
  }

  async function createRoom(input: RoomInput): Promise<Room> {
    const room = await api.createRoom(input)
    byId.value[room.id] = room
    if (page.value && pageNumber.value === 1) {
      page.value = { ...page.value, count: page.value.count + 1, results: [room, ...page.value.results] }
    }
    return room
  }

  async function deleteRoom(id: Uuid): Promise<void> {
    await api.deleteRoom(id)
    delete byId.value[id]
    delete messages.value[id]
    delete turns.value[id]
    if (page.value) {
      page.value = {
        ...page.value,
        count: Math.max(0, page.value.count - 1),
        results: page.value.results.filter((room) => room.id !== id),
      }
    }
  }

  async function startRoom(id: Uuid, task?: string): Promise<Room> {
    return answered(await api.startRoom(id, task))
  }

  async function pauseRoom(id: Uuid, pauseNow = false): Promise<Room> {
    return answered(await api.pauseRoom(id, pauseNow))
  }

  async function resumeRoom(id: Uuid): Promise<Room> {
    return answered(await api.resumeRoom(id))
  }

  async function stopRoom(id: Uuid): Promise<Room> {
    return answered(await api.stopRoom(id))
  }

  async function fetchMessages(id: Uuid): Promise<RoomMessage[]> {
    const current = ticket(`messages:${id}`)
    const list = await api.listRoomMessages(id)
    if (current()) messages.value[id] = list
    return messages.value[id] ?? list
  }

  async function fetchTurns(id: Uuid): Promise<TurnState[]> {
    const current = ticket(`turns:${id}`)
    const list = (await api.listRoomTurns(id)).map(turnState)
    if (current()) turns.value[id] = list
    return turns.value[id] ?? list
  }

  /** One of the room's own events from its stream: its record and turns move at once. */
  function applyEvent(roomId: Uuid, event: RoomEvent): void {
    const room = byId.value[roomId]
    if (room) {
      const moved = applyToRoom(room, event)
      if (moved !== room) remember(moved)
    }
    const known = turns.value[roomId] ?? []
    const next = applyToTurns(known, event)
    if (next !== known) turns.value[roomId] = next
  }

  /** Whether a turn of the room is known to have ended (from REST or the stream). */
  function turnEnded(roomId: Uuid, executionId: Uuid): boolean {
    const turn = turns.value[roomId]?.find((item) => item.execution === executionId)
    return turn !== undefined && isTurnEnded(turn.status)
  }

  function streamCursor(roomId: Uuid): string | null {
    return cursors.get(roomId) ?? null
  }

  function setStreamCursor(roomId: Uuid, cursor: string | null): void {
    if (cursor) cursors.set(roomId, cursor)
    else cursors.delete(roomId)
  }

  function lastSeq(roomId: Uuid): number {
    return lastSeqs.get(roomId) ?? 0
  }

  /** Takes in a room_seq of the room's stream: false for one taken in already (a replay after a reconnect). */
  function noteSeq(roomId: Uuid, seq: number): boolean {
    if (seq <= lastSeq(roomId)) return false
    lastSeqs.set(roomId, seq)
    return true
  }

  return {
    page,
    pageNumber,
    byId,
    messages,
    turns,
    fetchPage,
    fetchRoom,
    createRoom,
    deleteRoom,
    startRoom,
    pauseRoom,
    resumeRoom,
    stopRoom,
    fetchMessages,
    fetchTurns,
    applyEvent,
    turnEnded,
    streamCursor,
    setStreamCursor,
    lastSeq,
    noteSeq,
  }
})
