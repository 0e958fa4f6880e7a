/** Connection store: the state of the agent WebSocket, for the indicator. */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ConnectionState, StateDetail } from '@/realtime/agentSocket'

export const useConnectionStore = defineStore('connection', () => {
  const state = ref<ConnectionState>('idle')
  const detail = ref<StateDetail>({})
  /** The last `{"type": "error"}` frame from the server, in its words. */
  const lastServerError = ref<string | null>(null)
  const isConnected = computed(() => state.value === 'connected')

  function setState(next: ConnectionState, nextDetail: StateDetail = {}): void {
    state.value = next
    detail.value = nextDetail
  }

  function reportServerError(message: string | null): void {
    lastServerError.value = message
  }

  return { state, detail, lastServerError, isConnected, setState, reportServerError }
})
