// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { checkConfig, defaultConfig, fieldsFromSchema, inputFields, type JsonSchema } from './schemaForm'

const synthetic: JsonSchema = {
  type: 'object',
  required: ['steps', 'tokens'],
  properties: {
    steps: { type: 'integer', minimum: 1, maximum: 50, default: 3 },
    tokens: { type: 'integer', minimum: 0, default: 100, description: 'How many tokens.' },
    delay_ms: { type: 'integer', minimum: 0, default: 10 },
    fail_at: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }], default: null },
    mode: { enum: ['fast', 'slow'], default: 'fast' },
    verbose: { type: 'boolean', default: false },
    temperature: { type: 'number', maximum: 2 },
    tags: { type: 'array', items: { type: 'string' } },
  },
}

describe('config form from JSON Schema', () => {
  it('turns simple properties into typed fields and the rest into JSON', () => {
    const fields = fieldsFromSchema(synthetic)
    expect(fields.map((field) => [field.key, field.kind, field.nullable])).toEqual([
      ['steps', 'integer', false],
      ['tokens', 'integer', false],
      ['delay_ms', 'integer', false],
      ['fail_at', 'integer', true],
      ['mode', 'enum', false],
      ['verbose', 'boolean', false],
      ['temperature', 'number', false],
      ['tags', 'json', false],
    ])
    expect(fields[0]).toMatchObject({ label: 'Steps', minimum: 1, maximum: 50, required: true })
    expect(fields[2]!.label).toBe('Delay ms')
    expect(fields[3]).toMatchObject({ minimum: 1 })
  })

  it('also reads nullable integers written as a type list', () => {
    const [field] = fieldsFromSchema({ properties: { fail_at: { type: ['integer', 'null'] } } })
    expect(field).toMatchObject({ kind: 'integer', nullable: true })
  })

  it('starts a new config from the schema defaults', () => {
    expect(defaultConfig(fieldsFromSchema(synthetic))).toEqual({
      steps: 3,
      tokens: 100,
      delay_ms: 10,
      fail_at: null,
      mode: 'fast',
      verbose: false,
    })
  })

  it('explains values outside the schema in plain words', () => {
    const fields = fieldsFromSchema(synthetic)
    expect(checkConfig(fields, { steps: 0, tokens: 2.5, delay_ms: -1, fail_at: null, mode: 'warp' })).toEqual({
      steps: ['Must be at least 1.'],
      tokens: ['Enter a whole number.'],
      delay_ms: ['Must be at least 0.'],
      mode: ['Choose one of the options.'],
    })
    expect(checkConfig(fields, { tokens: 1 })).toEqual({ steps: ['This field is required.'] })
    expect(checkConfig(fields, defaultConfig(fields))).toEqual({})
  })
})

/** The shape of the chat runtimes' input schema: one message under any of several names, or a conversation. */
const chatInput: JsonSchema = {
  type: 'object',
  anyOf: [{ required: ['message'] }, { required: ['prompt'] }, { required: ['messages'] }],
  properties: {
    message: { type: 'string', description: 'The new message to reply to.' },
    prompt: { type: 'string', description: 'Another name for message.' },
    temperature: { type: 'number', minimum: 0 },
    messages: { type: 'array', items: { type: 'object' } },
  },
}

describe('run input form from JSON Schema', () => {
  it('shows the fields the starting input uses', () => {
    expect(inputFields(chatInput, { message: 'Hello' }).map((field) => [field.key, field.kind])).toEqual([
      ['message', 'string'],
    ])
    expect(inputFields(chatInput, { prompt: 'Hi', temperature: 0.5 }).map((field) => field.key)).toEqual([
      'prompt',
      'temperature',
    ])
  })

  it('shows the required fields, else every simple one, for an empty input', () => {
    expect(inputFields({ ...chatInput, required: ['message'] }, {}).map((field) => field.key)).toEqual(['message'])
    expect(inputFields(chatInput, {}).map((field) => field.key)).toEqual(['message', 'prompt', 'temperature'])
  })

  it('leaves to JSON what a form would hide or cannot show', () => {
    expect(inputFields(chatInput, { messages: [{ role: 'user', content: 'Hi' }] })).toEqual([])
    expect(inputFields(chatInput, { message: 'Hi', extra: 1 })).toEqual([])
    expect(inputFields({ type: 'object', description: 'Anything.' }, { prompt: 'x' })).toEqual([])
    expect(inputFields(null, {})).toEqual([])
  })
})
