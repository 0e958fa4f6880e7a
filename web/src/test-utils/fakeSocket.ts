/** A WebSocket stand-in the tests drive by hand: open, receive, close. */
import type { SocketLike } from '@/realtime/agentSocket'

export class FakeSocket implements SocketLike {
  static instances: FakeSocket[] = []
  static reset(): void {
    FakeSocket.instances = []
  }
  static get last(): FakeSocket {
    const socket = FakeSocket.instances[FakeSocket.instances.length - 1]
    if (!socket) throw new Error('no socket was created')
    return socket
  }

  readyState = 0
  sent: string[] = []
  closedWith: number | null = null
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number; reason?: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null

  constructor(readonly url: string) {
    FakeSocket.instances.push(this)
  }

  /** Frames the client sent, parsed. */
  get frames(): Record<string, unknown>[] {
    return this.sent.map((text) => JSON.parse(text) as Record<string, unknown>)
  }

  framesOf(action: string): Record<string, unknown>[] {
    return this.frames.filter((frame) => frame.action === action)
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open')
    this.sent.push(data)
  }

  close(code = 1000): void {
    this.closedWith = code
    this.readyState = 3
  }

  // ---- server side ----
  open(): void {
    this.readyState = 1
    this.onopen?.({})
  }

  receive(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) })
  }

  serverClose(code = 1006): void {
    this.readyState = 3
    this.onclose?.({ code })
  }
}

export const createFakeSocket = (url: string) => new FakeSocket(url)
