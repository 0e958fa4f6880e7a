/**
 * useNow: one clock for the whole page, ticking once a second, for anything
 * that shows time passing (the duration of a running execution, open spans
 * of a timeline). The interval runs only while some component needs it:
 *
 *   const now = useNow(() => execution.status === 'running')
 *
 * `now` is Date.now() of the last tick. While `active` is false it stands
 * still for this caller (whatever other components do with the clock), which
 * freezes what is computed from it.
 */
import {
  getCurrentScope,
  onScopeDispose,
  readonly,
  ref,
  shallowRef,
  toValue,
  watch,
  type MaybeRefOrGetter,
  type Ref,
} from 'vue'

const TICK_MS = 1_000

const now = ref(Date.now())
let users = 0
let timer: ReturnType<typeof setInterval> | null = null

function join(): void {
  users += 1
  if (users === 1) {
    now.value = Date.now()
    timer = setInterval(() => (now.value = Date.now()), TICK_MS)
  }
}

function leave(): void {
  users -= 1
  if (users === 0 && timer !== null) {
    clearInterval(timer)
    timer = null
  }
}

export function useNow(active: MaybeRefOrGetter<boolean> = true): Readonly<Ref<number>> {
  const mine = shallowRef(Date.now())
  let joined = false
  const set = (on: boolean) => {
    if (on && !joined) join()
    else if (!on && joined) leave()
    joined = on
  }
  watch(() => toValue(active), set, { immediate: true })
  // Synchronous, so a tick reaches every active caller before anything renders.
  watch(
    now,
    (value) => {
      if (joined) mine.value = value
    },
    { flush: 'sync' },
  )
  if (getCurrentScope()) onScopeDispose(() => set(false))
  return readonly(mine)
}

/** How many components keep the clock going; for tests. */
export function clockUsers(): number {
  return users
}
