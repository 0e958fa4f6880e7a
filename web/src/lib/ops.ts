/** The workers page in words: how long ago, how long until. */

/** Seconds as "3 s", "2 min", "1 h 5 min", "2 d". */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min`
  if (s < 86_400) {
    const minutes = Math.floor((s % 3600) / 60)
    return minutes ? `${Math.floor(s / 3600)} h ${minutes} min` : `${Math.floor(s / 3600)} h`
  }
  return `${Math.floor(s / 86_400)} d`
}

/** A Unix time (seconds) as "3 s ago" seen at `nowMs`; a time a little ahead (clock skew) reads "0 s ago". */
export function ago(unixSeconds: number | null, nowMs: number): string {
  if (unixSeconds === null || !Number.isFinite(unixSeconds)) return '-'
  return `${formatSpan(nowMs / 1000 - unixSeconds)} ago`
}

/** A lease's end (ISO) seen at `nowMs`: "in 25 s", or "expired 3 s ago". */
export function leaseLeft(iso: string | null, nowMs: number): string {
  if (!iso) return 'no lease'
  const end = Date.parse(iso)
  if (Number.isNaN(end)) return iso
  const left = (end - nowMs) / 1000
  return left >= 0 ? `lease ends in ${formatSpan(left)}` : `lease expired ${formatSpan(-left)} ago`
}

/** A round-trip time in ms as the agent servers table shows it. */
export function formatLatency(ms: number | null): string {
  if (ms === null) return '-'
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`
}
