/**
 * useAgentSocket: one AgentSocket per agent page, wired to the executions store;
 * useUserSocket: the same on the user socket /ws/, for pages that follow
 * executions of any agent (a thread's runs).
 *
 * Events go to the store's applyEvent(); a gap makes the socket resubscribe
 * from the last applied seq (the server replays the missing range); a
 * finished execution is unwatched. The socket is closed when the component
 * that uses it unmounts.
 *
 * The state of the connection belongs to this socket, so it is returned here
 * (for the page's ConnectionIndicator) rather than kept in a global store.
 */
import { computed, getCurrentScope, onScopeDispose, reactive, readonly, watch as watchRef, type Ref } from 'vue'
import type { Uuid } from '@/api/types'
import { useExecutionsStore } from '@/stores/executions'
import {
  AgentSocket,
  agentSocketUrl,
  userSocketUrl,
  type AgentSocketOptions,
  type ConnectionState,
  type StateDetail,
} from './agentSocket'
import { isExecutionEvent, type ServerMessage } from './frames'

export type SocketOverrides = Partial<Omit<AgentSocketOptions, 'url' | 'lastSeq' | 'onMessage' | 'onStateChange'>>

export interface SocketConnection {
  state: ConnectionState
  detail: StateDetail
  /** The last `{"type": "error"}` frame from the server, in its words. */
  lastServerError: string | null
}

export function useAgentSocket(agentId: Ref<Uuid | null>, overrides: SocketOverrides = {}) {
  return useSocket(
    computed(() => (agentId.value ? agentSocketUrl(agentId.value) : null)),
    agentId,
    overrides,
  )
}

export function useUserSocket(overrides: SocketOverrides = {}) {
  return useSocket(
    computed(() => userSocketUrl()),
    computed<Uuid | null>(() => null),
    overrides,
  )
}

/** The socket at `url` (none while it is null); `agentId` is the agent whose history this page shows, if any. */
function useSocket(url: Readonly<Ref<string | null>>, agentId: Readonly<Ref<Uuid | null>>, overrides: SocketOverrides) {
  const executions = useExecutionsStore()
  const connection = reactive<SocketConnection>({ state: 'idle', detail: {}, lastServerError: null })
  let socket: AgentSocket | null = null
  /** Executions to watch, kept across a change of agent or a socket not yet made. */
  const wanted = new Set<Uuid>()

  function handleMessage(message: ServerMessage): void {
    if (isExecutionEvent(message)) {
      const id = message.execution_id
      const result = executions.applyEvent(message)
      if (result.status === 'gap' && result.resubscribeFrom !== null) socket?.resubscribe(id)
      if (result.status === 'applied' && executions.isFinished(id)) {
        unwatch(id)
        // The record's output and completed_at come with the REST object.
        void executions.fetchExecution(id).catch(() => undefined)
      }
    } else if (message.type === 'execution_created') {
      executions.upsertExecution(message.execution)
    } else if (message.type === 'execution_status') {
      const id = message.execution_id
      const known = executions.noteStatus(id, message.status)
      // One this page shows but does not follow (a history row): its times come with the REST object.
      if (known && !wanted.has(id)) void executions.fetchExecution(id).catch(() => undefined)
      // Started elsewhere (another tab, the API): show it in the first history page.
      const agent = agentId.value
      if (!known && agent && (executions.histories[agent]?.page ?? 1) === 1) {
        void executions.fetchHistory(agent, 1).catch(() => undefined)
      }
    } else if (message.type === 'error') {
      connection.lastServerError = message.message
    }
  }

  function onOnline(): void {
    socket?.reconnectNow()
  }

  function open(address: string): void {
    socket = new AgentSocket({
      url: address,
      lastSeq: (executionId) => executions.lastSeq(executionId),
      onMessage: handleMessage,
      onStateChange: (state, detail) => {
        connection.state = state
        connection.detail = detail
      },
      isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine !== false),
      ...overrides,
    })
    for (const executionId of wanted) socket.watch(executionId)
    socket.connect()
  }

  function close(): void {
    socket?.close()
    socket = null
  }

  function watch(executionId: Uuid): void {
    wanted.add(executionId)
    socket?.watch(executionId)
  }

  function unwatch(executionId: Uuid): void {
    wanted.delete(executionId)
    socket?.unwatch(executionId)
  }

  const stop = watchRef(
    url,
    (address, previous) => {
      close()
      // Executions belong to one agent; another agent's socket would refuse them.
      if (previous) wanted.clear()
      if (address) open(address)
    },
    { immediate: true },
  )
  window.addEventListener('online', onOnline)

  if (getCurrentScope()) {
    onScopeDispose(() => {
      stop()
      window.removeEventListener('online', onOnline)
      close()
    })
  }

  return {
    watch,
    unwatch,
    connection: readonly(connection),
    /** For tests and diagnostics. */
    get socket() {
      return socket
    },
  }
}
