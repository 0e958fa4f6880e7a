/**
 * AgentSocket: the client side of /ws/agents/{agent_id}/, and of the user
 * socket /ws/ (the same protocol, reaching any of the user's executions).
 *
 * - Reconnects after any unexpected close, waiting an exponential backoff
 *   with full jitter (capped) between attempts.
 * - After every (re)connect it subscribes again to each watched execution
 *   from the last seq the caller has applied, so with dedupe by seq the log
 *   ends with every event exactly once.
 * - Heartbeat: sends `ping` every pingIntervalMs; when nothing at all arrives
 *   for deadAfterMs the socket is taken as dead (a half-open TCP connection
 *   never fires `close`), closed and replaced.
 * - Close codes 4001 (unauthenticated) and 4003 (not the owner) are final:
 *   retrying cannot help, so it goes offline instead.
 *
 * Timers, randomness and the WebSocket constructor are injectable so tests
 * run deterministically with a fake socket and fake timers.
 */
import type { Uuid } from '@/api/types'
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff'
import type { ClientFrame, ServerMessage } from './frames'
import { browserTimers, type Timers } from './timers'

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'offline'

export const CLOSE_UNAUTHENTICATED = 4001
export const CLOSE_FORBIDDEN = 4003
/** Sent when we drop a socket whose heartbeat went silent (4000-4999 is ours to use). */
export const CLOSE_HEARTBEAT_TIMEOUT = 4000

const OPEN = 1

export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason?: string }) => void) | null
  onerror: ((event: unknown) => void) | null
}

export type SocketFactory = (url: string) => SocketLike

export interface StateDetail {
  /** Close code of the socket that just went away, if any. */
  closeCode?: number
  /** Delay before the next attempt, while reconnecting. */
  retryInMs?: number
  /** Why we are offline for good, in plain words. */
  reason?: string
}

export interface AgentSocketOptions {
  url: string
  /** The seq the caller has applied for an execution (0 when none). */
  lastSeq: (executionId: Uuid) => number
  /** The last cursor received on a stream (a thread's), to resume right after it; null: from its start. */
  streamCursor?: (stream: string) => string | null
  onMessage?: (message: ServerMessage) => void
  onStateChange?: (state: ConnectionState, detail: StateDetail) => void
  createSocket?: SocketFactory
  timers?: Timers
  random?: () => number
  isOnline?: () => boolean
  backoff?: BackoffOptions
  pingIntervalMs?: number
  deadAfterMs?: number
}

export class AgentSocket {
  state: ConnectionState = 'idle'
  private socket: SocketLike | null = null
  private attempt = 0
  private everConnected = false
  private closedByUs = false
  private readonly watched = new Set<Uuid>()
  private readonly streams = new Set<string>()
  private retryTimer: unknown = null
  private pingTimer: unknown = null
  private deadTimer: unknown = null
  private readonly timers: Timers
  private readonly createSocket: SocketFactory
  private readonly random: () => number
  private readonly isOnline: () => boolean
  private readonly backoff: BackoffOptions
  private readonly pingIntervalMs: number
  private readonly deadAfterMs: number

