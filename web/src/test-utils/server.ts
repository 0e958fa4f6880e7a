/**
 * The network as the specs see it: an msw server with no handlers of its
 * own. Each spec adds the endpoints it needs with server.use(...); any other
 * request fails the test (see test-setup.ts).
 */
import { setupServer } from 'msw/node'

export const server = setupServer()

/** A DRF page of results. */
export function paginated<T>(results: T[], { next = null, previous = null }: { next?: string | null; previous?: string | null } = {}) {
  return { count: results.length, next, previous, results }
}
