/** Builders for contract-shaped events, executions, agents and runtimes in tests. */
import type { Agent, Execution, Interrupt, JsonValue, Runtime, Thread, ThreadMessage } from '@/api/types'
import type { ExecutionEvent, InterruptRequest } from '@/realtime/frames'

export const EXEC_ID = '11111111-1111-4111-8111-111111111111'
export const AGENT_ID = '22222222-2222-4222-8222-222222222222'
export const INTERRUPT_ID = '33333333-3333-4333-8333-333333333333'
export const THREAD_ID = '44444444-4444-4444-8444-444444444444'

/** The question of the synthetic agent the specs use, as an execution_interrupted carries it. */
export const QUESTION: InterruptRequest = {
  id: INTERRUPT_ID,
  kind: 'ask_human',
  payload: { question: 'Which colour?', choices: ['red', 'blue'] },
}
/** A tool call waiting for approval. */
export const TOOL_CONFIRMATION: InterruptRequest = {
  id: INTERRUPT_ID,
  kind: 'confirm_tool',
  payload: { tool: 'send_email', arguments: { to: 'ada@example.com', subject: 'Hi' } },
}

const T0 = Date.parse('2025-01-01T12:00:00Z')

export function at(ms: number): string {
  return new Date(T0 + ms).toISOString()
}

type Extra = { ms?: number; executionId?: string }

function base(seq: number, extra: Extra) {
  return { execution_id: extra.executionId ?? EXEC_ID, seq, timestamp: at(extra.ms ?? seq * 10) }
}

export const ev = {
  /** `attempt` as the server sends it: only from the second run on. */
  started: (seq: number, extra: Extra & { attempt?: number } = {}): ExecutionEvent => ({
    type: 'execution_started',
    input_data: { prompt: 'hi' },
    ...(extra.attempt && extra.attempt > 1 ? { attempt: extra.attempt } : {}),
    ...base(seq, extra),
  }),
  requeued: (seq: number, attempt: number, code = 'worker_lost', extra: Extra = {}): ExecutionEvent => ({
    type: 'execution_requeued',
    attempt,
    code,
    message:
      code === 'worker_lost'
        ? 'The worker running this execution stopped responding.'
        : 'The worker running this execution was stopped before the run finished.',
    ...base(seq, extra),
  }),
  token: (seq: number, content: string, extra: Extra = {}): ExecutionEvent => ({
    type: 'agent_event',
    event_type: 'token',
    content: { content },
    ...base(seq, extra),
  }),
  progress: (seq: number, stage: string, percent?: number, extra: Extra = {}): ExecutionEvent => ({
    type: 'agent_event',
    event_type: 'progress',
    content: { stage, message: `${stage}…`, percent },
    ...base(seq, extra),
  }),
  step: (seq: number, name: string, extra: Extra = {}): ExecutionEvent => ({
    type: 'agent_event',
    event_type: 'step',
    content: { name, content: `did ${name}` },
    ...base(seq, extra),
  }),
  /** The step an LLM runtime reports once a model call ended. */
  modelCall: (
    seq: number,
    call: { purpose?: string; finish_reason?: string; prompt_tokens?: number | null; completion_tokens?: number | null } = {},
    extra: Extra = {},
  ): ExecutionEvent => ({
    type: 'agent_event',
    event_type: 'step',
    content: {
      name: 'model_call',
      content: {
        purpose: call.purpose ?? 'answer',
        provider: 'local',
        model: 'SmolLM2-135M-Instruct',
        finish_reason: call.finish_reason ?? 'stop',
        usage: { prompt_tokens: call.prompt_tokens ?? 30, completion_tokens: call.completion_tokens ?? 12 },
        duration_ms: 850,
      },
    },
    ...base(seq, extra),
  }),
  toolCall: (seq: number, tool: string, extra: Extra = {}): ExecutionEvent => ({
    type: 'agent_event',
    event_type: 'tool_call',
    content: { tool, arguments: { q: 'x' } },
    ...base(seq, extra),
  }),
  toolResult: (seq: number, tool: string, extra: Extra = {}): ExecutionEvent => ({
    type: 'agent_event',
    event_type: 'tool_result',
    content: { tool, result: 'ok' },
    ...base(seq, extra),
  }),
  message: (seq: number, content: string, extra: Extra = {}): ExecutionEvent => ({
    type: 'agent_event',
    event_type: 'message',
    content: { role: 'assistant', content },
    ...base(seq, extra),
  }),
  completed: (seq: number, output: JsonValue = { text: 'done' }, extra: Extra = {}): ExecutionEvent => ({
    type: 'execution_completed',
    output,
    ...base(seq, extra),
  }),
  error: (seq: number, message: string, code: string, extra: Extra = {}): ExecutionEvent => ({
    type: 'execution_error',
    message,
    code,
    ...base(seq, extra),
  }),
  stopped: (seq: number, extra: Extra = {}): ExecutionEvent => ({
    type: 'execution_stopped',
    message: 'Stopped by user.',
    ...base(seq, extra),
  }),
  interrupted: (seq: number, interrupt: InterruptRequest = QUESTION, extra: Extra = {}): ExecutionEvent => ({
    type: 'execution_interrupted',
    interrupt,
    ...base(seq, extra),
  }),
  resumed: (seq: number, interruptId = INTERRUPT_ID, extra: Extra = {}): ExecutionEvent => ({
    type: 'execution_resumed',
    interrupt_id: interruptId,
    ...base(seq, extra),
  }),
}

