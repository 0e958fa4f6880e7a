import { describe, expect, it } from 'vitest'
import { leaseIn } from './format'

describe('leaseIn', () => {
  const now = Date.parse('2025-01-01T12:00:00Z')
  it('tells how long a lease has left, or since when it expired', () => {
    expect(leaseIn('2025-01-01T12:00:12Z', now)).toBe('expires in 12 s')
    expect(leaseIn('2025-01-01T12:01:30Z', now)).toBe('expires in 1 min 30 s')
    expect(leaseIn('2025-01-01T11:59:57Z', now)).toBe('expired 3 s ago')
    expect(leaseIn(null, now)).toBe('-')
  })
})
