/**
 * A token bucket per error destination, plus an optional global bucket, so
 * that a storm of undeliverable packets from one client cannot turn the
 * gateway into a packet cannon (RFC 4443 §2.4(f), RFC 1812 §4.3.2.8).
 *
 * Sans-IO: every call takes `now` in milliseconds (monotonic, from the shell).
 * The table is fixed-size (allocated once in the constructor): a destination
 * hashes to a slot and probes `PROBES` slots; when all are taken by other
 * destinations, the least recently used of them is evicted and counted. An
 * evicted destination starts again with a full bucket, which errs towards
 * sending: the global bucket still caps the total.
 */

import { ipv6Word } from '@gatehouse/ip-packet'

const PROBES = 4

/** Configuration; every field is checked in the constructor, which throws naming the field. */
export interface IcmpRateLimiterConfig {
  /** Errors per second per destination (refill rate). Default 100. */
  ratePerSec?: number
  /** Bucket size per destination (errors allowed in a burst). Default 50. */
  burst?: number
  /** Errors per second in total, over all destinations; 0 disables the global bucket. Default 1000. */
  globalRatePerSec?: number
  /** Global bucket size. Default 200. */
  globalBurst?: number
  /** Number of per-destination slots, a power of two. Default 1024. */
  slots?: number
}

/** Counters, for metrics. */
export interface IcmpRateLimiterCounters {
  allowed: number
  /** Refused because the destination's bucket was empty. */
  limited: number
  /** Refused because the global bucket was empty. */
  limitedGlobal: number
  /** A destination's bucket was dropped to make room for another. */
  evicted: number
}

function positive(name: string, v: number, allowZero: boolean): number {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new Error(`IcmpRateLimiter: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`)
  }
  return v
}

export class IcmpRateLimiter {
  readonly counters: IcmpRateLimiterCounters = { allowed: 0, limited: 0, limitedGlobal: 0, evicted: 0 }
  private readonly ratePerMs: number
  private readonly burst: number
  private readonly gRatePerMs: number
  private readonly gBurst: number
  private gTokens: number
  private gStamp: number
  private readonly mask: number
  /** Per slot: family (0 = empty, 4, 6) then four key words. */
  private readonly keys: Uint32Array
  private readonly tokens: Float64Array
  private readonly stamps: Float64Array

  constructor(config: IcmpRateLimiterConfig = {}) {
    this.ratePerMs = positive('ratePerSec', config.ratePerSec ?? 100, false) / 1000
    this.burst = positive('burst', config.burst ?? 50, false)
    if (this.burst < 1) throw new Error('IcmpRateLimiter: burst must be at least 1')
    this.gRatePerMs = positive('globalRatePerSec', config.globalRatePerSec ?? 1000, true) / 1000
    this.gBurst = positive('globalBurst', config.globalBurst ?? 200, true)
    if (this.gRatePerMs > 0 && this.gBurst < 1) {
      throw new Error('IcmpRateLimiter: globalBurst must be at least 1 when globalRatePerSec is set')
    }
    const slots = config.slots ?? 1024
    if (!Number.isInteger(slots) || slots < PROBES || (slots & (slots - 1)) !== 0) {
      throw new Error(`IcmpRateLimiter: slots must be a power of two >= ${PROBES}`)
    }
    this.mask = slots - 1
    this.keys = new Uint32Array(slots * 5)
    this.tokens = new Float64Array(slots)
    this.stamps = new Float64Array(slots)
    this.gTokens = this.gBurst
    this.gStamp = Number.NEGATIVE_INFINITY
  }

  /** May an error be sent to IPv4 destination `dst` (u32) at `now`? Takes a token when it may. */
  allowV4(now: number, dst: number): boolean {
    return this.take(now, 4, dst >>> 0, 0, 0, 0)
  }

  /** May an error be sent to the IPv6 destination at `b[off..off+16]` at `now`? Takes a token when it may. */
  allowV6(now: number, b: Uint8Array, off: number): boolean {
    return this.take(
      now,
      6,
      ipv6Word(b, off, 0),
      ipv6Word(b, off, 1),
      ipv6Word(b, off, 2),
      ipv6Word(b, off, 3),
    )
  }

  private take(now: number, fam: number, w0: number, w1: number, w2: number, w3: number): boolean {
    // Find or claim this destination's slot.
    let h = Math.imul(
      w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35),
      0x27d4eb2f,
    )
    h ^= h >>> 15
    let slot = -1
    let victim = -1
    let victimStamp = Number.POSITIVE_INFINITY
    const keys = this.keys
    for (let i = 0; i < PROBES; i++) {
      const s = (h + i) & this.mask
      const k = s * 5
      if (
        keys[k] === fam &&
        keys[k + 1] === w0 &&
        keys[k + 2] === w1 &&
        keys[k + 3] === w2 &&
        keys[k + 4] === w3
      ) {
        slot = s
        break
      }
      if (keys[k] === 0) {
        if (victimStamp !== Number.NEGATIVE_INFINITY) {
          victim = s
          victimStamp = Number.NEGATIVE_INFINITY
        }
      } else if (this.stamps[s] < victimStamp) {
        victim = s
        victimStamp = this.stamps[s]
      }
    }
    if (slot < 0) {
      slot = victim
      const k = slot * 5
      if (keys[k] !== 0) this.counters.evicted++
      keys[k] = fam
      keys[k + 1] = w0
      keys[k + 2] = w1
      keys[k + 3] = w2
      keys[k + 4] = w3
      this.tokens[slot] = this.burst
      this.stamps[slot] = now
    }
    // Refill (time never runs backwards for a bucket: a smaller `now` adds nothing).
    const elapsed = now - this.stamps[slot]
    let t = this.tokens[slot]
    if (elapsed > 0) {
      t += elapsed * this.ratePerMs
      if (t > this.burst) t = this.burst
      this.stamps[slot] = now
    }
    if (t < 1) {
      this.tokens[slot] = t
      this.counters.limited++
      return false
    }
    if (this.gRatePerMs > 0) {
      const ge = now - this.gStamp
      if (ge > 0) {
        this.gTokens =
          ge === Number.POSITIVE_INFINITY
            ? this.gBurst
            : Math.min(this.gBurst, this.gTokens + ge * this.gRatePerMs)
        this.gStamp = now
      }
      if (this.gTokens < 1) {
        this.tokens[slot] = t
        this.counters.limitedGlobal++
        return false
      }
      this.gTokens -= 1
    }
    this.tokens[slot] = t - 1
    this.counters.allowed++
    return true
  }
}
