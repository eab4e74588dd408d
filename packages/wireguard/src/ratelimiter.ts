/**
 * Per-source rate limit of handshake messages while under load (wireguard-go's ratelimiter): a
 * cookie proves the source address, and this caps what one proven address may cost us.
 * Token bucket per source IP: HANDSHAKES_PER_SECOND sustained, HANDSHAKE_BURST at once. Entries idle
 * for a second are swept at most once per second, so the table holds only recent sources.
 */
export const HANDSHAKES_PER_SECOND = 20
export const HANDSHAKE_BURST = 5
const TOKEN_MS = 1000 / HANDSHAKES_PER_SECOND
const MAX_TOKENS_MS = TOKEN_MS * HANDSHAKE_BURST

interface Bucket {
  /** Time credit in ms; one message costs TOKEN_MS. */
  credit: number
  last: number
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private lastSweep = Number.NEGATIVE_INFINITY

  /** True when a message from `source` (an IP address text) may be processed at `now`. */
  allow(now: number, source: string): boolean {
    if (now - this.lastSweep >= 1000) {
      for (const [k, b] of this.buckets) if (now - b.last >= 1000) this.buckets.delete(k)
      this.lastSweep = now
    }
    let b = this.buckets.get(source)
    if (b === undefined) {
      b = { credit: MAX_TOKENS_MS, last: now }
      this.buckets.set(source, b)
    }
    b.credit = Math.min(MAX_TOKENS_MS, b.credit + (now - b.last))
    b.last = now
    if (b.credit < TOKEN_MS) return false
    b.credit -= TOKEN_MS
    return true
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.buckets.size
  }
}
