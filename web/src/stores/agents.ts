/** Agents store: the list, single agents, and the runtimes their config follows. */
import { defineStore } from 'pinia'
import { ref, type Ref } from 'vue'
import { api } from '@/api/client'
import type { Agent, AgentInput, AgentPage, AgentPatch, Runtime, Uuid } from '@/api/types'

export const AGENTS_PAGE_SIZE = 25
const CHOICES_SIZE = 100

export const useAgentsStore = defineStore('agents', () => {
  // Typed as Ref<T>: unwrapping the recursive JsonValue type is too deep for TS.
  const page = ref(null) as Ref<AgentPage | null>
  const pageNumber = ref(1)
  const byId = ref({}) as Ref<Record<Uuid, Agent>>
  /** The runtime catalog; null until asked. */
  const runtimes = ref(null) as Ref<Runtime[] | null>

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

  /** The first agents at once (up to CHOICES_SIZE), for pickers and for naming the agents of other lists. */
  async function fetchChoices(): Promise<Agent[]> {
    const result = await api.listAgents(1, CHOICES_SIZE)
    return result.results.map(remember)
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

  /** Loads the runtime catalog once per page load; it changes only with a deployment. */
  async function fetchRuntimes(): Promise<Runtime[]> {
    runtimes.value ??= await api.runtimes()
    return runtimes.value
  }

  function runtimeNamed(name: string | undefined): Runtime | undefined {
    return runtimes.value?.find((runtime) => runtime.name === name)
  }

  return {
    page,
    pageNumber,
    byId,
    runtimes,
    fetchPage,
    fetchChoices,
    fetchAgent,
    createAgent,
    updateAgent,
    deleteAgent,
    fetchRuntimes,
    runtimeNamed,
  }
})
