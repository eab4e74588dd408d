import { describe, expect, test } from 'bun:test'
import { ipv6ToText } from '@gatehouse/ip-packet'
import { GatewayNat } from '../src/index.ts'
import { A, B, echo, flow, gateway, ICMP, PROXIES_1, TCP, UDP, v4 } from './helpers.ts'

const REAL4 = '192.0.2.10'

describe('MISSION.md / Firezone: sources', () => {
  test('only the client’s own tunnel IPs may be sources (spoofed-source)', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1, [REAL4, '2001:db8::10'])
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, B.ipv4, PROXIES_1[0], 1, 80), false)).toBe(
      'spoofed-source',
    )
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, '100.64.0.77', PROXIES_1[0], 1, 80), false)).toBe(
      'spoofed-source',
    )
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, B.ipv6, PROXIES_1[4], 1, 80), false)).toBe(
      'spoofed-source',
    )
    // An IPv4-mapped IPv6 form of A's IPv4 is not A's IPv6.
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, '::ffff:100.64.0.1', PROXIES_1[4], 1, 80), false)).toBe(
      'spoofed-source',
    )
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv6, PROXIES_1[4], 1, 80), false)).toBe('forward')
    expect(nat.drops['spoofed-source']).toBe(4)
    expect(nat.sessions.created.tcp).toBe(1)
  })

  test('a client with only an IPv4 tunnel IP cannot send IPv6', () => {
    const nat = new GatewayNat()
    nat.addResource({ kind: 'internet', id: 'internet' })
    nat.addClient(7, { ipv4: '100.64.0.7' })
    nat.allow(7, 'internet')
    expect(nat.handleOutboundFlow(0, 7, flow(UDP, '100.64.0.7', '8.8.8.8', 1, 53), false)).toBe('forward')
    expect(nat.handleOutboundFlow(0, 7, flow(UDP, '::', '2001:4860::8888', 1, 53), false)).toBe(
      'spoofed-source',
    )
  })

  test('an unknown client id is dropped', () => {
    expect(gateway().handleOutboundFlow(0, 42, flow(UDP, A.ipv4, '8.8.8.8', 1, 53), false)).toBe(
      'unknown-client',
    )
  })
})

