/**
 * Reading an interrupt (what a run waits for) and its answer in plain words.
 * REST types the payload and the answer loosely, so they are read with care:
 * a field of the wrong type is treated as missing.
 */
import { asJsonObject, type JsonObject } from '@/api/types'
import type { AskHumanPayload, ConfirmToolPayload } from '@/realtime/frames'

export function askHumanPayload(payload: unknown): AskHumanPayload {
  const object = asJsonObject(payload) ?? {}
  const choices = Array.isArray(object.choices) ? object.choices.filter((item) => typeof item === 'string') : []
  return {
    question: typeof object.question === 'string' ? object.question : '',
    ...(choices.length ? { choices } : {}),
  }
}

export function confirmToolPayload(payload: unknown): ConfirmToolPayload {
  const object = asJsonObject(payload) ?? {}
  return {
    tool: typeof object.tool === 'string' ? object.tool : '',
    arguments: asJsonObject(object.arguments) ?? {},
  }
}

export type ToolDecision =
  | { action: 'approve' }
  | { action: 'reject'; reason: string }
  | { action: 'edit'; arguments: JsonObject }

/** A stored confirm_tool answer, or null when it is not one. */
export function toolDecision(answer: unknown): ToolDecision | null {
  const object = asJsonObject(answer)
  if (object?.action === 'approve') return { action: 'approve' }
  if (object?.action === 'reject') return { action: 'reject', reason: typeof object.reason === 'string' ? object.reason : '' }
  const edited = asJsonObject(object?.arguments)
  if (object?.action === 'edit' && edited) return { action: 'edit', arguments: edited }
  return null
}

/** An answer in words: the text of an ask_human, the decision on a tool call. */
export function describeAnswer(kind: string, answer: unknown): string {
  if (kind === 'ask_human') return typeof answer === 'string' ? answer : JSON.stringify(answer)
  const decision = toolDecision(answer)
  if (!decision) return JSON.stringify(answer)
  if (decision.action === 'approve') return 'Approved'
  if (decision.action === 'edit') return 'Approved with edited arguments'
  return decision.reason ? `Rejected: ${decision.reason}` : 'Rejected'
}
