import { describe, expect, it } from 'vitest'
import { ago, formatLatency, formatSpan, leaseLeft } from './ops'

describe('ops', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0)

  it('says how long ago a heartbeat was', () => {
    expect(ago(now / 1000 - 3, now)).toBe('3 s ago')
    expect(ago(now / 1000 - 3.4, now)).toBe('3 s ago')
    expect(ago(now / 1000 + 1, now)).toBe('0 s ago')
    expect(ago(now / 1000 - 125, now)).toBe('2 min ago')
    expect(ago(now / 1000 - 3900, now)).toBe('1 h 5 min ago')
    expect(ago(null, now)).toBe('-')
  })

  it('spans hours and days', () => {
    expect(formatSpan(7200)).toBe('2 h')
    expect(formatSpan(3 * 86_400 + 5)).toBe('3 d')
  })

  it('says when a lease ends, or that it expired', () => {
    expect(leaseLeft(new Date(now + 25_000).toISOString(), now)).toBe('lease ends in 25 s')
    expect(leaseLeft(new Date(now - 3_000).toISOString(), now)).toBe('lease expired 3 s ago')
    expect(leaseLeft(null, now)).toBe('no lease')
  })

  it('rounds latencies', () => {
    expect(formatLatency(3.14159)).toBe('3.1 ms')
    expect(formatLatency(42.6)).toBe('43 ms')
    expect(formatLatency(null)).toBe('-')
  })
})
