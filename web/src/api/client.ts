/**
 * One function per backend endpoint the dashboard uses.
 */
import { http, sameOriginPath } from './http'
import type {
  Agent,
  AgentInput,
  EventPage,
  Execution,
  ExecutionEvent,
  ExecutionStatus,
  JsonObject,
  KnowledgeDocument,
  Paginated,
  Runtime,
  User,
  Uuid,
} from './types'

export const api = {
  me: () => http.get<User>('/api/auth/me/'),
  login: (username: string, password: string) => http.post<User>('/api/auth/login/', { username, password }),
  logout: () => http.post<void>('/api/auth/logout/'),

  runtimes: () => http.get<Runtime[]>('/api/runtimes/'),

  listAgents: (page = 1, pageSize = 25) =>
    http.get<Paginated<Agent>>('/api/agents/', { page, page_size: pageSize }),
  getAgent: (id: Uuid) => http.get<Agent>(`/api/agents/${id}/`),
  createAgent: (input: AgentInput) => http.post<Agent>('/api/agents/', input),
  updateAgent: (id: Uuid, input: Partial<AgentInput>) => http.patch<Agent>(`/api/agents/${id}/`, input),
  deleteAgent: (id: Uuid) => http.delete(`/api/agents/${id}/`),

  createExecution: (agentId: Uuid, inputData: JsonObject) =>
    http.post<Execution>(`/api/agents/${agentId}/executions/`, { input_data: inputData }),
  listExecutions: (filters: { agent?: Uuid; status?: ExecutionStatus; page?: number; pageSize?: number }) =>
    http.get<Paginated<Execution>>('/api/executions/', {
      agent: filters.agent,
      status: filters.status,
      page: filters.page,
      page_size: filters.pageSize,
    }),
  getExecution: (id: Uuid) => http.get<Execution>(`/api/executions/${id}/`),
  stopExecution: (id: Uuid) => http.post<unknown>(`/api/executions/${id}/stop/`),

  /** Every stored event with seq > afterSeq, following `next` until it is null. */
  async eventsAfter(id: Uuid, afterSeq: number, limit = 500): Promise<ExecutionEvent[]> {
    const events: ExecutionEvent[] = []
    let page = await http.get<EventPage>(`/api/executions/${id}/events/`, { after_seq: afterSeq, limit })
    events.push(...page.results)
    while (page.next) {
      page = await http.get<EventPage>(sameOriginPath(page.next))
      events.push(...page.results)
    }
    return events
  },

  /** Accepts a paginated body or a bare list, since the endpoint is not built yet. */
  async listDocuments(agentId: Uuid): Promise<KnowledgeDocument[]> {
    const body = await http.get<Paginated<KnowledgeDocument> | KnowledgeDocument[]>(
      `/api/agents/${agentId}/documents/`,
      { page_size: 100 },
    )
    return Array.isArray(body) ? body : body.results
  },
  uploadDocument: (agentId: Uuid, file: File) => {
    const form = new FormData()
    form.append('file', file)
    return http.post<KnowledgeDocument>(`/api/agents/${agentId}/documents/`, form)
  },
  deleteDocument: (agentId: Uuid, documentId: Uuid) =>
    http.delete(`/api/agents/${agentId}/documents/${documentId}/`),
}
