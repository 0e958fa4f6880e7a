/**
 * Threads store: conversations with one agent each, their messages, and
 * the run that is answering one now.
 *
 * A thread's status is read from its runs by the server, so it is fetched
 * again whenever a run of it starts or ends rather than worked out here.
 */
import { defineStore } from 'pinia'
import { ref, type Ref } from 'vue'
import { api } from '@/api/client'
import type { Execution, ExecutionStatus, PostedMessage, Thread, ThreadInput, ThreadMessage, ThreadPage, Uuid } from '@/api/types'
import { useExecutionsStore } from './executions'

export const THREADS_PAGE_SIZE = 25

/** A run of a thread that has not ended: the one answering now, or one queued behind it. */
const UNFINISHED: readonly ExecutionStatus[] = ['queued', 'pending', 'running', 'waiting_input']
/** How many of a thread's newest runs are looked through for unfinished ones. */
const RUNS_LOOKED_AT = 20

export const useThreadsStore = defineStore('threads', () => {
  // Typed as Ref<T>: unwrapping the recursive JsonValue type is too deep for TS.
  const page = ref(null) as Ref<ThreadPage | null>
  const pageNumber = ref(1)
  const byId = ref({}) as Ref<Record<Uuid, Thread>>
  /** Each thread's conversation, oldest first, as last fetched (plus the messages posted since). */
  const messages = ref({}) as Ref<Record<Uuid, ThreadMessage[]>>
  /** The last cursor of each thread's stream received, to resume right after it (not reactive: nothing shows it). */
  const cursors = new Map<Uuid, string>()

  function streamCursor(threadId: Uuid): string | null {
    return cursors.get(threadId) ?? null
  }

  function setStreamCursor(threadId: Uuid, cursor: string | null): void {
    if (cursor) cursors.set(threadId, cursor)
    else cursors.delete(threadId)
  }

  function remember(thread: Thread): Thread {
    byId.value[thread.id] = thread
    return thread
  }

  async function fetchPage(number = pageNumber.value): Promise<ThreadPage> {
    const result = await api.listThreads(number, THREADS_PAGE_SIZE)
    result.results.forEach(remember)
    page.value = result
    pageNumber.value = number
    return result
  }

  async function fetchThread(id: Uuid): Promise<Thread> {
    return remember(await api.getThread(id))
  }

  async function createThread(input: ThreadInput): Promise<Thread> {
    const thread = remember(await api.createThread(input))
    if (page.value && pageNumber.value === 1) {
      page.value = { ...page.value, count: page.value.count + 1, results: [thread, ...page.value.results] }
    }
    return thread
  }

  async function fetchMessages(threadId: Uuid): Promise<ThreadMessage[]> {
    const list = await api.listMessages(threadId)
    messages.value[threadId] = list
    return list
  }

  /**
   * Posts the user's message; the answer names the run that answers it (or,
   * when the thread's run waited for a person, that run, which the message
   * answered). The message is shown at once, before any refetch.
   */
  async function postMessage(threadId: Uuid, content: string): Promise<PostedMessage> {
    const posted = await api.postMessage(threadId, content)
    const list = messages.value[threadId] ?? []
    if (!list.some((message) => message.id === posted.message.id)) messages.value[threadId] = [...list, posted.message]
    useExecutionsStore().upsertExecution(posted.execution)
    return posted
  }

  /**
   * The run to follow now: the one active (pending, running or waiting for
   * input), else the oldest queued one; null when every run has ended.
   */
  async function fetchCurrentRun(threadId: Uuid): Promise<Execution | null> {
    const executions = useExecutionsStore()
    const result = await api.listExecutions({ thread: threadId, pageSize: RUNS_LOOKED_AT })
    // Known as ended, their replay on the thread's stream is not taken for news.
    for (const execution of result.results) if (!UNFINISHED.includes(execution.status)) executions.upsertExecution(execution)
    // Newest first: the last queued one in the list is the next to run.
    const unfinished = result.results.filter((execution) => UNFINISHED.includes(execution.status))
    const current = unfinished.find((execution) => execution.status !== 'queued') ?? unfinished.at(-1) ?? null
    return current ? executions.upsertExecution(current) : null
  }

  return {
    page,
    pageNumber,
    byId,
    messages,
    fetchPage,
    fetchThread,
    createThread,
    fetchMessages,
    postMessage,
    fetchCurrentRun,
    streamCursor,
    setStreamCursor,
  }
})
