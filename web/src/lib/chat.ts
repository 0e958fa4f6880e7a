/** Reading a thread's conversation: titles, tool calls (stored and live), questions and their answers. */
import { asJsonObject, type JsonValue, type Thread, type ThreadMessage } from '@/api/types'
import { shortId } from './format'
import type { LogEntry } from './liveLog'

export function threadTitle(thread: Pick<Thread, 'id' | 'title'>): string {
  return thread.title?.trim() || `Conversation ${shortId(thread.id)}`
}

/** A tool call and, once it came, its result. */
export interface ToolCall {
  /** The seq of the call, or the message's id for a stored one: unique in its list. */
  key: string
  tool: string
  arguments: JsonValue | undefined
  result: JsonValue | undefined
  done: boolean
}

/** The tool calls of a live run, each with the first later result of the same tool. */
export function liveToolCalls(entries: readonly LogEntry[]): ToolCall[] {
  const calls: ToolCall[] = []
  for (const entry of entries) {
    if (entry.kind === 'tool_call') {
      calls.push({ key: `seq-${entry.seq}`, tool: entry.tool, arguments: entry.arguments, result: undefined, done: false })
    } else if (entry.kind === 'tool_result') {
      const call = calls.find((item) => !item.done && item.tool === entry.tool)
      if (call) Object.assign(call, { result: entry.result, done: true })
      else calls.push({ key: `seq-${entry.seq}`, tool: entry.tool, arguments: undefined, result: entry.result, done: true })
    }
  }
  return calls
}

/** A stored tool message: its data is the call {tool, arguments, result}; its content the result as text. */
export function storedToolCall(message: ThreadMessage): ToolCall {
  const data = asJsonObject(message.data) ?? {}
  return {
    key: `message-${message.id}`,
    tool: typeof data.tool === 'string' ? data.tool : 'tool',
    arguments: data.arguments,
    result: data.result ?? message.content,
    done: true,
  }
}

/** The interrupt an assistant's message asked (ask_human), or null. */
export function questionOf(message: ThreadMessage): string | null {
  const id = message.role === 'assistant' ? asJsonObject(message.data)?.interrupt : undefined
  return typeof id === 'string' ? id : null
}

/** The interrupt a user's message answered, or null. */
export function answerOf(message: ThreadMessage): string | null {
  const id = message.role === 'user' ? asJsonObject(message.data)?.answers : undefined
  return typeof id === 'string' ? id : null
}
