import { describe, expect, test } from 'bun:test'
import { CONTROL_NEXT_HEADER } from '@gatehouse/control'
import fc from 'fast-check'
import { Bench } from './harness.ts'

const ALICE = { name: 'alice', ipv4: '100.64.0.2', ipv6: 'fd00:2021:1111::2', resources: ['web', 'lan'] }

/** Random bytes shaped just enough to pass WireGuard's inner-packet check (version, length fields). */
const shapedPacket = fc
  .tuple(fc.constantFrom(4, 6), fc.uint8Array({ minLength: 40, maxLength: 200 }), fc.boolean())
  .map(([version, b, control]) => {
    const p = b.slice()
    if (version === 4) {
      p[0] = 0x40 | (p[0] & 0x0f)
      p[2] = p.length >> 8
      p[3] = p.length & 0xff
    } else {
      p[0] = 0x60 | (p[0] & 0x0f)
      const pl = p.length - 40
      p[4] = pl >> 8
      p[5] = pl & 0xff
      if (control) {
        // A control carrier with a random payload: exercises the control decoder too.
        p[6] = CONTROL_NEXT_HEADER
        p.fill(0, 8, 40)
      }
    }
    return p
  })

describe('hostile input never throws; every outcome is a counted value', () => {
  test('random packets from an authenticated client', () => {
    const b = new Bench({ a: { 'app.example.com': ['192.0.2.10'] }, aaaa: {} }, [ALICE])
    b.connect('alice')
    fc.assert(
      fc.property(fc.array(shapedPacket, { minLength: 1, maxLength: 8 }), (pkts) => {
        for (const p of pkts) b.send('alice', p)
      }),
      { numRuns: 150 },
    )
    // Something was counted for the garbage, and the session still works.
    const g = b.gateway
    const counted =
      Object.values(g.drops).reduce((a, x) => a + x, 0) +
      Object.values(g.nat.drops).reduce((a, x) => a + x, 0) +
      Object.values(g.nat.outbound).reduce((a, x) => a + x, 0)
    expect(counted).toBeGreaterThan(0)
    expect(b.gateway.peerOf('alice')!.current).not.toBeNull()
  })

  test('random packets from the TUN device', () => {
    const b = new Bench({ a: {}, aaaa: {} }, [ALICE])
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (p) => {
        b.fromSite(p)
      }),
      { numRuns: 300 },
    )
    expect(b.gateway.stats.tunReads).toBeGreaterThan(0)
  })

  test('random datagrams from the network', () => {
    const b = new Bench({ a: {}, aaaa: {} }, [ALICE])
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (d) => {
        b.gateway.handleDatagram(b.now, { address: '203.0.113.1', port: 9 }, d)
        expect(b.gateway.pollTunWrite()).toBeNull()
      }),
      { numRuns: 300 },
    )
  })
})
