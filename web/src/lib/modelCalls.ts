/**
 * The model (LLM) calls of an execution, as far as its events report them.
 *
 * The LLM runtimes (chat, rag, tools) report each call, once it ended, as a
 * `step` named `model_call` whose content is `{purpose, provider, model,
 * finish_reason, usage: {prompt_tokens, completion_tokens}, duration_ms}`.
 * Other agents may report theirs alike, so a call is read from
 *   - any agent event whose content is an object with `model`, `usage` or
 *     `finish_reason` (also `input_tokens` / `output_tokens`, `stop_reason`,
 *     `duration_s`, as other APIs name them);
 *   - otherwise, the execution_completed output's `provider` and `model`
 *     (one entry for the run, with what it says, `source: 'output'`), as
 *     runs from before the calls were reported have it.
 * Nothing found: no calls.
 */
import type { ExecutionEvent } from '@/realtime/frames'

export interface ModelCall {
  seq: number
  timestamp: string
  source: 'event' | 'output'
  /** What the call was for: `answer`, `decision` (a tool choice), `turn` (native tool calling). */
  purpose: string | null
  provider: string | null
  model: string | null
  promptTokens: number | null
  completionTokens: number | null
  finishReason: string | null
  durationMs: number | null
}

type Obj = Record<string, unknown>

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}
function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

/** The object describing a call inside an agent event's content, if any. */
function callObject(content: unknown): Obj | null {
  if (!isObject(content)) return null
  // A step carries its data in `content.content`.
  const inner = isObject(content.content) ? content.content : null
  for (const candidate of [inner, content]) {
    if (candidate && ('usage' in candidate || 'model' in candidate || 'finish_reason' in candidate)) return candidate
  }
  return null
}

function fromObject(data: Obj, seq: number, timestamp: string, source: ModelCall['source']): ModelCall {
  const usage = isObject(data.usage) ? data.usage : {}
  const durationS = num(data.duration_s) ?? num(data.duration_seconds)
  return {
    seq,
    timestamp,
    source,
    purpose: str(data.purpose),
    provider: str(data.provider),
    model: str(data.model),
    promptTokens: num(usage.prompt_tokens) ?? num(usage.input_tokens) ?? num(data.prompt_tokens),
    completionTokens: num(usage.completion_tokens) ?? num(usage.output_tokens) ?? num(data.completion_tokens),
    finishReason: str(data.finish_reason) ?? str(data.stop_reason),
    durationMs: num(data.duration_ms) ?? (durationS === null ? null : durationS * 1000),
  }
}

export function modelCalls(events: readonly ExecutionEvent[]): ModelCall[] {
  const calls: ModelCall[] = []
  let output: ModelCall | null = null
  for (const event of events) {
    if (event.type === 'agent_event') {
      if (event.event_type === 'token') continue
      const data = callObject(event.content)
      if (data) calls.push(fromObject(data, event.seq, event.timestamp, 'event'))
    } else if (event.type === 'execution_completed' && isObject(event.output)) {
      const out = event.output
      if (str(out.model) || str(out.provider) || isObject(out.usage)) {
        output = fromObject(out, event.seq, event.timestamp, 'output')
      }
    }
  }
  if (calls.length === 0 && output) calls.push(output)
  return calls
}
