// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { backoffCeiling, backoffDelay } from './backoff'

const options = { baseMs: 500, capMs: 10_000 }

describe('backoff with full jitter', () => {
  it('doubles the ceiling with every attempt', () => {
    expect([0, 1, 2, 3, 4].map((n) => backoffCeiling(n, options))).toEqual([500, 1000, 2000, 4000, 8000])
  })

  it('never waits longer than the cap, however many attempts', () => {
    expect(backoffCeiling(5, options)).toBe(10_000)
    expect(backoffCeiling(50, options)).toBe(10_000)
    expect(backoffCeiling(5000, options)).toBe(10_000)
    expect(backoffDelay(5000, options, () => 0.999999)).toBeLessThan(10_000)
  })

  it('spreads delays over the whole range from zero to the ceiling', () => {
    expect(backoffDelay(3, options, () => 0)).toBe(0)
    expect(backoffDelay(3, options, () => 0.5)).toBe(2000)
    expect(backoffDelay(3, options, () => 0.999999)).toBe(3999)
  })

  it('stays within bounds for real random numbers', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelay(attempt, options)
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThan(backoffCeiling(attempt, options))
      }
    }
  })
})
