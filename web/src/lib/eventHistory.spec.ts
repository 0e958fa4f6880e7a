import { describe, expect, it } from 'vitest'
import { ev } from '@/test-utils/events'
import type { ExecutionEvent } from '@/realtime/frames'
import {
  createFold,
  foldAll,
  foldEvents,
  kindsOf,
  lastSeqOf,
  previewOf,
  seqOf,
  typeOf,
  visibleRows,
} from './eventHistory'

const sample = (): ExecutionEvent[] => [
  ev.started(1),
  ev.progress(2, 'generating', 0),
  ev.token(3, 'Once'),
  ev.token(4, ' upon'),
  ev.token(5, ' a time'),
  ev.progress(6, 'done', 100),
  ev.token(7, 'Again'),
  ev.completed(8, { text: 'Once upon a time' }),
]

describe('foldEvents', () => {
  it('folds consecutive tokens into one row with their text and count', () => {
    const rows = foldAll(sample())
    expect(rows.map((row) => row.kind)).toEqual(['event', 'event', 'tokens', 'event', 'tokens', 'event'])
    const run = rows[2]!
    expect(previewOf(run)).toBe('3 tokens: Once upon a time')
    expect(seqOf(run)).toBe('3–5')
    expect(lastSeqOf(run)).toBe(5)
    expect(typeOf(run)).toBe('agent_event: token')
    expect(previewOf(rows[4]!)).toBe('1 token: Again')
  })

  it('takes only what is new, extends an open token run and skips duplicates', () => {
    const events = sample().slice(0, 4)
    const fold = createFold()
    foldEvents(fold, events)
    expect(fold.rows).toHaveLength(3)
    const before = fold.version
    events.push(ev.token(4, ' upon'), ev.token(5, ' a time'))
    foldEvents(fold, events)
    expect(fold.rows).toHaveLength(3)
    expect(previewOf(fold.rows[2]!)).toBe('3 tokens: Once upon a time')
    expect(fold.version).toBeGreaterThan(before)
    foldEvents(fold, events)
    expect(fold.rows).toHaveLength(3)
  })

  it('previews a payload compactly, without seq, time and type', () => {
    const [row] = foldAll([ev.progress(2, 'generating', 10)])
    expect(typeOf(row!)).toBe('agent_event: progress')
    expect(previewOf(row!)).toMatch(/^\{"content":\{.*"stage":"generating"/)
    expect(previewOf(row!)).not.toContain('"seq"')
  })

  it('folds 100,000 events', () => {
    const events: ExecutionEvent[] = [ev.started(1)]
    let seq = 1
    // 1,000 blocks of 99 tokens and a step: 2 rows a block.
    for (let block = 0; block < 1000; block++) {
      for (let i = 0; i < 99; i++) events.push(ev.token(++seq, 'x'))
      events.push(ev.progress(++seq, 'working', block / 10))
    }
    expect(events.length).toBe(100_001)
    const rows = foldAll(events)
    expect(rows).toHaveLength(1 + 2000)
    expect(previewOf(rows[1]!)).toMatch(/^99 tokens: x{99}$/)
    expect(lastSeqOf(rows[rows.length - 1]!)).toBe(100_001)
    expect(visibleRows(rows, new Set([rows[1]!.key]))).toHaveLength(2001 + 99)
  })
})

describe('visibleRows', () => {
  it('returns the rows as they are with nothing expanded or filtered', () => {
    const rows = foldAll(sample())
    expect(visibleRows(rows, new Set())).toBe(rows)
  })

  it('expands a token run into its token events, after the run row', () => {
    const rows = foldAll(sample())
    const shown = visibleRows(rows, new Set([rows[2]!.key]))
    expect(shown).toHaveLength(rows.length + 3)
    expect(shown.slice(3, 6).map((row) => (row.kind === 'event' ? [row.event.seq, row.child] : null))).toEqual([
      [3, true],
      [4, true],
      [5, true],
    ])
  })

  it('filters by type', () => {
    const rows = foldAll(sample())
    expect(kindsOf(rows)).toEqual(['execution_started', 'agent_event:progress', 'agent_event:token', 'execution_completed'])
    expect(visibleRows(rows, new Set(), new Set(['agent_event:progress'])).map(lastSeqOf)).toEqual([2, 6])
    expect(visibleRows(rows, new Set(), new Set(['agent_event:token'])).map(lastSeqOf)).toEqual([5, 7])
  })
})
