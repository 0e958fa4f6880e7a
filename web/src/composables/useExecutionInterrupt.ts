/**
 * useExecutionInterrupt: the interrupt an execution waits on (or last waited
 * on, on this page), kept up to date from its live log.
 *
 *   const waiting = useExecutionInterrupt(executionId)
 *   await waiting.load()          // GET /api/interrupts/?execution=<id>&open=true
 *   waiting.interrupt.value       // Interrupt | null
 *
 * After load, the execution's events decide: an execution_interrupted makes
 * its interrupt the current one (fetched by id); once the run is resumed or
 * ends, an interrupt still shown as open is fetched again, so a page where
 * nobody answered (another tab did, or the thread's composer, or the run was
 * stopped) shows it answered or closed, with the stored answer.
 */
import { computed, ref, watch, type Ref } from 'vue'
import { isTerminal, type Uuid } from '@/api/types'
import { useExecutionsStore } from '@/stores/executions'
import { useInterruptsStore } from '@/stores/interrupts'

export function useExecutionInterrupt(executionId: Readonly<Ref<Uuid | null>>) {
  const executions = useExecutionsStore()
  const interrupts = useInterruptsStore()
  const currentId = ref<Uuid | null>(null)
  /** For which execution load() has answered; until then the events are not read. */
  const loadedFor = ref<Uuid | null>(null)

  const interrupt = computed(() => (currentId.value ? (interrupts.byId[currentId.value] ?? null) : null))
  const log = computed(() => (executionId.value ? (executions.logs[executionId.value] ?? null) : null))
  /** What the events say the run waits on now. */
  const waitingOn = computed(() => log.value?.interrupt?.id ?? null)
  /** The current interrupt is behind the run: resumed after it, or ended. */
  const passed = computed(() => {
    const id = currentId.value
    const current = log.value
    if (!id || !current || waitingOn.value === id) return false
    return (
      isTerminal(current.status) || current.entries.some((entry) => entry.kind === 'resumed' && entry.interruptId === id)
    )
  })

  async function load(): Promise<void> {
    const id = executionId.value
    currentId.value = null
    loadedFor.value = null
    if (!id) return
    const open = await interrupts.fetchOpen(id)
    if (id !== executionId.value) return
    currentId.value = open?.id ?? null
    loadedFor.value = id
    sync()
  }

  function sync(): void {
    if (!executionId.value || loadedFor.value !== executionId.value) return
    const next = waitingOn.value
    if (next && next !== currentId.value) {
      currentId.value = next
      if (!interrupts.byId[next]) void interrupts.fetchInterrupt(next).catch(() => undefined)
    } else if (passed.value && interrupt.value?.status === 'open') {
      void interrupts.fetchInterrupt(interrupt.value.id).catch(() => undefined)
    }
  }

  watch([waitingOn, passed], sync)
  watch(executionId, (id, previous) => {
    if (id !== previous) {
      currentId.value = null
      loadedFor.value = null
    }
  })

  return { interrupt, load }
}