  constructor(private readonly options: AgentSocketOptions) {
    this.timers = options.timers ?? browserTimers
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike)
    this.random = options.random ?? Math.random
    this.isOnline = options.isOnline ?? (() => true)
    this.backoff = options.backoff ?? DEFAULT_BACKOFF
    this.pingIntervalMs = options.pingIntervalMs ?? 5_000
    this.deadAfterMs = options.deadAfterMs ?? 10_000
  }

  get watchedExecutions(): Uuid[] {
    return [...this.watched]
  }

  connect(): void {
    this.closedByUs = false
    if (this.socket || this.retryTimer !== null) return
    this.open()
  }

  /** Closes for good (page left); no reconnect follows. */
  close(): void {
    this.closedByUs = true
    this.clearTimer('retryTimer')
    this.dropSocket(1000, 'client closed')
    this.setState('offline', { reason: 'Closed.' })
  }

  /** Try now instead of waiting out the backoff (e.g. the browser came back online). */
  reconnectNow(): void {
    if (this.closedByUs || this.state === 'connected' || this.state === 'connecting') return
    this.clearTimer('retryTimer')
    this.attempt = 0
    this.dropSocket(1000, 'reconnecting')
    this.open()
  }

  watch(executionId: Uuid): void {
    this.watched.add(executionId)
    this.subscribe(executionId)
  }

  unwatch(executionId: Uuid): void {
    if (this.watched.delete(executionId)) this.send({ action: 'unsubscribe', execution_id: executionId })
  }

  /** Ask again for everything after the caller's last seq (used when a gap shows up). */
  resubscribe(executionId: Uuid): void {
    if (this.watched.has(executionId)) this.subscribe(executionId)
  }

  get watchedStreams(): string[] {
    return [...this.streams]
  }

  /** Follow a stream (the user socket's `thread:<id>`), resumed from its cursor after every reconnect. */
  watchStream(stream: string): void {
    this.streams.add(stream)
    this.subscribeStream(stream)
  }

  unwatchStream(stream: string): void {
    if (this.streams.delete(stream)) this.send({ action: 'unsubscribe', stream })
  }

  /** Subscribe again from the last cursor (after a refused subscribe, or a cursor dropped). */
  resubscribeStream(stream: string): void {
    if (this.streams.has(stream)) this.subscribeStream(stream)
  }

  private subscribeStream(stream: string): void {
    const cursor = this.options.streamCursor?.(stream) ?? null
    this.send(cursor ? { action: 'subscribe', stream, cursor } : { action: 'subscribe', stream })
  }

  /** Sends a frame if the socket is open; returns whether it was sent. */
  send(frame: ClientFrame): boolean {
    if (!this.socket || this.socket.readyState !== OPEN || this.state !== 'connected') return false
    this.socket.send(JSON.stringify(frame))
    return true
  }

  private subscribe(executionId: Uuid): void {
    this.send({ action: 'subscribe', execution_id: executionId, after_seq: this.options.lastSeq(executionId) })
  }

  private open(): void {
    this.retryTimer = null
    this.setState(this.everConnected || this.attempt > 0 ? 'reconnecting' : 'connecting', {})
    let socket: SocketLike
    try {
      socket = this.createSocket(this.options.url)
    } catch {
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    let heardFromServer = false
    socket.onopen = () => {
      this.everConnected = true
      this.setState('connected', {})
      for (const id of this.watched) this.subscribe(id)
      for (const stream of this.streams) this.subscribeStream(stream)
      this.schedulePing()
    }
    socket.onmessage = (event) => {
      this.armDeadTimer()
      if (!heardFromServer) {
        // Only a socket that the server actually talks on resets the backoff,
        // so a server that accepts and drops at once still gets growing waits.
        heardFromServer = true
        this.attempt = 0
      }
      this.handleData(event.data)
    }
    socket.onclose = (event) => this.handleClose(event.code)
    socket.onerror = () => {
      /* a close event always follows; handled there */
    }
    // Also bounds the connect itself: a SYN to a restarting host can hang.
    this.armDeadTimer()
  }

  private handleData(data: unknown): void {
    if (typeof data !== 'string') return
    let message: unknown
    try {
      message = JSON.parse(data)
    } catch {
      return
    }
    if (message && typeof message === 'object' && 'type' in message) {
      this.options.onMessage?.(message as ServerMessage)
    }
  }

  private handleClose(code: number): void {
    this.detach()
    this.socket = null
    this.clearHeartbeat()
    if (this.closedByUs) return
    if (code === CLOSE_UNAUTHENTICATED) {
      this.setState('offline', { closeCode: code, reason: 'Not logged in. Log in again to see live updates.' })
    } else if (code === CLOSE_FORBIDDEN) {
      this.setState('offline', { closeCode: code, reason: 'This agent belongs to someone else.' })
    } else {
      this.scheduleReconnect(code)
    }
  }

  private scheduleReconnect(closeCode?: number): void {
    const delay = backoffDelay(this.attempt, this.backoff, this.random)
    this.attempt += 1
    this.setState(this.isOnline() ? 'reconnecting' : 'offline', { closeCode, retryInMs: delay })
    this.retryTimer = this.timers.setTimeout(() => this.open(), delay)
  }

  private schedulePing(): void {
    this.pingTimer = this.timers.setTimeout(() => {
      this.send({ action: 'ping' })
      this.schedulePing()
    }, this.pingIntervalMs)
  }

  private armDeadTimer(): void {
    this.clearTimer('deadTimer')
    this.deadTimer = this.timers.setTimeout(() => this.handleDead(), this.deadAfterMs)
  }

  private handleDead(): void {
    this.deadTimer = null
    this.dropSocket(CLOSE_HEARTBEAT_TIMEOUT, 'heartbeat timeout')
    if (!this.closedByUs) this.scheduleReconnect()
  }

  /** Forget the current socket: its late events must not reach us any more. */
  private dropSocket(code: number, reason: string): void {
    const socket = this.socket
    this.clearHeartbeat()
    if (!socket) return
    this.detach()
    this.socket = null
    try {
      socket.close(code, reason)
    } catch {
      /* already closing */
    }
  }

  private detach(): void {
    if (!this.socket) return
    this.socket.onopen = null
    this.socket.onmessage = null
    this.socket.onclose = null
    this.socket.onerror = null
  }

  private clearHeartbeat(): void {
    this.clearTimer('pingTimer')
    this.clearTimer('deadTimer')
  }

  private clearTimer(name: 'retryTimer' | 'pingTimer' | 'deadTimer'): void {
    if (this[name] !== null) this.timers.clearTimeout(this[name])
    this[name] = null
  }

  private setState(state: ConnectionState, detail: StateDetail): void {
    this.state = state
    this.options.onStateChange?.(state, detail)
  }
}

/** ws: or wss: by the page's protocol, on the page's own host. */
export function agentSocketUrl(agentId: Uuid, location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}/ws/agents/${agentId}/`
}

/** The user socket: the same protocol as an agent's, for any execution of the user's. */
export function userSocketUrl(location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}/ws/`
}
