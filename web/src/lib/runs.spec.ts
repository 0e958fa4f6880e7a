import { describe, expect, it } from 'vitest'
import type { Run } from '@/api/types'
import { AGENT_ID, execution } from '@/test-utils/events'
import {
  apiQuery,
  bulkReport,
  countLabel,
  cursorOf,
  keepSelected,
  liveAction,
  locationFromQuery,
  NO_FILTERS,
  queryFromLocation,
  withExecution,
  withStatus,
} from './runs'

function run(id: string, overrides: Partial<Run> = {}): Run {
  return { ...execution({ id }), agent_name: 'Writer', runtime: 'synthetic', ...overrides }
}

const NOW = Date.parse('2025-01-08T12:00:00Z')

describe('filters in the URL', () => {
  it('reads every filter, several statuses in their order, and the cursor', () => {
    const location = locationFromQuery({
      status: ['stopped', 'failed'],
      agent: AGENT_ID,
      runtime: 'chat',
      error_code: 'timeout',
      range: 'day',
      q: 'hello',
      cursor: 'abc',
    })
    expect(location).toEqual({
      filters: { status: ['failed', 'stopped'], agent: AGENT_ID, runtime: 'chat', errorCode: 'timeout', range: 'day', from: '', to: '', q: 'hello' },
      cursor: 'abc',
    })
  })

  it('takes one status as a string, and drops unknown statuses and ranges', () => {
    expect(locationFromQuery({ status: 'failed', range: 'year' }).filters).toMatchObject({ status: ['failed'], range: '' })
    expect(locationFromQuery({ status: ['nope', null] }).filters.status).toEqual([])
    expect(locationFromQuery({})).toEqual({ filters: NO_FILTERS, cursor: null })
  })

  it('writes only what is set, and reads back the same', () => {
    expect(queryFromLocation({ filters: NO_FILTERS, cursor: null })).toEqual({})
    const filters = { ...NO_FILTERS, status: ['failed' as const, 'stopped' as const], q: '  hi  ', errorCode: 'timeout' }
    const query = queryFromLocation({ filters, cursor: 'c1' })
    expect(query).toEqual({ status: ['failed', 'stopped'], q: 'hi', error_code: 'timeout', cursor: 'c1' })
    expect(locationFromQuery(query as Record<string, string | string[]>)).toEqual({ filters: { ...filters, q: 'hi' }, cursor: 'c1' })
  })
})

describe('apiQuery', () => {
  it('names the filters as the API does and counts the range back from now', () => {
    const filters = { ...NO_FILTERS, status: ['failed' as const], agent: AGENT_ID, runtime: 'chat', errorCode: 'timeout', range: 'hour' as const, q: 'x' }
    expect(apiQuery({ filters, cursor: 'c' }, NOW, 50)).toEqual({
      status: ['failed'],
      agent: AGENT_ID,
      runtime: 'chat',
      error_code: 'timeout',
      created_after: '2025-01-08T11:00:00.000Z',
      q: 'x',
      cursor: 'c',
      page_size: 50,
    })
    expect(apiQuery({ filters: { ...NO_FILTERS, range: 'week' }, cursor: null }, NOW).created_after).toBe('2025-01-01T12:00:00.000Z')
    expect(apiQuery({ filters: NO_FILTERS, cursor: null }, NOW)).toEqual({})
  })
})

describe('a time range between two times', () => {
  it('keeps from and to in the URL only with the range, and sends them as ISO times', () => {
    const location = locationFromQuery({ range: 'between', from: '2025-01-01T10:00', to: '2025-01-02T10:00' })
    expect(location.filters).toMatchObject({ range: 'between', from: '2025-01-01T10:00', to: '2025-01-02T10:00' })
    expect(locationFromQuery({ range: 'day', from: '2025-01-01T10:00' }).filters.from).toBe('')
    expect(queryFromLocation(location)).toEqual({ range: 'between', from: '2025-01-01T10:00', to: '2025-01-02T10:00' })
    expect(apiQuery(location, NOW)).toEqual({
      created_after: new Date('2025-01-01T10:00').toISOString(),
      created_before: new Date('2025-01-02T10:00').toISOString(),
    })
    const open = locationFromQuery({ range: 'between', to: 'not a time' })
    expect(apiQuery(open, NOW)).toEqual({})
  })
})

