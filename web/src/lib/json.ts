/** Parsing user-typed JSON with a message a person can act on. */
import type { JsonObject } from '@/api/types'

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string }

export function parseJsonObject(text: string): ParseResult<JsonObject> {
  if (text.trim() === '') return { ok: false, error: 'Enter a JSON object, for example {}.' }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    return { ok: false, error: `This is not valid JSON: ${detail}` }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'Enter a JSON object (in curly braces), not a list or a single value.' }
  }
  return { ok: true, value: value as JsonObject }
}

export function parseJsonValue(text: string): ParseResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    return { ok: false, error: `This is not valid JSON: ${detail}` }
  }
}

export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? ''
}
