/**
 * Hostile input (issue 8): random and mutated datagrams never throw, always yield a verdict, are
 * counted exactly once when dropped, and a mutated transport message is never delivered.
 * FUZZ_RUNS raises the budget (e.g. FUZZ_RUNS=100000 bun test test/fuzz.test.ts).
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { type Device, DROP_REASONS } from '../src/index.ts'
import { A_ADDR, drivePair, icmpEcho, makePair, type Pair } from './helpers.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 300)
const VERDICTS = new Set<string>(['forward', 'consumed', ...DROP_REASONS])

function totalDrops(d: Device): number {
  let n = 0
  for (const r of DROP_REASONS) n += d.drops[r]
  return n
}

/** An established pair plus one captured datagram of each kind A can produce. */
function corpus(): { p: Pair; samples: Uint8Array[] } {
  const p = makePair({ bKnowsA: true })
  const samples: Uint8Array[] = []
  const tap = (from: Pair['a']) => {
    const out: Uint8Array[] = []
    for (let t = from.dev.pollTransmit(); t !== null; t = from.dev.pollTransmit())
      out.push(t.data.slice(0, t.length))
    return out
  }
  p.a.dev.initiate(p.clock.now, p.a.peer)
  const [init] = tap(p.a)
  samples.push(init)
  p.b.dev.handleDatagram(p.clock.now, A_ADDR, init.slice())
  const [resp] = tap(p.b)
  samples.push(resp)
  p.a.dev.handleDatagram(p.clock.now, p.b.addr, resp.slice())
  const [keepalive] = tap(p.a)
  samples.push(keepalive)
  p.b.dev.handleDatagram(p.clock.now, A_ADDR, keepalive.slice())
  p.a.dev.handlePacket(p.clock.now, p.a.peer, icmpEcho('10.0.0.1', '10.0.0.2', 1, 100))
  samples.push(...tap(p.a))
  drivePair(p)
  return { p, samples }
}

describe('hostile datagrams never crash the device', () => {
  test('random bytes of any length give a verdict and are counted', () => {
    const { p } = corpus()
    const prefix = fc.constantFrom<number[]>([], [1, 0, 0, 0], [2, 0, 0, 0], [3, 0, 0, 0], [4, 0, 0, 0])
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 300 }), (head, body) => {
        const bytes = new Uint8Array(head.length + body.length)
        bytes.set(head)
        bytes.set(body, head.length)
        const before = totalDrops(p.b.dev)
        const v = p.b.dev.handleDatagram(p.clock.now, A_ADDR, bytes)
        expect(VERDICTS.has(v)).toBe(true)
        expect(v).not.toBe('forward')
        expect(totalDrops(p.b.dev) - before).toBe(v === 'consumed' ? 0 : 1)
      }),
      { numRuns: RUNS },
    )
  })

  test('mutated, truncated or extended real datagrams never throw; mutated transport is never delivered', () => {
    const { p, samples } = corpus()
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -20, max: 20 }),
        (which, flips, resize) => {
          const src = samples[which]
          const len = Math.max(0, src.length + resize)
          const bytes = new Uint8Array(len)
          bytes.set(src.subarray(0, Math.min(len, src.length)))
          for (const [at, x] of flips) if (len > 0) bytes[at % len] ^= x
          const v = p.b.dev.handleDatagram(p.clock.now, A_ADDR, bytes)
          expect(VERDICTS.has(v)).toBe(true)
          if (src[0] === 4) expect(v).not.toBe('forward')
        },
      ),
      { numRuns: RUNS },
    )
  })

  test('packets of any size to encrypt give a verdict, never a throw', () => {
    const { p } = corpus()
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4000 }), (n) => {
        const v = p.a.dev.handlePacket(p.clock.now, p.a.peer, new Uint8Array(n))
        expect(['queued', 'staged', ...DROP_REASONS]).toContain(v)
        while (p.a.dev.pollTransmit() !== null) {}
      }),
      { numRuns: Math.min(RUNS, 200) },
    )
  })
})
