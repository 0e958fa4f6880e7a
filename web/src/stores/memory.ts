/**
 * Memory store: the user's memory items, a page at a time (in one namespace
 * or all), and the last search's matches.
 */
import { defineStore } from 'pinia'
import { ref, type Ref } from 'vue'
import { api } from '@/api/client'
import type { JsonValue, MemoryInput, MemoryItem, MemoryMatch, MemoryPage, Uuid } from '@/api/types'

export const MEMORY_PAGE_SIZE = 25

export const useMemoryStore = defineStore('memory', () => {
  // Typed as Ref<T>: unwrapping the recursive JsonValue type is too deep for TS.
  const page = ref(null) as Ref<MemoryPage | null>
  const pageNumber = ref(1)
  /** The namespace the list shows; '' for all of them. */
  const namespace = ref('')
  const matches = ref(null) as Ref<MemoryMatch[] | null>

  async function fetchPage(number = pageNumber.value, inNamespace = namespace.value): Promise<MemoryPage> {
    const result = await api.listMemory({ namespace: inNamespace, page: number, pageSize: MEMORY_PAGE_SIZE })
    page.value = result
    pageNumber.value = number
    namespace.value = inNamespace
    return result
  }

  async function create(input: MemoryInput): Promise<MemoryItem> {
    const item = await api.createMemory(input)
    const shown = page.value
    if (shown && pageNumber.value === 1 && (!namespace.value || namespace.value === item.namespace)) {
      page.value = { ...shown, count: shown.count + 1, results: [item, ...shown.results] }
    }
    return item
  }

  function replace(item: MemoryItem): void {
    const shown = page.value
    if (shown) page.value = { ...shown, results: shown.results.map((old) => (old.id === item.id ? item : old)) }
    if (matches.value) {
      matches.value = matches.value.map((old) => (old.id === item.id ? { ...old, ...item } : old))
    }
  }

  async function updateValue(id: Uuid, value: JsonValue): Promise<MemoryItem> {
    const item = await api.updateMemoryValue(id, value)
    replace(item)
    return item
  }

  async function remove(id: Uuid): Promise<void> {
    await api.deleteMemory(id)
    const shown = page.value
    if (shown && shown.results.some((item) => item.id === id)) {
      page.value = { ...shown, count: shown.count - 1, results: shown.results.filter((item) => item.id !== id) }
    }
    if (matches.value) matches.value = matches.value.filter((item) => item.id !== id)
  }

  async function search(q: string, inNamespace = namespace.value): Promise<MemoryMatch[]> {
    const result = await api.searchMemory(q, { namespace: inNamespace })
    matches.value = result
    return result
  }

  function clearSearch(): void {
    matches.value = null
  }

  return { page, pageNumber, namespace, matches, fetchPage, create, updateValue, remove, search, clearSearch }
})
