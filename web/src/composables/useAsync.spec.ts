// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/errors'
import { useAsync } from './useAsync'

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('useAsync', () => {
  it('is loading while the call runs, then holds its result', async () => {
    const pending = deferred<string>()
    const state = useAsync((name: string) => pending.promise.then((greeting) => `${greeting}, ${name}`))
    expect(state.loading.value).toBe(false)
    const running = state.run('Ada')
    expect(state.loading.value).toBe(true)
    pending.resolve('Hello')
    expect(await running).toBe('Hello, Ada')
    expect(state.loading.value).toBe(false)
    expect(state.data.value).toBe('Hello, Ada')
    expect(state.error.value).toBeNull()
    expect(state.message.value).toBe('')
  })

  it('keeps a failure in plain words instead of throwing', async () => {
    const state = useAsync(() => Promise.reject(new ApiError(404, { detail: 'Not found.' })))
    expect(await state.run()).toBeUndefined()
    expect(state.loading.value).toBe(false)
    expect(state.error.value).toBeInstanceOf(ApiError)
    expect(state.message.value).toBe('Not found.')
    state.clear()
    expect(state.message.value).toBe('')
  })

  it("exposes a 400's field errors", async () => {
    const state = useAsync(() => Promise.reject(new ApiError(400, { input_data: { message: ['Required.'] } })))
    await state.run()
    expect(state.fieldErrors.value).toEqual({ 'input_data.message': ['Required.'] })
  })

  it('forgets the previous error when it runs again', async () => {
    let fail = true
    const state = useAsync(() => (fail ? Promise.reject(new Error('down')) : Promise.resolve(1)))
    await state.run()
    expect(state.message.value).toBe('down')
    fail = false
    await state.run()
    expect(state.error.value).toBeNull()
    expect(state.data.value).toBe(1)
  })

  it('lets the latest of overlapping calls win', async () => {
    const slow = deferred<string>()
    const fast = deferred<string>()
    const calls = [slow, fast]
    const state = useAsync(() => calls.shift()!.promise)
    const first = state.run()
    const second = state.run()
    fast.resolve('new page')
    await second
    slow.reject(new Error('old page failed'))
    await first
    expect(state.data.value).toBe('new page')
    expect(state.error.value).toBeNull()
    expect(state.loading.value).toBe(false)
  })
})
