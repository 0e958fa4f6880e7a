/** Agents store: the list, single agents, and the runtimes their config follows. */
import { defineStore } from 'pinia'
import { ref, type Ref } from 'vue'
import { api } from '@/api/client'
import type { Agent, AgentInput, AgentPage, AgentPatch, Runtime, Uuid } from '@/api/types'

export const AGENTS_PAGE_SIZE = 25

export const useAgentsStore = defineStore('agents', () => {
  // Typed as Ref<T>: unwrapping the recursive JsonValue type is too deep for TS.
  const page = ref(null) as Ref<AgentPage | null>
  const pageNumber = ref(1)
  const byId = ref({}) as Ref<Record<Uuid, Agent>>
  /** null until asked; [] with runtimesAvailable false when /api/runtimes/ is missing. */
  const runtimes = ref(null) as Ref<Runtime[] | null>
  const runtimesAvailable = ref<boolean | null>(null)

  function remember(agent: Agent): Agent {
    byId.value[agent.id] = agent
    return agent
  }

  async function fetchPage(number = pageNumber.value): Promise<AgentPage> {
    const result = await api.listAgents(number, AGENTS_PAGE_SIZE)
    result.results.forEach(remember)
    page.value = result
    pageNumber.value = number
    return result
  }

  async function fetchAgent(id: Uuid): Promise<Agent> {
    return remember(await api.getAgent(id))
  }

  async function createAgent(input: AgentInput): Promise<Agent> {
    return remember(await api.createAgent(input))
  }

  async function updateAgent(id: Uuid, input: AgentPatch): Promise<Agent> {
    return remember(await api.updateAgent(id, input))
  }

  async function deleteAgent(id: Uuid): Promise<void> {
    await api.deleteAgent(id)
    delete byId.value[id]
    if (page.value) {
      page.value.results = page.value.results.filter((agent) => agent.id !== id)
      page.value.count = Math.max(0, page.value.count - 1)
    }
  }

  /** Loads runtimes once. Any failure (404 until the backend has it) means: edit config as JSON. */
  async function fetchRuntimes(): Promise<Runtime[]> {
    if (runtimes.value !== null) return runtimes.value
    try {
      runtimes.value = await api.runtimes()
      runtimesAvailable.value = true
    } catch {
      runtimes.value = []
      runtimesAvailable.value = false
    }
    return runtimes.value
  }

  return {
    page,
    pageNumber,
    byId,
    runtimes,
    runtimesAvailable,
    fetchPage,
    fetchAgent,
    createAgent,
    updateAgent,
    deleteAgent,
    fetchRuntimes,
  }
})
