import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick, ref } from 'vue'
import { clockUsers, useNow } from './useNow'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('useNow', () => {
  it('ticks once a second while someone needs it', () => {
    const scope = effectScope()
    const now = scope.run(() => useNow())!
    const start = now.value
    vi.advanceTimersByTime(999)
    expect(now.value).toBe(start)
    vi.advanceTimersByTime(1)
    expect(now.value).toBe(start + 1000)
    vi.advanceTimersByTime(3000)
    expect(now.value).toBe(start + 4000)
    scope.stop()
    expect(clockUsers()).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('is one clock for every component, kept until the last one leaves', () => {
    const first = effectScope()
    const second = effectScope()
    const a = first.run(() => useNow())!
    const b = second.run(() => useNow())!
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(1000)
    expect(b.value).toBe(a.value)
    first.stop()
    vi.advanceTimersByTime(1000)
    expect(b.value).toBe(a.value + 1000)
    expect(vi.getTimerCount()).toBe(1)
    second.stop()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('runs only while it is active, and stands still for a caller that is not', async () => {
    const running = ref(false)
    const scope = effectScope()
    const now = scope.run(() => useNow(running))!
    const other = effectScope()
    other.run(() => useNow())
    expect(clockUsers()).toBe(1)
    running.value = true
    await nextTick()
    expect(clockUsers()).toBe(2)
    const before = now.value
    vi.advanceTimersByTime(2000)
    expect(now.value).toBe(before + 2000)
    running.value = false
    await nextTick()
    expect(clockUsers()).toBe(1)
    vi.advanceTimersByTime(5000)
    expect(now.value).toBe(before + 2000)
    scope.stop()
    other.stop()
    expect(clockUsers()).toBe(0)
  })
})
