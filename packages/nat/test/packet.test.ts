/**
 * The view adapters on real packets from @gatehouse/ip-packet's builder: the NAT
 * rewrites in place through IpPacket's setters, and every checksum still
 * verifies afterwards (RFC 1624 incremental updates done by ip-packet).
 */
import { describe, expect, test } from 'bun:test'
import {
  buildIcmp4,
  buildIcmp4Echo,
  buildIcmp6,
  buildTcp4,
  buildTcp6,
  buildUdp4,
  buildUdp6,
  IpPacket,
  ipv6ToText,
} from '@gatehouse/ip-packet'
import fc from 'fast-check'
import type { NatPacketView } from '../src/index.ts'
import { A, gateway, PROXIES_1, PROXIES_2, v4, v6 } from './helpers.ts'

const REAL4 = '192.0.2.10'
const REAL6 = '2001:db8::10'
const payload = new Uint8Array([1, 2, 3, 4, 5])

function parse(bytes: Uint8Array): IpPacket {
  const p = new IpPacket()
  expect(p.reset(bytes, 0, bytes.length)).toBeNull()
  return p
}

function setup() {
  const nat = gateway()
  nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1, [REAL4, REAL6])
  nat.setDomainMapping(A.id, 'web', 'v4only.example', PROXIES_2, [REAL4])
  return nat
}

test('IpPacket satisfies NatPacketView', () => {
  const view: NatPacketView = new IpPacket()
  expect(view.version).toBe(0)
})