describe('MISSION.md / Firezone: destinations', () => {
  test('a destination that is no allowed resource is resource-not-allowed', () => {
    const nat = gateway()
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, '10.0.0.1', 1, 22), false)).toBe(
      'resource-not-allowed',
    )
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, '8.8.8.8', 1, 443), false)).toBe(
      'resource-not-allowed',
    )
    expect(nat.drops['resource-not-allowed']).toBe(2)
  })

  test('CIDR resources pass without NAT; the most specific one decides the filters', () => {
    const nat = gateway()
    nat.allow(A.id, 'lan') // 10.0.0.0/8, TCP 22 only
    nat.allow(A.id, 'lan-db') // 10.1.0.0/16, no filters
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, '10.2.0.1', 1, 22), false)).toBe('forward')
    expect([nat.result.nat, nat.resourceId(nat.result.resource)]).toEqual([false, 'lan'])
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, '10.2.0.1', 1, 80), false)).toBe('prohibited')
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, '10.1.2.3', 1, 80), false)).toBe('forward')
    expect(nat.resourceId(nat.result.resource)).toBe('lan-db')
    expect(nat.sessions.created.tcp).toBe(0)
    // Only B's own allowances count for B.
    expect(nat.handleOutboundFlow(0, B.id, flow(TCP, B.ipv4, '10.1.2.3', 1, 80), false)).toBe(
      'resource-not-allowed',
    )
  })

  test('IPv6 CIDR resources match by prefix', () => {
    const nat = gateway()
    nat.allow(A.id, 'lan6')
    expect(nat.handleOutboundFlow(0, A.id, flow(UDP, A.ipv6, 'fd99::1234', 1, 53), false)).toBe('forward')
    expect(nat.handleOutboundFlow(0, A.id, flow(UDP, A.ipv6, 'fd99:0:0:1::1', 1, 53), false)).toBe(
      'resource-not-allowed',
    )
  })

  test('the Internet resource passes everything else without NAT', () => {
    const nat = gateway()
    nat.allow(A.id, 'internet')
    expect(nat.handleOutboundFlow(0, A.id, flow(UDP, A.ipv4, '8.8.8.8', 1, 53), false)).toBe('forward')
    expect(nat.handleOutboundFlow(0, A.id, flow(UDP, A.ipv6, '2001:4860::8888', 1, 53), false)).toBe(
      'forward',
    )
    expect(nat.result.nat).toBe(false)
    nat.revoke(A.id, 'internet')
    expect(nat.handleOutboundFlow(0, A.id, flow(UDP, A.ipv4, '8.8.8.8', 1, 53), false)).toBe(
      'resource-not-allowed',
    )
  })

  test('MISSION.md: a proxy IP with no mapping is unreachable, flag or not (even with the Internet resource)', () => {
    const nat = gateway()
    nat.allow(A.id, 'internet')
    for (const flag of [false, true]) {
      expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, '100.96.1.1', 1, 443), flag)).toBe(
        'unreachable',
      )
      expect(
        nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv6, 'fd00:2021:1111:8000::99', 1, 443), flag),
      ).toBe('unreachable')
    }
    expect(nat.outbound.unreachable).toBe(4)
  })

  test('a revoked DNS resource is resource-not-allowed, both ways, also for sessions already open', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1, [REAL4])
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, PROXIES_1[0], 1, 443), false)).toBe('forward')
    expect(nat.handleInboundFlow(1, flow(TCP, REAL4, A.ipv4, 443, 1))).toBe('forward')
    nat.revoke(A.id, 'web')
    expect(nat.handleOutboundFlow(2, A.id, flow(TCP, A.ipv4, PROXIES_1[0], 1, 443), false)).toBe(
      'resource-not-allowed',
    )
    expect(nat.handleInboundFlow(3, flow(TCP, REAL4, A.ipv4, 443, 1))).toBe('resource-not-allowed')
    expect(nat.handleInboundIcmpErrorFlow(3, A.id, flow(TCP, A.ipv4, REAL4, 1, 443))).toBe(
      'resource-not-allowed',
    )
    // Allowed again: the session is still there.
    nat.allow(A.id, 'web')
    expect(nat.handleInboundFlow(4, flow(TCP, REAL4, A.ipv4, 443, 1))).toBe('forward')
  })

  test('a DNS resource only NATs TCP, UDP and ICMP echo', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1, [REAL4])
    const gre = flow(47, A.ipv4, PROXIES_1[0], 0, 0)
    expect(nat.handleOutboundFlow(0, A.id, gre, false)).toBe('nat-unsupported-protocol')
  })
})

