/**
 * "Download JSON" of the execution page: the execution and every one of its
 * stored events, read page after page, as `execution-<id>.json`.
 */
import type { Execution, Uuid } from '@/api/types'
import type { ExecutionEvent } from '@/realtime/frames'

export interface EventsPage {
  results: ExecutionEvent[]
  next: string | null
}

export interface ExecutionExport {
  execution: Execution
  events: ExecutionEvent[]
}

export const EXPORT_PAGE_SIZE = 5000

/** The execution and all its events, following `next` (each page asked for after the last seq of the previous one). */
export async function collectExport(
  id: Uuid,
  fetchExecution: (id: Uuid) => Promise<Execution>,
  fetchPage: (id: Uuid, afterSeq: number, limit: number) => Promise<EventsPage>,
): Promise<ExecutionExport> {
  const execution = await fetchExecution(id)
  const events: ExecutionEvent[] = []
  let after = 0
  for (;;) {
    const page = await fetchPage(id, after, EXPORT_PAGE_SIZE)
    events.push(...page.results)
    const last = page.results[page.results.length - 1]
    if (!page.next || !last) break
    after = last.seq
  }
  return { execution, events }
}

export function exportFileName(id: Uuid): string {
  return `execution-${id}.json`
}

/** Save `data` as a JSON file through a Blob and an object URL. */
export function downloadJson(data: unknown, fileName: string): void {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' })
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 0)
}
