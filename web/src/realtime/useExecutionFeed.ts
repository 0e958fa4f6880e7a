/**
 * useExecutionFeed: keep the live logs of some executions up to date. REST
 * snapshot first, then the WebSocket; while the socket is down the events
 * endpoint is polled so the log keeps moving, and the socket's
 * resubscribe-from-last-seq on reconnect makes both meet without duplicates.
 *
 * With an agent's id it follows that agent's executions on the agent's
 * socket; with null, any of the user's executions on the user socket /ws/
 * (a thread's runs).
 */
import { onScopeDispose, type Ref } from 'vue'
import type { Uuid } from '@/api/types'
import { useExecutionsStore } from '@/stores/executions'
import { useAgentSocket, useUserSocket, type SocketOverrides } from './useAgentSocket'

export interface FeedOptions {
  pollMs?: number
  socket?: SocketOverrides
}

export function useExecutionFeed(agentId: Ref<Uuid | null> | null, options: FeedOptions = {}) {
  const executions = useExecutionsStore()
  const socket = agentId ? useAgentSocket(agentId, options.socket) : useUserSocket(options.socket)
  const followed = new Set<Uuid>()
  const loading = new Set<Uuid>()

  async function refresh(id: Uuid): Promise<void> {
    if (loading.has(id)) return
    loading.add(id)
    try {
      await executions.loadEvents(id)
    } finally {
      loading.delete(id)
    }
  }

  /** Loads what is stored, then follows live events unless it already finished. */
  async function follow(id: Uuid): Promise<void> {
    followed.add(id)
    executions.logFor(id)
    await refresh(id)
    if (executions.isFinished(id)) followed.delete(id)
    else if (followed.has(id)) socket.watch(id)
  }

  function unfollow(id: Uuid): void {
    followed.delete(id)
    socket.unwatch(id)
  }

  const timer = setInterval(() => {
    if (socket.connection.state === 'connected') return
    for (const id of followed) {
      if (executions.isFinished(id)) followed.delete(id)
      else void refresh(id).catch(() => undefined)
    }
  }, options.pollMs ?? 2_000)
  onScopeDispose(() => clearInterval(timer))

  return { follow, unfollow, connection: socket.connection }
}
