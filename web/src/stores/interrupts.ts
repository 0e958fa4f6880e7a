/**
 * Interrupts store: what runs wait for (a question, a tool call to approve),
 * by id, as REST shows them. An interrupt's object is replaced whenever it
 * is fetched or answered, never edited.
 */
import { defineStore } from 'pinia'
import { ref, type Ref } from 'vue'
import { api } from '@/api/client'
import type { Interrupt, JsonValue, Uuid } from '@/api/types'

export const useInterruptsStore = defineStore('interrupts', () => {
  // Typed as Ref<T>: unwrapping the recursive JsonValue type is too deep for TS.
  const byId = ref({}) as Ref<Record<Uuid, Interrupt>>

  function remember(interrupt: Interrupt): Interrupt {
    byId.value[interrupt.id] = interrupt
    return interrupt
  }

  /** The interrupt an execution waits on, or null. */
  async function fetchOpen(executionId: Uuid): Promise<Interrupt | null> {
    const page = await api.listInterrupts({ execution: executionId, open: true })
    page.results.forEach(remember)
    return page.results[0] ?? null
  }

  /** A thread's newest interrupts, open or not: the answers its questions got. */
  async function fetchForThread(threadId: Uuid): Promise<Interrupt[]> {
    const page = await api.listInterrupts({ thread: threadId })
    return page.results.map(remember)
  }

  async function fetchInterrupt(id: Uuid): Promise<Interrupt> {
    return remember(await api.getInterrupt(id))
  }

  /** Answers it (once: a 409 says someone else was first, or that the run no longer waits). */
  async function answer(id: Uuid, value: JsonValue): Promise<Interrupt> {
    return remember(await api.answerInterrupt(id, value))
  }

  return { byId, fetchOpen, fetchForThread, fetchInterrupt, answer }
})
