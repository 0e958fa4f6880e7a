/**
 * useAsync: the state of one kind of request a view makes, instead of a
 * try/catch and a loading flag around each call.
 *
 *   const load = useAsync((id: string) => agents.fetchAgent(id))
 *   await load.run(props.id)   // never throws; see load.error / load.message
 *
 * `run` resolves to the result, or to undefined when the call failed. When
 * calls overlap, the latest one alone sets data, error and loading, so a slow
 * answer for a page the user already left cannot overwrite the new one.
 */
import { computed, ref, shallowRef, type Ref, type ShallowRef } from 'vue'
import { ApiError, describeError, type FieldErrors } from '@/api/errors'

export interface AsyncState<T, A extends unknown[]> {
  data: ShallowRef<T | undefined>
  error: ShallowRef<unknown>
  loading: Ref<boolean>
  /** The error in plain words; '' when there is none. */
  message: Readonly<Ref<string>>
  /** DRF's field errors of a 400, keyed by dotted path (see api/errors.ts). */
  fieldErrors: Readonly<Ref<FieldErrors>>
  run: (...args: A) => Promise<T | undefined>
  /** Forget the error (e.g. when the user starts over). */
  clear: () => void
}

export function useAsync<T, A extends unknown[] = []>(call: (...args: A) => Promise<T>): AsyncState<T, A> {
  const data = shallowRef<T | undefined>()
  const error = shallowRef<unknown>(null)
  const loading = ref(false)
  let latest = 0

  async function run(...args: A): Promise<T | undefined> {
    const id = ++latest
    loading.value = true
    error.value = null
    try {
      const result = await call(...args)
      if (id === latest) data.value = result
      return result
    } catch (caught) {
      if (id === latest) error.value = caught
      return undefined
    } finally {
      if (id === latest) loading.value = false
    }
  }

  return {
    data,
    error,
    loading,
    message: computed(() => (error.value == null ? '' : describeError(error.value))),
    fieldErrors: computed(() => (error.value instanceof ApiError ? error.value.fieldErrors : {})),
    run,
    clear: () => {
      error.value = null
    },
  }
}
