/**
 * usePolling: call `fetch` now and again `everyMs` after each call ends
 * (never two at once), while the component is mounted and `active` holds.
 *
 *   usePolling(() => load.run(), 2_000, () => isStaff.value)
 */
import { getCurrentScope, onScopeDispose, toValue, watch, type MaybeRefOrGetter } from 'vue'

export function usePolling(fetch: () => Promise<unknown>, everyMs: MaybeRefOrGetter<number>, active: MaybeRefOrGetter<boolean> = true) {
  let timer: ReturnType<typeof setTimeout> | null = null
  let running = false
  let generation = 0

  const stop = () => {
    generation += 1
    if (timer !== null) clearTimeout(timer)
    timer = null
    running = false
  }

  const tick = async (mine: number) => {
    timer = null
    try {
      await fetch()
    } finally {
      if (mine === generation) timer = setTimeout(() => void tick(mine), toValue(everyMs))
    }
  }

  const start = () => {
    if (running) return
    running = true
    void tick(generation)
  }

  watch(() => toValue(active), (on) => (on ? start() : stop()), { immediate: true })
  if (getCurrentScope()) onScopeDispose(stop)

  /** Fetch again now (after a change of what is fetched), keeping the rhythm from then on. */
  const refresh = () => {
    if (!running) return
    stop()
    start()
  }
  return { refresh, stop }
}
