/**
 * ApiError and turning DRF error bodies into plain words next to fields.
 */

export type FieldErrors = Record<string, string[]>

export class ApiError extends Error {
  readonly status: number
  readonly data: unknown

  constructor(status: number, data: unknown, cause?: unknown) {
    super(describeStatus(status, data), cause === undefined ? undefined : { cause })
    this.name = 'ApiError'
    this.status = status
    this.data = data
  }

  /** Field messages keyed by dotted path ("config.steps"); "non_field_errors" for the rest. */
  get fieldErrors(): FieldErrors {
    return this.status === 400 ? flattenErrors(this.data) : {}
  }
}

/**
 * Flattens a DRF error body. Nested objects (JSON fields) become dotted keys,
 * a bare list becomes non_field_errors, a plain string is kept as one message.
 */
export function flattenErrors(data: unknown, prefix = ''): FieldErrors {
  const out: FieldErrors = {}
  const add = (key: string, message: string) => {
    ;(out[key] ??= []).push(message)
  }
  const walk = (value: unknown, key: string) => {
    if (typeof value === 'string') {
      add(key || 'non_field_errors', value)
    } else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) {
        if (typeof item === 'string') add(key || 'non_field_errors', item)
        else walk(item, key ? `${key}.${index}` : String(index))
      }
    } else if (value && typeof value === 'object') {
      for (const [child, inner] of Object.entries(value)) {
        const name = child === 'detail' && !key ? 'non_field_errors' : child
        walk(inner, key ? `${key}.${name}` : name)
      }
    }
  }
  walk(data, prefix)
  return out
}

function detailOf(data: unknown): string | null {
  if (data && typeof data === 'object' && 'detail' in data) {
    const detail = (data as { detail: unknown }).detail
    if (typeof detail === 'string') return detail
  }
  return null
}

export function describeStatus(status: number, data: unknown): string {
  if (status === 0) return 'Cannot reach the server. Check your connection and try again.'
  const detail = detailOf(data)
  if (status === 400) {
    const errors = flattenErrors(data)
    const general = errors.non_field_errors
    return general?.length ? general.join(' ') : 'Please correct the highlighted fields.'
  }
  if (status === 401 || status === 403) return detail ?? 'You are not allowed to do that. Are you still logged in?'
  if (status === 404) return detail ?? 'Not found.'
  if (status >= 500) return `The server had a problem (${status}). Please try again.`
  // A refusal such as 409 (the agent is inactive) may carry field errors, like a 400.
  return detail ?? flattenErrors(data).non_field_errors?.join(' ') ?? `Request failed (${status}).`
}

/** Plain words for any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof Error) return error.message
  return String(error)
}

/** Messages for fields that no form control shows, so none is silently lost. */
export function otherErrors(errors: FieldErrors, shown: string[]): string[] {
  return Object.entries(errors)
    .filter(([key]) => key !== 'non_field_errors' && !shown.some((name) => key === name || key.startsWith(`${name}.`)))
    .flatMap(([key, messages]) => messages.map((message) => `${key}: ${message}`))
}
