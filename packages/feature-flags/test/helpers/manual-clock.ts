import type { Clock, Timer } from '../../src/index.ts'

interface Entry {
  at: number
  order: number
  fn: () => void
}

/**
 * A fake monotonic clock with one-shot timers (Firezone's FluxCapacitor, quinn's test `time`). Time
 * moves only through {@link advance}, which fires due timers in deadline order, each at its own instant.
 */
export class ManualClock implements Clock, Timer {
  private t: number
  private order = 0
  private readonly entries = new Set<Entry>()

  constructor(start = 1_000_000) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  set(fn: () => void, delayMs: number): unknown {
    const e = { at: this.t + Math.max(0, delayMs), order: this.order++, fn }
    this.entries.add(e)
    return e
  }

  clear(handle: unknown): void {
    this.entries.delete(handle as Entry)
  }

  /** Number of armed timers. */
  get armed(): number {
    return this.entries.size
  }

  /** The earliest armed deadline, or null. */
  nextDeadline(): number | null {
    let at: number | null = null
    for (const e of this.entries) if (at === null || e.at < at) at = e.at
    return at
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      let next: Entry | null = null
      for (const e of this.entries)
        if (e.at <= end && (next === null || e.at < next.at || (e.at === next.at && e.order < next.order)))
          next = e
      if (next === null) break
      this.entries.delete(next)
      this.t = Math.max(this.t, next.at)
      next.fn()
    }
    this.t = end
  }
}