describe('MISSION.md / Firezone: per-resource filters', () => {
  test('TCP port ranges, ICMP allowed, UDP not: filtered packets are answered administratively prohibited', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'api', 'api.example', PROXIES_1, [REAL4])
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, PROXIES_1[0], 1, 443), false)).toBe('forward')
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, PROXIES_1[0], 1, 444), false)).toBe('prohibited')
    expect(nat.handleOutboundFlow(0, A.id, flow(UDP, A.ipv4, PROXIES_1[0], 1, 443), false)).toBe('prohibited')
    expect(nat.handleOutboundFlow(0, A.id, echo(A.ipv4, PROXIES_1[0], 3), false)).toBe('forward')
    expect(nat.outbound.prohibited).toBe(2)
    // Filtered packets create no session.
    expect(nat.sessions.created.tcp + nat.sessions.created.udp).toBe(1)
  })

  test('UDP ranges are inclusive at both ends; no filters means everything', () => {
    const nat = new GatewayNat()
    nat.addResource({
      kind: 'cidr',
      id: 'dns',
      address: '192.0.2.0/24',
      filters: [{ protocol: 'udp', from: 53, to: 60 }],
    })
    nat.addResource({ kind: 'cidr', id: 'all', address: '198.51.100.0/24' })
    nat.addClient(1, { ipv4: A.ipv4 })
    nat.allow(1, 'dns')
    nat.allow(1, 'all')
    const verdict = (dst: string, proto: number, port: number) =>
      nat.handleOutboundFlow(0, 1, flow(proto, A.ipv4, dst, 1000, port), false)
    expect([52, 53, 60, 61].map((p) => verdict('192.0.2.1', UDP, p))).toEqual([
      'prohibited',
      'forward',
      'forward',
      'prohibited',
    ])
    expect(verdict('192.0.2.1', TCP, 53)).toBe('prohibited')
    expect(verdict('192.0.2.1', ICMP, 0)).toBe('prohibited')
    expect(verdict('198.51.100.1', 47, 0)).toBe('forward')
  })

  test('bad filters and resources are refused at configuration, naming the field', () => {
    const nat = new GatewayNat()
    expect(() => nat.addResource({ kind: 'cidr', id: 'x', address: '10.0.0.0/33' })).toThrow('address')
    expect(() =>
      nat.addResource({ kind: 'dns', id: 'y', filters: [{ protocol: 'tcp', from: 10, to: 5 }] }),
    ).toThrow('filters[0]')
    nat.addResource({ kind: 'dns', id: 'z' })
    expect(() => nat.addResource({ kind: 'dns', id: 'z' })).toThrow('already')
    expect(() => nat.addClient(1, {})).toThrow('ipv4 or ipv6')
    nat.addClient(1, { ipv4: '100.64.0.1' })
    expect(() => nat.addClient(2, { ipv4: '100.64.0.1' })).toThrow('another client')
    expect(() => nat.allow(1, 'nope')).toThrow('nope')
  })
})

describe('MISSION.md: icmp-unreachable-instead-of-nat64', () => {
  test('family mismatch: flag off -> translate (NAT64 tuple in result), flag on -> unreachable', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'web', 'v4only.example', PROXIES_1, [REAL4])
    const f = flow(TCP, A.ipv6, PROXIES_1[4], 40000, 443)
    expect(nat.handleOutboundFlow(0, A.id, f, false)).toBe('translate')
    const r = nat.result
    expect([r.family, r.src4, r.dst4, r.srcPort, r.dstPort, r.translate]).toEqual([
      4,
      v4(A.ipv4),
      v4(REAL4),
      40000,
      443,
      true,
    ])
    // The reply comes back IPv4 and must be translated back to IPv6 from the proxy IP.
    expect(nat.handleInboundFlow(1, flow(TCP, REAL4, A.ipv4, 443, 40000))).toBe('translate')
    expect([r.family, ipv6ToText(r.src6), ipv6ToText(r.dst6), r.srcPort, r.dstPort]).toEqual([
      6,
      PROXIES_1[4],
      A.ipv6,
      443,
      40000,
    ])
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv6, PROXIES_1[5], 40001, 443), true)).toBe(
      'unreachable',
    )
    // Same family is unaffected by the flag.
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, PROXIES_1[0], 40001, 443), true)).toBe('forward')
  })

  test('NAT46: an IPv4 proxy IP onto an IPv6-only name', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'web', 'v6only.example', PROXIES_1, ['2001:db8::10'])
    expect(nat.handleOutboundFlow(0, A.id, echo(A.ipv4, PROXIES_1[0], 5), false)).toBe('translate')
    expect([nat.result.family, ipv6ToText(nat.result.src6), ipv6ToText(nat.result.dst6)]).toEqual([
      6,
      A.ipv6,
      '2001:db8::10',
    ])
    // The ICMPv6 echo reply finds the session created by the ICMPv4 echo request.
    expect(nat.handleInboundFlow(1, echo('2001:db8::10', A.ipv6, 5, true))).toBe('translate')
    expect([nat.result.family, nat.result.src4, nat.result.dst4, nat.result.dstPort]).toEqual([
      4,
      v4(PROXIES_1[0]),
      v4(A.ipv4),
      5,
    ])
  })

  test('a client without a tunnel IP of the real family cannot be translated: unreachable', () => {
    const nat = new GatewayNat()
    nat.addResource({ kind: 'dns', id: 'web' })
    nat.addClient(3, { ipv6: 'fd00:2021:1111::3' })
    nat.allow(3, 'web')
    nat.setDomainMapping(3, 'web', 'v4only.example', PROXIES_1, [REAL4])
    expect(nat.handleOutboundFlow(0, 3, flow(TCP, 'fd00:2021:1111::3', PROXIES_1[4], 1, 443), false)).toBe(
      'unreachable',
    )
  })
})

