/**
 * Form fields from a runtime's JSON Schemas: its config_schema (the agent
 * form) and its input_schema (the run panel).
 *
 * Simple properties (integer, number, string, boolean, enum, each possibly
 * nullable) become form controls; anything else (objects, arrays, unions of
 * several types) is edited as JSON. Client-side checks mirror the schema's
 * type, minimum/maximum and required so obvious mistakes never round-trip,
 * but the server's 400 stays the authority.
 */
import type { JsonObject, JsonValue } from '@/api/types'

/** A JSON Schema, only as far as the forms read it. */
export interface JsonSchema {
  type?: string | string[]
  title?: string
  description?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  enum?: JsonValue[]
  minimum?: number
  maximum?: number
  default?: JsonValue
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  items?: JsonSchema
}

/**
 * A schema from the runtime catalog, which the OpenAPI schema types as any
 * object; only the keywords above are read, and each reader checks for them.
 */
export function asJsonSchema(value: unknown): JsonSchema | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonSchema) : null
}

export type FieldKind = 'integer' | 'number' | 'string' | 'boolean' | 'enum' | 'json'

export interface ConfigField {
  key: string
  label: string
  description: string
  kind: FieldKind
  nullable: boolean
  required: boolean
  minimum?: number
  maximum?: number
  options: JsonValue[]
  default?: JsonValue
}

const SIMPLE = new Set(['integer', 'number', 'string', 'boolean'])
/** Keywords a union member may carry and still be one simple form control. */
const PLAIN_MEMBER_KEYS = new Set(['type', 'minimum', 'maximum', 'title', 'description', 'default', 'format'])

function typesOf(schema: JsonSchema): string[] | null {
  const union = schema.anyOf ?? schema.oneOf
  if (union) {
    const types: string[] = []
    for (const member of union) {
      // Only plain members ({"type": "integer", "minimum": 1}) keep the field simple.
      if (Object.keys(member).some((key) => !PLAIN_MEMBER_KEYS.has(key))) return null
      const inner = typesOf(member)
      if (!inner) return null
      types.push(...inner)
    }
    return types
  }
  if (schema.type === undefined) return null
  return Array.isArray(schema.type) ? schema.type : [schema.type]
}

/** The schema whose numeric limits apply: the property, or its non-null union member. */
function limitsOf(schema: JsonSchema): JsonSchema {
  const union = schema.anyOf ?? schema.oneOf
  return union?.find((member) => member.type !== 'null') ?? schema
}

export function humanize(key: string): string {
  const words = key.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

export function fieldsFromSchema(schema: JsonSchema): ConfigField[] {
  const required = new Set(schema.required ?? [])
  return Object.entries(schema.properties ?? {}).map(([key, property]) => {
    const types = typesOf(property) ?? []
    const nullable = types.includes('null') || (property.enum?.includes(null) ?? false)
    const nonNull = types.filter((type) => type !== 'null')
    let kind: FieldKind = 'json'
    if (property.enum) kind = 'enum'
    else if (nonNull.length === 1 && SIMPLE.has(nonNull[0]!)) kind = nonNull[0] as FieldKind
    const limits = limitsOf(property)
    return {
      key,
      label: property.title ?? humanize(key),
      description: property.description ?? '',
      kind,
      nullable,
      required: required.has(key),
      minimum: limits.minimum,
      maximum: limits.maximum,
      options: (property.enum ?? []).filter((option) => option !== null),
      default: property.default,
    }
  })
}

/**
 * The controls of a run's input form: the simple properties of the input
 * schema that the starting input or the schema's `required` names (so a chat
 * runtime that accepts message, prompt, query... shows just the one its
 * example uses), else every simple property. Empty when the form cannot
 * show the input: no properties, or the input has fields the form would
 * hide (a list of messages, keys the schema does not name); the input is
 * then edited as JSON.
 */
export function inputFields(schema: JsonSchema | null, input: JsonObject): ConfigField[] {
  const simple = schema?.properties ? fieldsFromSchema(schema).filter((field) => field.kind !== 'json') : []
  const keys = new Set(simple.map((field) => field.key))
  if (!simple.length || Object.keys(input).some((key) => !keys.has(key))) return []
  const named = new Set([...Object.keys(input), ...(schema?.required ?? [])])
  const chosen = simple.filter((field) => named.has(field.key))
  return chosen.length ? chosen : simple
}

/** The schema's defaults, for a new agent. */
export function defaultConfig(fields: ConfigField[]): JsonObject {
  const config: JsonObject = {}
  for (const field of fields) {
    if (field.default !== undefined) config[field.key] = field.default
    else if (field.nullable) config[field.key] = null
  }
  return config
}

/** Problems with a config, keyed by field key, in plain words. */
export function checkConfig(fields: ConfigField[], config: JsonObject): Record<string, string[]> {
  const errors: Record<string, string[]> = {}
  const add = (key: string, message: string) => (errors[key] ??= []).push(message)
  for (const field of fields) {
    const value = config[field.key]
    if (value === undefined || value === null) {
      if (value === null && field.nullable) continue
      if (field.required || value === null) add(field.key, 'This field is required.')
      continue
    }
    if (field.kind === 'integer' || field.kind === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        add(field.key, 'Enter a number.')
        continue
      }
      if (field.kind === 'integer' && !Number.isInteger(value)) add(field.key, 'Enter a whole number.')
      if (field.minimum !== undefined && value < field.minimum) add(field.key, `Must be at least ${field.minimum}.`)
      if (field.maximum !== undefined && value > field.maximum) add(field.key, `Must be at most ${field.maximum}.`)
    } else if (field.kind === 'string' && typeof value !== 'string') {
      add(field.key, 'Enter text.')
    } else if (field.kind === 'boolean' && typeof value !== 'boolean') {
      add(field.key, 'Choose yes or no.')
    } else if (field.kind === 'enum' && !field.options.some((option) => JSON.stringify(option) === JSON.stringify(value))) {
      add(field.key, 'Choose one of the options.')
    }
  }
  return errors
}
