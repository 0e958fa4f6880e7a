/**
 * Exponential backoff with full jitter: the delay before retry n (0-based) is
 * uniform in [0, min(cap, base * 2^n)). Full jitter spreads the reconnects of
 * many dashboards after an api restart instead of having them arrive together.
 */
export interface BackoffOptions {
  baseMs: number
  capMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 10_000 }

export function backoffCeiling(attempt: number, { baseMs, capMs }: BackoffOptions = DEFAULT_BACKOFF): number {
  // 2 ** attempt overflows to Infinity long after it passed the cap; min() handles it.
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt))
}

export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffCeiling(attempt, options))
}
