/**
 * Model test (house style §6): random command sequences against two devices and a deliberately
 * naive model, the sets of packets sent and delivered. Time moves only through commands.
 * Invariants: nothing is delivered twice or out of thin air, replays are never delivered, the
 * device's `pollTimeout` is never later than the earliest peer timer, and
 * without loss every sent packet arrives once the pair is driven.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { drivePair, icmpEcho, makePair, type Pair, type Side } from './helpers.ts'

interface Model {
  sent: Map<string, number>
  lossy: boolean
  captured: Uint8Array[]
}
interface Real {
  p: Pair
  seq: number
}

const key = (pkt: Uint8Array) => `${pkt[12]}.${pkt[15]}>${(pkt[26] << 8) | pkt[27]}`

function checkInvariants(m: Model, r: Real): void {
  for (const side of [r.p.a, r.p.b]) {
    // pollTimeout may be early (a cancelled timer) but never later than the true earliest deadline.
    const truth = Math.min(...side.dev.peers.map((q) => q.timers.next()))
    expect(side.dev.pollTimeout() ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(truth)
    const seen = new Set<string>()
    for (const pkt of side.received) {
      const k = key(pkt)
      expect(seen.has(k)).toBe(false)
      seen.add(k)
      expect(m.sent.has(k)).toBe(true)
    }
  }
}

class Send implements fc.Command<Model, Real> {
  constructor(
    readonly fromA: boolean,
    readonly n: number,
  ) {}
  check = () => true
  run(m: Model, r: Real): void {
    const side: Side = this.fromA ? r.p.a : r.p.b
    const [src, dst] = this.fromA ? ['10.0.0.1', '10.0.0.2'] : ['10.0.0.2', '10.0.0.1']
    for (let i = 0; i < this.n; i++) {
      const pkt = icmpEcho(src, dst, ++r.seq & 0xffff)
      m.sent.set(key(pkt), r.seq)
      side.dev.handlePacket(r.p.clock.now, side.peer, pkt)
    }
    checkInvariants(m, r)
  }
  toString = () => `send ${this.fromA ? 'A→B' : 'B→A'} ×${this.n}`
}

class Drive implements fc.Command<Model, Real> {
  check = () => true
  run(m: Model, r: Real): void {
    r.p.lose = (_from, bytes) => {
      if (bytes[0] === 4 && m.captured.length < 20) m.captured.push(bytes.slice())
      return false
    }
    drivePair(r.p, 30_000)
    r.p.lose = null
    checkInvariants(m, r)
    if (!m.lossy) {
      const got = r.p.a.received.length + r.p.b.received.length
      expect(got).toBe(m.sent.size)
    }
  }
  toString = () => 'drive'
}

class Advance implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true
  run(m: Model, r: Real): void {
    drivePair(r.p, this.ms)
    checkInvariants(m, r)
  }
  toString = () => `advance ${this.ms} ms`
}

class LoseInFlight implements fc.Command<Model, Real> {
  check = () => true
  run(m: Model, r: Real): void {
    m.lossy = true
    while (r.p.a.dev.pollTransmit() !== null) {}
    while (r.p.b.dev.pollTransmit() !== null) {}
  }
  toString = () => 'lose in-flight datagrams'
}

class Replay implements fc.Command<Model, Real> {
  check = (m: Readonly<Model>) => m.captured.length > 0
  run(m: Model, r: Real): void {
    for (const d of m.captured) {
      const toB = r.p.b.dev.handleDatagram(r.p.clock.now, r.p.a.addr, d.slice())
      const toA = r.p.a.dev.handleDatagram(r.p.clock.now, r.p.b.addr, d.slice())
      expect(toB).not.toBe('forward')
      expect(toA).not.toBe('forward')
    }
  }
  toString = () => 'replay captured transport datagrams'
}

describe('model: two devices under random sends, time jumps, loss and replays (issue 8)', () => {
  test('no duplicates, no forgeries, no replays; lossless runs deliver everything', () => {
    const commands = [
      fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 5 })).map(([a, n]) => new Send(a, n)),
      fc.constant(new Drive()),
      fc.integer({ min: 1, max: 200_000 }).map((ms) => new Advance(ms)),
      fc.constant(new LoseInFlight()),
      fc.constant(new Replay()),
    ]
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.commands(commands, { maxCommands: 30 }),
        (seed, cmds) => {
          const setup = () => ({
            model: { sent: new Map(), lossy: false, captured: [] } as Model,
            real: { p: makePair({ seed, bKnowsA: true }), seq: 0 } as Real,
          })
          fc.modelRun(setup, cmds)
        },
      ),
      { numRuns: 60 },
    )
  })
})