/** An interrupt as REST shows it: open unless told otherwise. */
export function interrupt(overrides: Partial<Interrupt> = {}, request: InterruptRequest = QUESTION): Interrupt {
  return {
    id: request.id,
    execution: EXEC_ID,
    thread: null,
    kind: request.kind,
    payload: { ...request.payload },
    status: 'open',
    created_at: at(0),
    expires_at: at(7 * 24 * 3600 * 1000),
    answer: null,
    // The API sends null until it is answered; the schema types it as a plain string.
    answered_by: null as unknown as string,
    answered_at: null,
    ...overrides,
  }
}

export function thread(overrides: Partial<Thread> = {}): Thread {
  return {
    id: THREAD_ID,
    agent: AGENT_ID,
    title: 'Colours',
    metadata: {},
    multitask_strategy: 'reject',
    status: 'idle',
    created_at: at(0),
    updated_at: at(0),
    ...overrides,
  }
}

let messageIds = 0

export function message(overrides: Partial<ThreadMessage> = {}): ThreadMessage {
  messageIds += 1
  return {
    id: messageIds,
    thread: THREAD_ID,
    execution: EXEC_ID,
    turn: 1,
    role: 'user',
    content: 'Hello',
    data: {},
    created_at: at(0),
    ...overrides,
  }
}

export function execution(overrides: Partial<Execution> = {}): Execution {
  return {
    id: EXEC_ID,
    agent: AGENT_ID,
    thread: null,
    status: 'running',
    input_data: {},
    output_data: null,
    error_message: '',
    error_code: '',
    created_at: at(0),
    started_at: at(0),
    completed_at: null,
    last_seq: 0,
    attempt: 1,
    room: null,
    rerun_of: null,
    worker: '',
    lease_expires_at: null,
    ...overrides,
  }
}

export function agent(overrides: Partial<Agent> = {}): Agent {
  return {
    id: AGENT_ID,
    name: 'Writer',
    description: 'Writes things.',
    status: 'active',
    runtime: 'synthetic',
    config: { steps: 3, tokens: 200, delay_ms: 20, fail_at: null },
    created_at: at(0),
    updated_at: at(0),
    latest_execution: null,
    ...overrides,
  }
}

/** The synthetic runtime as the catalog lists it: any input, echoed back. */
export function runtime(overrides: Partial<Runtime> = {}): Runtime {
  return {
    name: 'synthetic',
    description: 'A deterministic script of progress, step and token events.',
    config_schema: {
      type: 'object',
      properties: {
        steps: { type: 'integer', minimum: 0, default: 3 },
        tokens: { type: 'integer', minimum: 0, default: 20 },
        delay_ms: { type: 'integer', minimum: 0, default: 0 },
        fail_at: { type: ['integer', 'null'], minimum: 1, default: null },
      },
    },
    input_schema: { type: 'object', description: 'Anything: the result echoes it as input.' },
    input_example: { prompt: 'hello' },
    ...overrides,
  }
}

/** A chat runtime: one message (under one of several names) or a conversation. */
export const chatRuntime = runtime({
  name: 'chat',
  description: 'Chat with an LLM.',
  config_schema: { type: 'object', properties: { system_prompt: { type: 'string', default: '' } } },
  input_schema: {
    anyOf: [{ required: ['message'] }, { required: ['prompt'] }, { required: ['messages'] }],
    properties: {
      message: { type: 'string', pattern: '\\S', description: 'The new message to reply to.' },
      prompt: { type: 'string', pattern: '\\S', description: 'Another name for message.' },
      messages: { type: 'array', description: 'The conversation so far, oldest first.' },
    },
  },
  input_example: { message: 'Hello! What can you do?' },
})
