/**
 * One function per backend endpoint the dashboard uses, each a typed call of
 * a path in the generated schema (see http.ts).
 */
import type { ExecutionEvent } from '@/realtime/frames'
import type { components, paths } from './schema'
import { client, unwrap } from './http'
import type {
  Agent,
  AgentInput,
  AgentServer,
  BulkResult,
  AgentPage,
  AgentPatch,
  Execution,
  ExecutionPage,
  ExecutionStatus,
  Interrupt,
  InterruptPage,
  JsonObject,
  JsonValue,
  KnowledgeDocument,
  MemoryInput,
  MemoryItem,
  MemoryMatch,
  MemoryPage,
  PostedMessage,
  Queue,
  Room,
  RoomInput,
  RoomMessage,
  RoomPage,
  RoomPatch,
  RoomTurn,
  RunPage,
  Runtime,
  Stats,
  StatsWindow,
  Thread,
  ThreadInput,
  ThreadMessage,
  ThreadPage,
  User,
  Uuid,
  Worker,
} from './types'

/** The query of GET /api/runs/, as the schema names it. */
export type RunQuery = NonNullable<paths['/api/runs/']['get']['parameters']['query']>

/** Enough for a page of a conversation; the whole of one is read page after page. */
const MESSAGES_PAGE_SIZE = 100

