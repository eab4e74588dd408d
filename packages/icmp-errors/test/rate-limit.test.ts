import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { IcmpRateLimiter } from '../src/index.ts'
import { v6 } from './helpers.ts'

describe('RFC 4443 §2.4(f) / RFC 1812 §4.3.2.8: token bucket per destination', () => {
  test('a burst is allowed, then errors are limited until tokens refill at the configured rate', () => {
    const lim = new IcmpRateLimiter({ ratePerSec: 10, burst: 3, globalRatePerSec: 0 })
    const dst = 0x0a000001
    expect([1, 2, 3, 4].map(() => lim.allowV4(1000, dst))).toEqual([true, true, true, false])
    expect(lim.allowV4(1050, dst)).toBe(false) // half a token
    expect(lim.allowV4(1100, dst)).toBe(true) // 100 ms at 10/s: one token
    expect(lim.allowV4(1100, dst)).toBe(false)
    expect(lim.allowV4(10_000, dst)).toBe(true) // refilled, capped at the burst
    expect(lim.allowV4(10_000, dst)).toBe(true)
    expect(lim.allowV4(10_000, dst)).toBe(true)
    expect(lim.allowV4(10_000, dst)).toBe(false)
    expect(lim.counters).toEqual({ allowed: 7, limited: 4, limitedGlobal: 0, evicted: 0 })
  })

  test('one destination exhausting its bucket does not limit another (IPv4 and IPv6)', () => {
    const lim = new IcmpRateLimiter({ ratePerSec: 1, burst: 1, globalRatePerSec: 0 })
    const a = v6('fd00::1')
    const b = v6('fd00::2')
    expect(lim.allowV6(0, a, 0)).toBe(true)
    expect(lim.allowV6(0, a, 0)).toBe(false)
    expect(lim.allowV6(0, b, 0)).toBe(true)
    expect(lim.allowV4(0, 1)).toBe(true)
    expect(lim.allowV4(0, 1)).toBe(false)
    // An IPv4 address and an IPv6 address with the same first word are different keys.
    const w = new Uint8Array(16)
    w[3] = 2
    expect(lim.allowV4(0, 2)).toBe(true)
    expect(lim.allowV6(0, w, 0)).toBe(true)
  })

  test('the global bucket caps the total over all destinations', () => {
    const lim = new IcmpRateLimiter({ ratePerSec: 100, burst: 100, globalRatePerSec: 10, globalBurst: 5 })
    let ok = 0
    for (let i = 0; i < 20; i++) if (lim.allowV4(0, i + 1)) ok++
    expect(ok).toBe(5)
    expect(lim.counters.limitedGlobal).toBe(15)
    expect(lim.allowV4(100, 99)).toBe(true) // 100 ms at 10/s
  })

  test('a full table evicts the least recently used destination and counts it', () => {
    const lim = new IcmpRateLimiter({ ratePerSec: 1, burst: 1, globalRatePerSec: 0, slots: 4 })
    for (let i = 0; i < 4; i++) lim.allowV4(i, 0x0a000000 + i)
    expect(lim.counters.evicted).toBe(0)
    lim.allowV4(10, 0x0b000000)
    expect(lim.counters.evicted).toBe(1)
    // The oldest (10.0.0.0, at t=0) was evicted: it starts again with a full bucket.
    expect(lim.allowV4(10, 0x0a000000)).toBe(true)
  })

  test('time running backwards adds no tokens', () => {
    const lim = new IcmpRateLimiter({ ratePerSec: 1, burst: 1, globalRatePerSec: 0 })
    expect(lim.allowV4(5000, 7)).toBe(true)
    expect(lim.allowV4(0, 7)).toBe(false)
    expect(lim.allowV4(5000, 7)).toBe(false)
    expect(lim.allowV4(6000, 7)).toBe(true)
  })

  test('configuration errors name the field', () => {
    expect(() => new IcmpRateLimiter({ ratePerSec: 0 })).toThrow(/ratePerSec/)
    expect(() => new IcmpRateLimiter({ burst: Number.NaN })).toThrow(/burst/)
    expect(() => new IcmpRateLimiter({ burst: 0.5 })).toThrow(/burst/)
    expect(() => new IcmpRateLimiter({ globalRatePerSec: -1 })).toThrow(/globalRatePerSec/)
    expect(() => new IcmpRateLimiter({ slots: 1000 })).toThrow(/slots/)
  })

  test('model: with room for every destination, equals a naive Map of token buckets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 7 })), {
          maxLength: 200,
        }),
        (rate, burst, steps) => {
          const lim = new IcmpRateLimiter({ ratePerSec: rate, burst, globalRatePerSec: 0, slots: 64 })
          const model = new Map<number, { tokens: number; at: number }>()
          let now = 0
          for (const [dt, dst] of steps) {
            now += dt
            let b = model.get(dst)
            if (!b) {
              b = { tokens: burst, at: now }
              model.set(dst, b)
            }
            b.tokens = Math.min(burst, b.tokens + ((now - b.at) * rate) / 1000)
            b.at = now
            const want = b.tokens >= 1
            if (want) b.tokens -= 1
            expect(lim.allowV4(now, dst)).toBe(want)
          }
          expect(lim.counters.evicted).toBe(0)
        },
      ),
      { numRuns: 100 },
    )
  })
})
