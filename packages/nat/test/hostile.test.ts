/**
 * Hostile input: whatever a client sends (random bytes that happen to parse, random
 * tuples, spoofed or not) and whatever comes back from the resource side, the NAT
 * answers with a verdict from its lists and counts every drop exactly once; it never
 * throws (STYLE: drops are values).
 */
import { describe, expect, test } from 'bun:test'
import { buildIcmp4, buildUdp4, IpPacket } from '@gatehouse/ip-packet'
import fc from 'fast-check'
import { Flow, INBOUND_VERDICTS, NAT_DROP_REASONS, OUTBOUND_VERDICTS } from '../src/index.ts'
import { A, B, gateway, PROXIES_1, v4 } from './helpers.ts'

const OUT = new Set<string>([...OUTBOUND_VERDICTS, ...NAT_DROP_REASONS])
const IN = new Set<string>([...INBOUND_VERDICTS, ...NAT_DROP_REASONS])

function setup() {
  const nat = gateway()
  nat.allow(A.id, 'lan')
  nat.allow(A.id, 'internet')
  nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1, ['192.0.2.10', '2001:db8::10'])
  nat.setDomainMapping(A.id, 'api', 'api.example', ['100.96.0.9', 'fd00:2021:1111:8000::9'], ['192.0.2.10'])
  return nat
}

function dropTotal(nat: ReturnType<typeof setup>): number {
  return Object.values(nat.drops).reduce((a, b) => a + b, 0)
}

/** Bytes that start like an IPv4/IPv6 header towards the interesting addresses, then anything. */
const packetBytes = fc
  .tuple(fc.constantFrom(0x45, 0x60, 0x46, 0x00), fc.uint8Array({ minLength: 0, maxLength: 120 }))
  .map(([first, rest]) => Uint8Array.from([first, ...rest]))

describe('hostile input never throws and every drop is counted once', () => {
  test('random bytes through IpPacket into handleOutbound and handleInbound', () => {
    const nat = setup()
    const pkt = new IpPacket()
    let drops = 0
    fc.assert(
      fc.property(packetBytes, fc.nat(3), fc.boolean(), (bytes, client, flag) => {
        if (pkt.reset(bytes, 0, bytes.length) !== null) return
        const v = nat.handleOutbound(0, client, pkt, flag)
        expect(OUT.has(v)).toBe(true)
        if ((NAT_DROP_REASONS as readonly string[]).includes(v)) drops++
        if (pkt.reset(bytes, 0, bytes.length) !== null) return
        const w = nat.handleInbound(0, pkt)
        expect(IN.has(w)).toBe(true)
        if ((NAT_DROP_REASONS as readonly string[]).includes(w)) drops++
        expect(dropTotal(nat)).toBe(drops)
      }),
      { numRuns: 500 },
    )
  })

  test('random tuples (any protocol, ports, ICMP types, families) through the tuple API', () => {
    const nat = setup()
    const addr4 = fc.constantFrom(
      v4(A.ipv4),
      v4('100.96.0.1'),
      v4('100.96.0.9'),
      v4('10.0.0.1'),
      v4('192.0.2.10'),
      0,
      0xffffffff,
    )
    const tuple = fc.record({
      six: fc.boolean(),
      protocol: fc.constantFrom(1, 6, 17, 58, 47, 0),
      src: addr4,
      dst: addr4,
      srcPort: fc.integer({ min: 0, max: 65535 }),
      dstPort: fc.integer({ min: 0, max: 65535 }),
      flags: fc.nat(255),
      icmpType: fc.integer({ min: -1, max: 255 }),
    })
    fc.assert(
      fc.property(tuple, fc.nat(3), fc.nat(1_000_000), (t, client, now) => {
        const f = new Flow()
        if (t.six) {
          const b = new Uint8Array(16)
          b[0] = 0xfd
          b[15] = t.src & 255
          const d = new Uint8Array(16)
          d.set([0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0x80, 0x00])
          d[15] = t.dst & 255
          f.setV6(t.protocol, b, d, t.srcPort, t.dstPort)
        } else f.setV4(t.protocol, t.src, t.dst, t.srcPort, t.dstPort)
        f.tcpFlags = t.flags
        f.icmpType = t.icmpType
        expect(OUT.has(nat.handleOutboundFlow(now, client, f, (t.flags & 1) === 1))).toBe(true)
        expect(IN.has(nat.handleInboundFlow(now, f))).toBe(true)
        expect(IN.has(nat.handleInboundIcmpErrorFlow(now, client, f))).toBe(true)
        nat.handleTimeout(now)
      }),
      { numRuns: 500 },
    )
  })

  test('an ICMP error quoting a truncated or garbage packet is dropped or passed, never thrown', () => {
    const nat = setup()
    const pkt = new IpPacket()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.constantFrom(3, 11, 12), (quote, type) => {
        const err = buildIcmp4({ src: v4('192.0.2.10'), dst: v4(A.ipv4), type, code: 3, payload: quote })
        if (pkt.reset(err, 0, err.length) !== null) return
        expect(IN.has(nat.handleInbound(0, pkt))).toBe(true)
      }),
      { numRuns: 300 },
    )
    // And a well-formed UDP packet from nowhere to B (which has no CIDR or Internet resource).
    const stray = buildUdp4({ src: v4('198.51.100.1'), dst: v4(B.ipv4), srcPort: 1, dstPort: 2 })
    expect(pkt.reset(stray, 0, stray.length)).toBeNull()
    expect(nat.handleInbound(0, pkt)).toBe('nat-no-session')
  })
})