export const api = {
  me: (): Promise<User> => unwrap(client.GET('/api/auth/me/')),
  login: (username: string, password: string): Promise<User> =>
    unwrap(client.POST('/api/auth/login/', { body: { username, password } })),
  logout: (): Promise<void> => unwrap(client.POST('/api/auth/logout/')),

  runtimes: (): Promise<Runtime[]> => unwrap(client.GET('/api/runtimes/')),

  listAgents: (page = 1, pageSize = 25): Promise<AgentPage> =>
    unwrap(client.GET('/api/agents/', { params: { query: { page, page_size: pageSize } } })),
  getAgent: (id: Uuid): Promise<Agent> => unwrap(client.GET('/api/agents/{id}/', { params: { path: { id } } })),
  createAgent: (input: AgentInput): Promise<Agent> => unwrap(client.POST('/api/agents/', { body: input })),
  updateAgent: (id: Uuid, input: AgentPatch): Promise<Agent> =>
    unwrap(client.PATCH('/api/agents/{id}/', { params: { path: { id } }, body: input })),
  deleteAgent: (id: Uuid): Promise<void> => unwrap(client.DELETE('/api/agents/{id}/', { params: { path: { id } } })),

  createExecution: (agentId: Uuid, inputData: JsonObject): Promise<Execution> =>
    unwrap(
      client.POST('/api/agents/{id}/executions/', {
        params: { path: { id: agentId } },
        body: { input_data: inputData },
      }),
    ),
  listExecutions: (filters: {
    agent?: Uuid
    thread?: Uuid
    status?: ExecutionStatus
    page?: number
    pageSize?: number
  }): Promise<ExecutionPage> =>
    unwrap(
      client.GET('/api/executions/', {
        params: {
          query: {
            agent: filters.agent,
            thread: filters.thread,
            status: filters.status,
            page: filters.page,
            page_size: filters.pageSize,
          },
        },
      }),
    ),
  getExecution: (id: Uuid): Promise<Execution> =>
    unwrap(client.GET('/api/executions/{id}/', { params: { path: { id } } })),
  stopExecution: (id: Uuid): Promise<Execution> =>
    unwrap(client.POST('/api/executions/{id}/stop/', { params: { path: { id } } })),
  /** A new execution of the same agent, on `inputData` (by default the original's input); its `rerun_of` names the original. */
  rerunExecution: (id: Uuid, inputData?: JsonValue): Promise<Execution> =>
    unwrap(
      client.POST('/api/executions/{id}/rerun/', {
        params: { path: { id } },
        body: inputData === undefined ? {} : { input_data: inputData },
      }),
    ),

  /** A page of every run the user may see, newest first; 400 with field errors for a bad filter. */
  listRuns: (query: RunQuery): Promise<RunPage> => unwrap(client.GET('/api/runs/', { params: { query } })),
  /** 202: the runs asked to stop; `not_found` and `errors` (by id) for the others. */
  stopRuns: (ids: Uuid[]): Promise<BulkResult> => unwrap(client.POST('/api/runs/stop/', { body: { ids } })),
  /** 201: the new runs, each with `rerun_of`; `not_found` and `errors` (by id) for the others. */
  rerunRuns: (ids: Uuid[]): Promise<BulkResult> => unwrap(client.POST('/api/runs/rerun/', { body: { ids } })),

  /**
   * Every stored event with seq > afterSeq. A page's `next` link always
   * means "after the last seq of this page", so the next page is asked for
   * with after_seq = that seq rather than by following the link's host.
   */
  async eventsAfter(id: Uuid, afterSeq: number, limit = 500): Promise<ExecutionEvent[]> {
    const events: ExecutionEvent[] = []
    let after = afterSeq
    for (;;) {
      const page = await unwrap(
        client.GET('/api/executions/{id}/events/', { params: { path: { id }, query: { after_seq: after, limit } } }),
      )
      // The schema documents an event as one loose object; frames.ts has the precise union.
      const results = page.results as unknown as ExecutionEvent[]
      events.push(...results)
      const last = results[results.length - 1]
      if (!page.next || !last) return events
      after = last.seq
    }
  },

  /** One page of stored events with seq > afterSeq (at most `limit`, the server allows 5000), and its `next` link. */
  async eventsPage(id: Uuid, afterSeq: number, limit = 5000): Promise<{ results: ExecutionEvent[]; next: string | null }> {
    const page = await unwrap(
      client.GET('/api/executions/{id}/events/', { params: { path: { id }, query: { after_seq: afterSeq, limit } } }),
    )
    return { results: page.results as unknown as ExecutionEvent[], next: page.next ?? null }
  },

  async listDocuments(agentId: Uuid): Promise<KnowledgeDocument[]> {
    const page = await unwrap(
      client.GET('/api/agents/{agent_id}/documents/', {
        params: { path: { agent_id: agentId }, query: { page_size: 100 } },
      }),
    )
    return page.results
  },
  uploadDocument: (agentId: Uuid, file: File): Promise<KnowledgeDocument> =>
    unwrap(
      client.POST('/api/agents/{agent_id}/documents/', {
        params: { path: { agent_id: agentId } },
        // The schema types a binary field as a string; what is sent is the File, as multipart.
        body: { file: file as unknown as string },
        bodySerializer: (body) => {
          const form = new FormData()
          form.append('file', body.file)
          return form
        },
      }),
    ),
  deleteDocument: (agentId: Uuid, documentId: Uuid): Promise<void> =>
    unwrap(
      client.DELETE('/api/agents/{agent_id}/documents/{id}/', {
        params: { path: { agent_id: agentId, id: documentId } },
      }),
    ),

  listInterrupts: (filters: { execution?: Uuid; thread?: Uuid; open?: boolean }): Promise<InterruptPage> =>
    unwrap(
      client.GET('/api/interrupts/', {
        params: { query: { execution: filters.execution, thread: filters.thread, open: filters.open } },
      }),
    ),
  getInterrupt: (id: Uuid): Promise<Interrupt> =>
    unwrap(client.GET('/api/interrupts/{id}/', { params: { path: { id } } })),
  /**
   * ask_human: the text; confirm_tool: {action: approve}, {action: reject,
   * reason} or {action: edit, arguments}. 409 when it was answered already
   * (the first answer counts) or the run no longer waits.
   */
  answerInterrupt: (id: Uuid, answer: JsonValue): Promise<Interrupt> =>
    unwrap(client.POST('/api/interrupts/{id}/answer/', { params: { path: { id } }, body: { answer } })),

  listThreads: (page = 1, pageSize = 25): Promise<ThreadPage> =>
    unwrap(client.GET('/api/threads/', { params: { query: { page, page_size: pageSize } } })),
  getThread: (id: Uuid): Promise<Thread> => unwrap(client.GET('/api/threads/{id}/', { params: { path: { id } } })),
  createThread: (input: ThreadInput): Promise<Thread> => unwrap(client.POST('/api/threads/', { body: input })),
  deleteThread: (id: Uuid): Promise<void> => unwrap(client.DELETE('/api/threads/{id}/', { params: { path: { id } } })),

  /** The whole conversation, oldest first, page after page. */
  async listMessages(threadId: Uuid): Promise<ThreadMessage[]> {
    const messages: ThreadMessage[] = []
    for (let page = 1; ; page++) {
      const result = await unwrap(
        client.GET('/api/threads/{thread_id}/messages/', {
          params: { path: { thread_id: threadId }, query: { page, page_size: MESSAGES_PAGE_SIZE } },
        }),
      )
      messages.push(...result.results)
      if (!result.next) return messages
    }
  },
  postMessage: (threadId: Uuid, content: string): Promise<PostedMessage> =>
    unwrap(
      client.POST('/api/threads/{thread_id}/messages/', { params: { path: { thread_id: threadId } }, body: { content } }),
    ),

  listRooms: (page = 1, pageSize = 25): Promise<RoomPage> =>
    unwrap(client.GET('/api/rooms/', { params: { query: { page, page_size: pageSize } } })),
  getRoom: (id: Uuid): Promise<Room> => unwrap(client.GET('/api/rooms/{id}/', { params: { path: { id } } })),
  /** 400 with field errors, a seat's as `seats.<index>.agent`. */
  createRoom: (input: RoomInput): Promise<Room> => unwrap(client.POST('/api/rooms/', { body: input })),
  /** 409 (room_state) for the mode, task, seats or failure policy of a running or paused room. */
  updateRoom: (id: Uuid, input: RoomPatch): Promise<Room> =>
    unwrap(client.PATCH('/api/rooms/{id}/', { params: { path: { id } }, body: input })),
  deleteRoom: (id: Uuid): Promise<void> => unwrap(client.DELETE('/api/rooms/{id}/', { params: { path: { id } } })),
  /** An idle room's first round begins, on `task` when given (it becomes the room's); 409 once started. */
  startRoom: (id: Uuid, task?: string): Promise<Room> =>
    unwrap(client.POST('/api/rooms/{id}/start/', { params: { path: { id } }, body: task === undefined ? {} : { task } })),
  /** Between turns (pause_requested until the running ones end), or at once with `pauseNow` (they run again on resume). */
  pauseRoom: (id: Uuid, pauseNow = false): Promise<Room> =>
    unwrap(client.POST('/api/rooms/{id}/pause/', { params: { path: { id } }, body: pauseNow ? { pause_now: true } : {} })),
  resumeRoom: (id: Uuid): Promise<Room> => unwrap(client.POST('/api/rooms/{id}/resume/', { params: { path: { id } } })),
  stopRoom: (id: Uuid): Promise<Room> => unwrap(client.POST('/api/rooms/{id}/stop/', { params: { path: { id } } })),
  /** What the room has said, oldest first, page after page. */
  async listRoomMessages(id: Uuid): Promise<RoomMessage[]> {
    const messages: RoomMessage[] = []
    for (let page = 1; ; page++) {
      const result = await unwrap(
        client.GET('/api/rooms/{id}/messages/', { params: { path: { id }, query: { page, page_size: MESSAGES_PAGE_SIZE } } }),
      )
      messages.push(...result.results)
      if (!result.next) return messages
    }
  },
  /** Every turn of the room, round by round in seat order, page after page. */
  async listRoomTurns(id: Uuid): Promise<RoomTurn[]> {
    const turns: RoomTurn[] = []
    for (let page = 1; ; page++) {
      const result = await unwrap(
        client.GET('/api/rooms/{id}/turns/', { params: { path: { id }, query: { page, page_size: MESSAGES_PAGE_SIZE } } }),
      )
      turns.push(...result.results)
      if (!result.next) return turns
    }
  },

  listMemory: (filters: { namespace?: string; page?: number; pageSize?: number } = {}): Promise<MemoryPage> =>
    unwrap(
      client.GET('/api/memory/', {
        params: { query: { namespace: filters.namespace || undefined, page: filters.page, page_size: filters.pageSize } },
      }),
    ),
  /** 400 with field errors; a key already used in the namespace is one on `key`. */
  createMemory: (input: MemoryInput): Promise<MemoryItem> =>
    // The schema marks namespace required because it has a default: the server fills it in.
    unwrap(client.POST('/api/memory/', { body: input as components['schemas']['MemoryItemRequest'] })),
  updateMemoryValue: (id: Uuid, value: JsonValue): Promise<MemoryItem> =>
    unwrap(
      client.PATCH('/api/memory/{id}/', {
        params: { path: { id } },
        // The schema marks namespace required in a PATCH too (its default); a PATCH of the value alone is what is meant.
        body: { value } as components['schemas']['PatchedMemoryItemRequest'],
      }),
    ),
  deleteMemory: (id: Uuid): Promise<void> => unwrap(client.DELETE('/api/memory/{id}/', { params: { path: { id } } })),
  /** Closest first: by meaning when the agent server's embedder answers, else by words. */
  searchMemory: (q: string, filters: { namespace?: string; limit?: number } = {}): Promise<MemoryMatch[]> =>
    unwrap(
      client.GET('/api/memory/search/', {
        params: { query: { q, namespace: filters.namespace || undefined, limit: filters.limit } },
      }),
    ),

  /** Staff only (403 otherwise): every worker heard from in the last day. */
  listWorkers: (): Promise<Worker[]> => unwrap(client.GET('/api/ops/workers/')),
  /** Staff only: the messages waiting in each queue. */
  listQueues: (): Promise<Queue[]> => unwrap(client.GET('/api/ops/queues/')),
  /** Staff only: the agent servers and their health. */
  listAgentServers: (): Promise<AgentServer[]> => unwrap(client.GET('/api/ops/agent-servers/')),
  /** Anyone: the user's own runs (staff: all, and the queues). */
  stats: (window: StatsWindow): Promise<Stats> => unwrap(client.GET('/api/ops/stats/', { params: { query: { window } } })),
}