describe('MISSION.md: ICMP errors from the resource side', () => {
  /** The quoted packet: what the gateway sent (client tunnel IP, session port, real IP). */
  test('routed by the quoted tuple to the session’s client and proxy IP', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'api', 'api.example', PROXIES_1, [REAL4])
    nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, PROXIES_1[0], 40000, 443), false)
    const outer = flow(ICMP, '203.0.113.1', A.ipv4, 0, 0)
    outer.icmpType = 3
    expect(nat.handleInboundFlow(1, outer)).toBe('icmp-error')
    const quoted = flow(TCP, A.ipv4, REAL4, 40000, 443)
    expect(nat.handleInboundIcmpErrorFlow(1, A.id, quoted)).toBe('icmp-error')
    const r = nat.result
    expect([r.clientId, r.family, r.src4, r.dst4, r.srcPort, r.dstPort, r.translate]).toEqual([
      A.id,
      4,
      v4(PROXIES_1[0]),
      v4(A.ipv4),
      443,
      40000,
      false,
    ])
    // An error does not confirm the session: it still expires at 60 s.
    nat.handleTimeout(60_000)
    expect(nat.sessions.live.tcp).toBe(0)
    expect(nat.handleInboundIcmpErrorFlow(60_001, A.id, quoted)).toBe('nat-expired-session')
  })

  test('ICMP errors pass the filters (Happy Eyeballs depends on them): CIDR resource without an ICMP filter', () => {
    const nat = gateway()
    nat.allow(A.id, 'lan') // TCP 22 only
    const quoted = flow(TCP, A.ipv4, '10.9.9.9', 5000, 22)
    expect(nat.handleInboundIcmpErrorFlow(0, A.id, quoted)).toBe('forward')
    // And for a DNS resource whose filter has no ICMP.
    nat.addResource({ kind: 'dns', id: 'tcp-only', filters: [{ protocol: 'tcp', from: 443, to: 443 }] })
    nat.allow(A.id, 'tcp-only')
    nat.setDomainMapping(A.id, 'tcp-only', 't.example', PROXIES_1, [REAL4])
    nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, PROXIES_1[0], 40000, 443), false)
    expect(nat.handleInboundIcmpErrorFlow(0, A.id, flow(TCP, A.ipv4, REAL4, 40000, 443))).toBe('icmp-error')
  })

  test('across NAT64 the error must change family', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'web', 'v4only.example', PROXIES_1, [REAL4])
    nat.handleOutboundFlow(0, A.id, flow(UDP, A.ipv6, PROXIES_1[4], 5000, 53), false)
    expect(nat.handleInboundIcmpErrorFlow(1, A.id, flow(UDP, A.ipv4, REAL4, 5000, 53))).toBe('icmp-error')
    expect([
      nat.result.translate,
      nat.result.family,
      ipv6ToText(nat.result.src6),
      nat.result.dstPort,
    ]).toEqual([true, 6, PROXIES_1[4], 5000])
  })

  test('an error quoting nothing the client sent is nat-no-session', () => {
    const nat = gateway()
    expect(nat.handleInboundIcmpErrorFlow(0, A.id, flow(UDP, A.ipv4, REAL4, 5000, 53))).toBe('nat-no-session')
  })
})

describe('inbound from CIDR and Internet resources', () => {
  test('replies from an allowed CIDR resource pass unchanged; from elsewhere nat-no-session', () => {
    const nat = gateway()
    nat.allow(A.id, 'lan')
    expect(nat.handleInboundFlow(0, flow(TCP, '10.3.3.3', A.ipv4, 22, 5000))).toBe('forward')
    expect(nat.result.nat).toBe(false)
    expect(nat.handleInboundFlow(0, flow(TCP, '11.3.3.3', A.ipv4, 22, 5000))).toBe('nat-no-session')
  })
})