describe('cursorOf', () => {
  it("reads a link's cursor", () => {
    expect(cursorOf('http://testserver/api/runs/?cursor=cD0yMDI1&status=failed')).toBe('cD0yMDI1')
    expect(cursorOf('/api/runs/?status=failed')).toBeNull()
    expect(cursorOf(null)).toBeNull()
  })
})

describe('countLabel', () => {
  it('says how many, and "+" at the limit', () => {
    expect(countLabel(0, 10_000)).toBe('0 runs')
    expect(countLabel(1, 10_000)).toBe('1 run')
    expect(countLabel(1234, 10_000)).toBe('1,234 runs')
    expect(countLabel(10_000, 10_000)).toBe('10,000+ runs')
  })
})

describe('live updates', () => {
  const rows = [run('a', { status: 'running' }), run('b', { status: 'completed' })]

  it('re-reads a run on the page, and the first page for any other run', () => {
    expect(liveAction({ execution_id: 'a', status: 'failed' }, rows, true)).toEqual({ kind: 'refetch', id: 'a', status: 'failed' })
    expect(liveAction({ execution_id: 'a', status: 'failed' }, rows, false)).toEqual({ kind: 'refetch', id: 'a', status: 'failed' })
    expect(liveAction({ execution_id: 'new', status: 'pending' }, rows, true)).toEqual({ kind: 'reload' })
    expect(liveAction({ execution_id: 'new', status: 'pending' }, rows, false)).toEqual({ kind: 'ignore' })
  })

  it("changes one row's status, and takes a fresh record keeping the agent's name and runtime", () => {
    const changed = withStatus(rows, 'a', 'failed')
    expect(changed.map((r) => r.status)).toEqual(['failed', 'completed'])
    expect(changed[1]).toBe(rows[1])
    expect(withStatus(rows, 'b', 'completed')[1]).toBe(rows[1])
    const fresh = withExecution(rows, execution({ id: 'a', status: 'failed', error_code: 'timeout', completed_at: '2025-01-01T12:00:05Z' }))
    expect(fresh[0]).toMatchObject({ status: 'failed', error_code: 'timeout', agent_name: 'Writer', runtime: 'synthetic' })
  })

  it('keeps the selection of the runs still shown', () => {
    expect([...keepSelected(new Set(['a', 'gone']), rows)]).toEqual(['a'])
  })
})

describe('bulkReport', () => {
  const short = (id: string) => id.slice(0, 3)

  it('tells what was done, what was not found, and why the others were not done', () => {
    const report = bulkReport(
      'stop',
      {
        results: [run('aaa1'), run('bbb1')],
        not_found: ['ccc1'],
        errors: { ddd1: { code: 'not_active', message: 'It has ended already.' }, eee1: { code: 'conflict' } },
      },
      short,
    )
    expect(report.summary).toBe('Asked 2 runs to stop.')
    expect(report.problems).toEqual([
      'ccc: not found (deleted, or not yours).',
      'ddd: It has ended already. (not_active)',
      'eee: conflict',
    ])
  })

  it('counts new runs for a re-run, and says when nothing was done', () => {
    expect(bulkReport('rerun', { results: [run('a')], not_found: [], errors: {} }, short)).toEqual({
      summary: 'Started 1 new run.',
      problems: [],
    })
    expect(bulkReport('rerun', { results: [], not_found: [], errors: {} }, short).summary).toBe('No run was started again.')
    expect(bulkReport('stop', { results: [], not_found: [], errors: {} }, short).summary).toBe('No run was stopped.')
  })
})
