import { describe, expect, it } from 'vitest'
import { ev, EXEC_ID, at } from '@/test-utils/events'
import type { ExecutionEvent } from '@/realtime/frames'
import { modelCalls } from './modelCalls'

function step(seq: number, name: string, content: unknown): ExecutionEvent {
  return {
    type: 'agent_event',
    event_type: 'step',
    content: { name, content: content as never },
    execution_id: EXEC_ID,
    seq,
    timestamp: at(seq * 10),
  }
}

describe('modelCalls', () => {
  it('finds none in a run that reports none', () => {
    expect(modelCalls([ev.started(1), ev.token(2, 'hi'), ev.completed(3, { text: 'hi' })])).toEqual([])
  })

  it('reads calls from step events with usage, finish reason and duration', () => {
    const calls = modelCalls([
      ev.started(1),
      step(2, 'model_call', {
        provider: 'openai',
        model: 'gpt-4o-mini',
        usage: { prompt_tokens: 120, completion_tokens: 42 },
        finish_reason: 'stop',
        duration_ms: 850,
      }),
      step(3, 'llm_call', { model: 'local', usage: { input_tokens: 7, output_tokens: 3 }, stop_reason: 'length', duration_s: 1.5 }),
      step(4, 'retrieval', 'three passages'),
      ev.completed(5, { text: 'x', provider: 'openai', model: 'gpt-4o-mini' }),
    ])
    expect(calls).toEqual([
      {
        seq: 2,
        timestamp: at(20),
        source: 'event',
        purpose: null,
        provider: 'openai',
        model: 'gpt-4o-mini',
        promptTokens: 120,
        completionTokens: 42,
        finishReason: 'stop',
        durationMs: 850,
      },
      {
        seq: 3,
        timestamp: at(30),
        source: 'event',
        purpose: null,
        provider: null,
        model: 'local',
        promptTokens: 7,
        completionTokens: 3,
        finishReason: 'length',
        durationMs: 1500,
      },
    ])
  })

  it('falls back on the provider and model the output names', () => {
    const calls = modelCalls([ev.started(1), ev.completed(2, { text: 'x', provider: 'local', model: 'qwen' })])
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ source: 'output', provider: 'local', model: 'qwen', promptTokens: null, seq: 2 })
  })
})