describe('in-place rewrite (same family)', () => {
  test('TCP/IPv4 out and back: addresses, ports, checksums', () => {
    const nat = setup()
    nat.setDomainMapping(A.id, 'web', 'other.example', ['100.96.0.9'], [REAL4])
    // Occupy port 40000 towards REAL4 so the packet under test moves to 40001.
    nat.handleOutbound(
      0,
      A.id,
      parse(buildTcp4({ src: v4(A.ipv4), dst: v4('100.96.0.9'), srcPort: 40000, dstPort: 443 })),
      false,
    )
    const bytes = buildTcp4({
      src: v4(A.ipv4),
      dst: v4(PROXIES_1[0]),
      srcPort: 40000,
      dstPort: 443,
      flags: 0x02,
      payload,
    })
    const p = parse(bytes)
    expect(nat.handleOutbound(1, A.id, p, false)).toBe('forward')
    const q = parse(bytes)
    expect(q.verifyChecksums()).toBeNull()
    expect([q.src4, q.dst4, q.srcPort, q.dstPort]).toEqual([v4(A.ipv4), v4(REAL4), 40001, 443])

    const reply = buildTcp4({
      src: v4(REAL4),
      dst: v4(A.ipv4),
      srcPort: 443,
      dstPort: 40001,
      flags: 0x12,
      payload,
    })
    expect(nat.handleInbound(2, parse(reply))).toBe('forward')
    const r = parse(reply)
    expect(r.verifyChecksums()).toBeNull()
    expect([r.src4, r.dst4, r.srcPort, r.dstPort]).toEqual([v4(PROXIES_1[0]), v4(A.ipv4), 443, 40000])
    expect(nat.result.clientId).toBe(A.id)
  })

  test('UDP/IPv6 out and back', () => {
    const nat = setup()
    const bytes = buildUdp6({ src: v6(A.ipv6), dst: v6(PROXIES_1[4]), srcPort: 5353, dstPort: 53, payload })
    expect(nat.handleOutbound(0, A.id, parse(bytes), false)).toBe('forward')
    const q = parse(bytes)
    expect(q.verifyChecksums()).toBeNull()
    expect(ipv6ToText(q.buf, q.dstAddrOff)).toBe(REAL6)
    const reply = buildUdp6({ src: v6(REAL6), dst: v6(A.ipv6), srcPort: 53, dstPort: 5353, payload })
    expect(nat.handleInbound(1, parse(reply))).toBe('forward')
    const r = parse(reply)
    expect(r.verifyChecksums()).toBeNull()
    expect(ipv6ToText(r.buf, r.srcAddrOff)).toBe(PROXIES_1[4])
  })

  test('ICMP echo: identifier mapped both ways', () => {
    const nat = setup()
    nat.setDomainMapping(A.id, 'web', 'other.example', ['100.96.0.9'], [REAL4])
    nat.handleOutbound(
      0,
      A.id,
      parse(buildIcmp4Echo({ src: v4(A.ipv4), dst: v4('100.96.0.9'), id: 77, seq: 1 })),
      false,
    )
    const bytes = buildIcmp4Echo({ src: v4(A.ipv4), dst: v4(PROXIES_1[0]), id: 77, seq: 1, payload })
    expect(nat.handleOutbound(1, A.id, parse(bytes), false)).toBe('forward')
    const q = parse(bytes)
    expect(q.verifyChecksums()).toBeNull()
    expect([q.dst4, q.srcPort]).toEqual([v4(REAL4), 78])
    const reply = buildIcmp4Echo({ src: v4(REAL4), dst: v4(A.ipv4), id: 78, seq: 1, reply: true, payload })
    expect(nat.handleInbound(2, parse(reply))).toBe('forward')
    const r = parse(reply)
    expect(r.verifyChecksums()).toBeNull()
    expect([r.src4, r.dstPort]).toEqual([v4(PROXIES_1[0]), 77])
  })

  test('property: any TCP/UDP 4/6 flow survives out+reply with valid checksums and its original tuple', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 65535 }),
        fc.integer({ min: 1, max: 65535 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(3),
        (six, tcp, sport, dport, data, proxyIdx) => {
          const nat = setup()
          const proxy = PROXIES_1[proxyIdx + (six ? 4 : 0)]
          const real = six ? REAL6 : REAL4
          const spec = { srcPort: sport, dstPort: dport, payload: data }
          const out = six
            ? (tcp ? buildTcp6 : buildUdp6)({ src: v6(A.ipv6), dst: v6(proxy), ...spec })
            : (tcp ? buildTcp4 : buildUdp4)({ src: v4(A.ipv4), dst: v4(proxy), ...spec })
          expect(nat.handleOutbound(0, A.id, parse(out), false)).toBe('forward')
          const o = parse(out)
          expect(o.verifyChecksums()).toBeNull()
          const back = { srcPort: dport, dstPort: o.srcPort, payload: data }
          const reply = six
            ? (tcp ? buildTcp6 : buildUdp6)({ src: v6(real), dst: v6(A.ipv6), ...back })
            : (tcp ? buildTcp4 : buildUdp4)({ src: v4(real), dst: v4(A.ipv4), ...back })
          expect(nat.handleInbound(1, parse(reply))).toBe('forward')
          const r = parse(reply)
          expect(r.verifyChecksums()).toBeNull()
          expect(r.dstPort).toBe(sport)
          expect(six ? ipv6ToText(r.buf, r.srcAddrOff) : r.src4).toEqual(six ? proxy : v4(proxy))
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe('packets left for NAT64 and ICMP answers are not touched', () => {
  test('translate: only the port is rewritten (addresses are NAT64’s), the IPv4 tuple is in result', () => {
    const nat = setup()
    // Occupy port 1234 towards REAL4 from an IPv4 proxy, so the NAT64 session moves to 1235.
    nat.handleOutbound(
      0,
      A.id,
      parse(buildTcp4({ src: v4(A.ipv4), dst: v4(PROXIES_1[0]), srcPort: 1234, dstPort: 443 })),
      false,
    )
    const bytes = buildTcp6({ src: v6(A.ipv6), dst: v6(PROXIES_2[4]), srcPort: 1234, dstPort: 443, payload })
    expect(nat.handleOutbound(1, A.id, parse(bytes), false)).toBe('translate')
    const q = parse(bytes)
    expect(q.verifyChecksums()).toBeNull()
    expect([ipv6ToText(q.buf, q.srcAddrOff), ipv6ToText(q.buf, q.dstAddrOff), q.srcPort]).toEqual([
      A.ipv6,
      PROXIES_2[4],
      1235,
    ])
    expect([nat.result.family, nat.result.src4, nat.result.dst4, nat.result.srcPort]).toEqual([
      4,
      v4(A.ipv4),
      v4(REAL4),
      1235,
    ])
    // The IPv4 reply (after NAT64 the flow is IPv4 towards REAL4): only its destination port goes back.
    const reply = buildTcp4({ src: v4(REAL4), dst: v4(A.ipv4), srcPort: 443, dstPort: 1235, payload })
    expect(nat.handleInbound(2, parse(reply))).toBe('translate')
    const r = parse(reply)
    expect(r.verifyChecksums()).toBeNull()
    expect([r.src4, r.dst4, r.dstPort]).toEqual([v4(REAL4), v4(A.ipv4), 1234])
    expect([nat.result.family, ipv6ToText(nat.result.src6), ipv6ToText(nat.result.dst6)]).toEqual([
      6,
      PROXIES_2[4],
      A.ipv6,
    ])
  })

  test('unreachable (flag on) leaves the packet untouched', () => {
    const nat = setup()
    const bytes = buildTcp6({ src: v6(A.ipv6), dst: v6(PROXIES_2[4]), srcPort: 1234, dstPort: 443 })
    const before = bytes.slice()
    expect(nat.handleOutbound(0, A.id, parse(bytes), true)).toBe('unreachable')
    expect(bytes).toEqual(before)
  })
})

describe('MISSION.md: ICMP errors routed by the quoted packet', () => {
  test('IPv4 port unreachable quoting only IP header + 8 bytes of UDP', () => {
    const nat = setup()
    const out = buildUdp4({ src: v4(A.ipv4), dst: v4(PROXIES_1[1]), srcPort: 5000, dstPort: 9, payload })
    expect(nat.handleOutbound(0, A.id, parse(out), false)).toBe('forward')
    // The resource answers port unreachable quoting 20 + 8 bytes (RFC 792), as the host's masquerade left it.
    const err = buildIcmp4({ src: v4(REAL4), dst: v4(A.ipv4), type: 3, code: 3, payload: out.slice(0, 28) })
    expect(nat.handleInbound(1, parse(err))).toBe('icmp-error')
    const r = nat.result
    expect([r.clientId, r.family, r.src4, r.dst4, r.srcPort, r.dstPort, r.translate]).toEqual([
      A.id,
      4,
      v4(PROXIES_1[1]),
      v4(A.ipv4),
      9,
      5000,
      false,
    ])
  })

  test('IPv6 Packet Too Big about a NAT64 session: change family', () => {
    const nat = setup()
    nat.setDomainMapping(A.id, 'web', 'v6only.example', ['100.96.0.9'], [REAL6])
    const out = buildTcp4({ src: v4(A.ipv4), dst: v4('100.96.0.9'), srcPort: 4242, dstPort: 443 })
    expect(nat.handleOutbound(0, A.id, parse(out), false)).toBe('translate')
    // What NAT46 would have sent, and the router's Packet Too Big about it.
    const sent = buildTcp6({ src: v6(A.ipv6), dst: v6(REAL6), srcPort: nat.result.srcPort, dstPort: 443 })
    const err = buildIcmp6({
      src: v6('2001:db8:ffff::1'),
      dst: v6(A.ipv6),
      type: 2,
      rest: 1280,
      payload: sent,
    })
    expect(nat.handleInbound(1, parse(err))).toBe('icmp-error')
    expect([
      nat.result.translate,
      nat.result.family,
      nat.result.src4,
      nat.result.dst4,
      nat.result.dstPort,
    ]).toEqual([true, 4, v4('100.96.0.9'), v4(A.ipv4), 4242])
  })

  test('MISSION.md: Time Exceeded about a NATed ping is routed back like Destination Unreachable (tracepath)', () => {
    const nat = setup()
    nat.setDomainMapping(A.id, 'web', 'other.example', ['100.96.0.9'], [REAL4])
    nat.handleOutbound(
      0,
      A.id,
      parse(buildIcmp4Echo({ src: v4(A.ipv4), dst: v4('100.96.0.9'), id: 300, seq: 1 })),
      false,
    )
    const ping = buildIcmp4Echo({ src: v4(A.ipv4), dst: v4(PROXIES_1[0]), id: 300, seq: 2 })
    expect(nat.handleOutbound(1, A.id, parse(ping), false)).toBe('forward')
    expect(parse(ping).srcPort).toBe(301)
    // A router on the way: Time Exceeded quoting the packet as the gateway sent it.
    const err = buildIcmp4({
      src: v4('203.0.113.1'),
      dst: v4(A.ipv4),
      type: 11,
      code: 0,
      payload: ping.slice(0, 28),
    })
    expect(nat.handleInbound(2, parse(err))).toBe('icmp-error')
    expect([nat.result.clientId, nat.result.src4, nat.result.dstPort, nat.result.translate]).toEqual([
      A.id,
      v4(PROXIES_1[0]),
      300,
      false,
    ])
  })

  test('an error to no client is nat-not-a-client', () => {
    const nat = setup()
    const err = buildIcmp4({
      src: v4(REAL4),
      dst: v4('100.64.9.9'),
      type: 3,
      code: 1,
      payload: new Uint8Array(28).fill(0x45, 0, 1),
    })
    const p = new IpPacket()
    p.reset(err, 0, err.length)
    expect(nat.handleInbound(0, p)).toBe('nat-not-a-client')
  })
})
