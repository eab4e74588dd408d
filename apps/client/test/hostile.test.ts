import { describe, expect, test } from 'bun:test'
import { buildControlPacket, MessageType } from '@gatehouse/control'
import { encodeMessage, FLAG_RD, TYPE } from '@gatehouse/dns-resolver'
import { buildTcp4, buildUdp4, ipv4FromText } from '@gatehouse/ip-packet'
import fc from 'fast-check'
import { CLIENT_DROPS } from '../src/state.ts'
import { Bench, CLIENT_TUN4, GW_ENDPOINT } from './harness.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 200)

/** Every drop counter is a finite, non-negative integer. */
function countersSane(b: Bench): void {
  for (const k of CLIENT_DROPS)
    expect(Number.isInteger(b.client.drops[k]) && b.client.drops[k] >= 0).toBe(true)
}

describe('hostile input never throws (STYLE.md §6d)', () => {
  test('random bytes from the TUN, with IPv4/IPv6 headers towards sentinels or anywhere', () => {
    const b = new Bench()
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(0, 4, 6),
        fc.boolean(),
        fc.constantFrom(6, 17, 1, 58),
        (bytes, version, sentinel, proto) => {
          const p = new Uint8Array(Math.max(bytes.length, 40))
          p.set(bytes)
          if (version === 4) {
            p[0] = 0x45
            p[9] = proto
            if (sentinel) p.set([100, 100, 111, 1], 16)
          } else if (version === 6) {
            p[0] = 0x60
            p[6] = proto
            if (sentinel) p.set([0xfd, 0, 0x20, 0x21, 0x11, 0x11, 0x80, 0, 1, 0, 1, 0, 1, 0x11, 0, 1], 24)
          }
          const len = Math.min(p.length, bytes.length)
          const v = b.client.handleTunPacket(b.now, p, 0, len)
          expect(typeof v).toBe('string')
          b.drive()
        },
      ),
      { numRuns: RUNS },
    )
    countersSane(b)
  })

  test('random DNS payloads to the sentinel over UDP, and over TCP segments', () => {
    const b = new Bench()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 0xff }), (payload, flags) => {
        const udp = buildUdp4({
          src: ipv4FromText(CLIENT_TUN4)!,
          dst: ipv4FromText('100.100.111.1')!,
          srcPort: 40000,
          dstPort: 53,
          payload,
        })
        b.client.handleTunPacket(b.now, udp, 0, udp.length)
        const tcp = buildTcp4({
          src: ipv4FromText(CLIENT_TUN4)!,
          dst: ipv4FromText('100.100.111.1')!,
          srcPort: 40001 + (flags & 7),
          dstPort: 53,
          seq: payload.length * 7919,
          ack: payload.length * 104729,
          flags,
          payload,
        })
        b.client.handleTunPacket(b.now, tcp, 0, tcp.length)
        b.drive()
      }),
      { numRuns: RUNS },
    )
    b.advanceTo(b.now + 120_000) // every timer (TCP retransmissions, forwards) runs out
    expect(b.client.tcp.size).toBe(0)
    countersSane(b)
  })

  test('random datagrams from the network, and random control packets inside a real session', () => {
    const b = new Bench()
    b.query('app.corp.example', TYPE.A) // a session exists
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 120 }), (datagram, body) => {
        const d = datagram.slice()
        expect(typeof b.client.handleDatagram(b.now, GW_ENDPOINT, d, d.length)).toBe('string')
        // A control carrier with a random payload, encrypted by the real gateway.
        const pkt = buildControlPacket({ type: MessageType.Goodbye, requestId: 0 })
        const bad = new Uint8Array(40 + body.length)
        bad.set(pkt.subarray(0, 40))
        bad[4] = body.length >> 8
        bad[5] = body.length & 0xff
        bad.set(body, 40)
        b.gw.sendPacket(b.now, bad)
        b.drive()
      }),
      { numRuns: RUNS },
    )
    countersSane(b)
    // The random control payloads did arrive, and were refused as values.
    const refused = CLIENT_DROPS.filter((k) => k.startsWith('control-')).reduce(
      (n, k) => n + b.client.drops[k],
      0,
    )
    expect(refused).toBeGreaterThan(RUNS / 2)
  })

  test('random queries handed in by the shell (handleDnsQuery) get an answer or are dropped, never throw', () => {
    const b = new Bench()
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.constantFrom('udp', 'tcp') as fc.Arbitrary<'udp' | 'tcp'>,
        (q, t) => {
          b.client.handleDnsQuery(b.now, q, t, '100.100.111.1', 1)
          b.drive()
        },
      ),
      { numRuns: RUNS },
    )
    // A well-formed query still works afterwards.
    b.client.handleDnsQuery(
      b.now,
      encodeMessage({
        id: 9,
        flags: FLAG_RD,
        questions: [{ name: 'use-application-dns.net', type: TYPE.A }],
      }),
      'udp',
      '100.100.111.1',
      2,
    )
    let last = null
    for (let r = b.client.pollDnsReply(); r !== null; r = b.client.pollDnsReply()) last = r
    expect(last?.handle).toBe(2)
  })
})
