import '@testing-library/jest-dom/vitest'
import { cleanup } from '@testing-library/vue'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { setPublishScheduler } from './stores/executions'
import { server } from './test-utils/server'

/** Requests no handler answered; msw fails them, and the test fails too (below). */
const unhandled: string[] = []
server.events.on('request:unhandled', ({ request }) => {
  unhandled.push(`${request.method} ${new URL(request.url).pathname}`)
})

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
beforeEach(() => {
  // Specs check what each event does at once; stores/executions.spec.ts checks how bursts are published.
  setPublishScheduler('immediate')
  // Django sets it on GET /api/auth/me/; with it present no spec needs that request first.
  if (typeof document !== 'undefined') document.cookie = 'csrftoken=test-csrf-token; path=/'
})
afterEach(() => {
  // Testing Library only cleans up by itself when test globals are on; they are not.
  cleanup()
  server.resetHandlers()
  const missed = unhandled.splice(0)
  if (missed.length) throw new Error(`Requests without a handler: ${missed.join(', ')}`)
})
afterAll(() => server.close())
