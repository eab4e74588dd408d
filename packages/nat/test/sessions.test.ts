import { describe, expect, test } from 'bun:test'
import {
  EXPIRED_MEMORY_MS,
  ICMP_TTL_MS,
  TCP_ESTABLISHED_TTL_MS,
  TCP_TRANSITORY_TTL_MS,
  UDP_TTL_MS,
  UNCONFIRMED_TTL_MS,
} from '../src/index.ts'
import { A, B, echo, flow, gateway, PROXIES_1, PROXIES_2, TCP, UDP, v4 } from './helpers.ts'

const FIN = 0x01
const RST = 0x04
const REAL = '192.0.2.10'

/** Gateway with PROXIES_1 of client A mapped onto 192.0.2.10 (and 2001:db8::10). */
function setup() {
  const nat = gateway()
  nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1, [REAL, '2001:db8::10'])
  return nat
}

/** Send client A's TCP/UDP packet to proxy 100.96.0.1 and return the port the NAT chose. */
function out(
  nat: ReturnType<typeof setup>,
  now: number,
  proto: number,
  sport: number,
  flags = 0,
  proxy = PROXIES_1[0],
) {
  const v = nat.handleOutboundFlow(now, A.id, flow(proto, A.ipv4, proxy, sport, 443, flags), false)
  expect(v).toBe('forward')
  return nat.result.srcPort
}

/** The resource's reply to port `port`. */
function reply(
  nat: ReturnType<typeof setup>,
  now: number,
  proto: number,
  port: number,
  flags = 0,
  src = REAL,
) {
  return nat.handleInboundFlow(now, flow(proto, src, A.ipv4, 443, port, flags))
}

describe('MISSION.md / Firezone: stateful symmetric NAT', () => {
  test('outbound: destination becomes the real IP, the original port is kept when free', () => {
    const nat = setup()
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, PROXIES_1[0], 40000, 443), false)).toBe(
      'forward',
    )
    const r = nat.result
    expect([r.clientId, r.family, r.src4, r.dst4, r.srcPort, r.dstPort, r.nat, r.translate]).toEqual([
      A.id,
      4,
      v4(A.ipv4),
      v4(REAL),
      40000,
      443,
      true,
      false,
    ])
    expect(nat.sessions.created.tcp).toBe(1)
  })

  test('inbound: the reply gets the proxy IP as source and the original port back', () => {
    const nat = setup()
    out(nat, 0, UDP, 5353)
    expect(reply(nat, 10, UDP, 5353)).toBe('forward')
    const r = nat.result
    expect([r.clientId, r.src4, r.dst4, r.srcPort, r.dstPort]).toEqual([
      A.id,
      v4(PROXIES_1[0]),
      v4(A.ipv4),
      443,
      5353,
    ])
  })

  test('port collision: two proxy IPs on the same real IP from the same port get the next free port', () => {
    const nat = setup()
    nat.setDomainMapping(A.id, 'web', 'other.example', PROXIES_2, [REAL])
    expect(out(nat, 0, TCP, 40000, 0, PROXIES_1[0])).toBe(40000)
    expect(out(nat, 0, TCP, 40000, 0, PROXIES_2[0])).toBe(40001)
    expect(out(nat, 0, TCP, 40001, 0, PROXIES_2[1])).toBe(40002)
    // Each reply finds its own proxy IP again.
    expect(reply(nat, 1, TCP, 40001)).toBe('forward')
    expect(nat.result.src4).toBe(v4(PROXIES_2[0]))
    expect(nat.result.dstPort).toBe(40000)
    expect(reply(nat, 1, TCP, 40000)).toBe('forward')
    expect(nat.result.src4).toBe(v4(PROXIES_1[0]))
    // The same 5-tuple again reuses its session.
    expect(out(nat, 2, TCP, 40000, 0, PROXIES_2[0])).toBe(40001)
    expect(nat.sessions.live.tcp).toBe(3)
  })

  test('port search wraps from 65535 to 1', () => {
    const nat = setup()
    nat.setDomainMapping(A.id, 'web', 'other.example', PROXIES_2, [REAL])
    expect(out(nat, 0, UDP, 65535, 0, PROXIES_1[0])).toBe(65535)
    expect(out(nat, 0, UDP, 65535, 0, PROXIES_2[0])).toBe(1)
  })

  test('TCP and UDP sessions with the same port are separate', () => {
    const nat = setup()
    nat.setDomainMapping(A.id, 'web', 'other.example', PROXIES_2, [REAL])
    expect(out(nat, 0, TCP, 1000, 0, PROXIES_1[0])).toBe(1000)
    expect(out(nat, 0, UDP, 1000, 0, PROXIES_2[0])).toBe(1000)
  })

  test('ICMP echo: the identifier is mapped like a port, both ways', () => {
    const nat = setup()
    nat.setDomainMapping(A.id, 'web', 'other.example', PROXIES_2, [REAL])
    expect(nat.handleOutboundFlow(0, A.id, echo(A.ipv4, PROXIES_1[0], 7), false)).toBe('forward')
    expect(nat.handleOutboundFlow(0, A.id, echo(A.ipv4, PROXIES_2[0], 7), false)).toBe('forward')
    expect([nat.result.srcPort, nat.result.dstPort]).toEqual([8, 8])
    expect(nat.handleInboundFlow(1, echo(REAL, A.ipv4, 8, true))).toBe('forward')
    expect([nat.result.src4, nat.result.srcPort, nat.result.dstPort]).toEqual([v4(PROXIES_2[0]), 7, 7])
    expect(nat.sessions.live.icmp).toBe(2)
  })

  test('a reply that never had a session is nat-no-session', () => {
    const nat = setup()
    expect(reply(nat, 0, TCP, 40000)).toBe('nat-no-session')
    expect(nat.drops['nat-no-session']).toBe(1)
  })

  test('an inbound packet to an address that is no client is nat-not-a-client', () => {
    const nat = setup()
    expect(nat.handleInboundFlow(0, flow(UDP, REAL, '100.64.0.99', 1, 2))).toBe('nat-not-a-client')
  })
})

describe('MISSION.md / Firezone: session lifetimes', () => {
  test('60 s while unconfirmed, then the late reply is nat-expired-session', () => {
    const nat = setup()
    const p = out(nat, 0, UDP, 5000)
    nat.handleTimeout(UNCONFIRMED_TTL_MS - 1)
    expect(nat.sessions.live.udp).toBe(1)
    nat.handleTimeout(UNCONFIRMED_TTL_MS)
    expect(nat.sessions.live.udp).toBe(0)
    expect(nat.sessions.expired.udp).toBe(1)
    expect(reply(nat, UNCONFIRMED_TTL_MS + 5, UDP, p)).toBe('nat-expired-session')
    expect(nat.drops['nat-expired-session']).toBe(1)
  })

  for (const [name, proto, ttl] of [
    ['UDP 2 min', UDP, UDP_TTL_MS],
    ['TCP 2 h 4 min', TCP, TCP_ESTABLISHED_TTL_MS],
  ] as const) {
    test(`confirmed ${name} idle lifetime`, () => {
      const nat = setup()
      const p = out(nat, 0, proto, 5000)
      expect(reply(nat, 1000, proto, p)).toBe('forward')
      nat.handleTimeout(1000 + ttl - 1)
      expect(reply(nat, 1000 + ttl - 1, proto, p)).toBe('forward') // refreshes
      const last = 1000 + ttl - 1
      nat.handleTimeout(last + ttl - 1)
      expect(nat.sessions.live[proto === TCP ? 'tcp' : 'udp']).toBe(1)
      nat.handleTimeout(last + ttl)
      expect(nat.sessions.live[proto === TCP ? 'tcp' : 'udp']).toBe(0)
      expect(reply(nat, last + ttl, proto, p)).toBe('nat-expired-session')
    })
  }

  test('confirmed ICMP echo 2 min idle lifetime', () => {
    const nat = setup()
    nat.handleOutboundFlow(0, A.id, echo(A.ipv4, PROXIES_1[0], 9), false)
    expect(nat.handleInboundFlow(10, echo(REAL, A.ipv4, 9, true))).toBe('forward')
    nat.handleTimeout(10 + ICMP_TTL_MS - 1)
    expect(nat.sessions.live.icmp).toBe(1)
    nat.handleTimeout(10 + ICMP_TTL_MS)
    expect(nat.sessions.live.icmp).toBe(0)
    expect(nat.handleInboundFlow(10 + ICMP_TTL_MS, echo(REAL, A.ipv4, 9, true))).toBe('nat-expired-session')
  })

  test('outbound packets alone keep an unconfirmed session at 60 s from the last one', () => {
    const nat = setup()
    out(nat, 0, UDP, 5000)
    out(nat, 50_000, UDP, 5000)
    nat.handleTimeout(100_000)
    expect(nat.sessions.live.udp).toBe(1)
    nat.handleTimeout(110_000)
    expect(nat.sessions.live.udp).toBe(0)
  })

  test('RFC 5382 §5: a FIN in either direction shortens TCP to the transitory 4 min', () => {
    for (const finInbound of [false, true]) {
      const nat = setup()
      const p = out(nat, 0, TCP, 5000)
      reply(nat, 1, TCP, p)
      if (finInbound) reply(nat, 2, TCP, p, FIN)
      else out(nat, 2, TCP, 5000, FIN)
      // Never later than the new deadline (it may be early: an early wake-up is a no-op).
      expect(nat.pollTimeout()).toBeLessThanOrEqual(2 + TCP_TRANSITORY_TTL_MS)
      nat.handleTimeout(2 + TCP_TRANSITORY_TTL_MS - 1)
      expect(nat.sessions.live.tcp).toBe(1)
      nat.handleTimeout(2 + TCP_TRANSITORY_TTL_MS)
      expect(nat.sessions.live.tcp).toBe(0)
    }
  })

  test('FIN in both directions keeps the transitory lifetime; the last ACK refreshes it', () => {
    const nat = setup()
    const p = out(nat, 0, TCP, 5000)
    reply(nat, 1, TCP, p, FIN)
    out(nat, 2, TCP, 5000, FIN)
    reply(nat, 3, TCP, p)
    nat.handleTimeout(3 + TCP_TRANSITORY_TTL_MS - 1)
    expect(nat.sessions.live.tcp).toBe(1)
    nat.handleTimeout(3 + TCP_TRANSITORY_TTL_MS)
    expect(nat.sessions.live.tcp).toBe(0)
  })

  test('MISSION.md / Firezone: a TCP RST (either direction) removes the session; late packets are nat-expired-session', () => {
    for (const rstInbound of [false, true]) {
      const nat = setup()
      const p = out(nat, 0, TCP, 5000)
      reply(nat, 1, TCP, p)
      // The RST itself is still translated and forwarded.
      if (rstInbound) expect(reply(nat, 2, TCP, p, RST)).toBe('forward')
      else out(nat, 2, TCP, 5000, RST)
      expect(nat.sessions.live.tcp).toBe(0)
      expect(nat.sessions.rst).toBe(1)
      expect(reply(nat, 3, TCP, p)).toBe('nat-expired-session')
      // A new connection from the same port makes a new session.
      expect(out(nat, 4, TCP, 5000)).toBe(5000)
      expect(reply(nat, 5, TCP, p)).toBe('forward')
    }
  })

  test('remembered tuples are forgotten after EXPIRED_MEMORY_MS: then nat-no-session', () => {
    const nat = setup()
    const p = out(nat, 0, UDP, 5000)
    nat.handleTimeout(UNCONFIRMED_TTL_MS)
    expect(nat.sessions.remembered).toBe(1)
    nat.handleTimeout(UNCONFIRMED_TTL_MS + EXPIRED_MEMORY_MS - 1)
    expect(reply(nat, UNCONFIRMED_TTL_MS + EXPIRED_MEMORY_MS - 1, UDP, p)).toBe('nat-expired-session')
    nat.handleTimeout(UNCONFIRMED_TTL_MS + EXPIRED_MEMORY_MS)
    expect(nat.sessions.remembered).toBe(0)
    expect(reply(nat, UNCONFIRMED_TTL_MS + EXPIRED_MEMORY_MS, UDP, p)).toBe('nat-no-session')
    expect(nat.pollTimeout()).toBeNull()
  })

  test('a remembered tuple does not block its port for a new session', () => {
    const nat = setup()
    nat.setDomainMapping(A.id, 'web', 'other.example', PROXIES_2, [REAL])
    out(nat, 0, TCP, 40000, 0, PROXIES_1[0])
    out(nat, 1, TCP, 40000, RST, PROXIES_1[0])
    expect(out(nat, 2, TCP, 40000, 0, PROXIES_2[0])).toBe(40000)
    expect(reply(nat, 3, TCP, 40000)).toBe('forward')
    expect(nat.result.src4).toBe(v4(PROXIES_2[0]))
  })

  test('pollTimeout is the earliest deadline; an early handleTimeout changes nothing', () => {
    const nat = setup()
    expect(nat.pollTimeout()).toBeNull()
    out(nat, 100, UDP, 1)
    out(nat, 200, UDP, 2)
    expect(nat.pollTimeout()).toBe(100 + UNCONFIRMED_TTL_MS)
    nat.handleTimeout(50)
    expect(nat.sessions.live.udp).toBe(2)
    // Refreshing the first session: the wake-up may be early, never late.
    out(nat, 1000, UDP, 1)
    const t = nat.pollTimeout() as number
    expect(t).toBeLessThanOrEqual(200 + UNCONFIRMED_TTL_MS)
    nat.handleTimeout(t)
    expect(nat.sessions.live.udp).toBe(2)
    expect(nat.pollTimeout()).toBe(200 + UNCONFIRMED_TTL_MS)
  })
})

describe('MISSION.md / issue 9: per-client isolation', () => {
  test('two clients using the same port to the same real IP both keep their port; replies go to their owner', () => {
    const nat = setup()
    nat.setDomainMapping(B.id, 'web', 'web.example', PROXIES_2, [REAL])
    expect(out(nat, 0, TCP, 40000, 0, PROXIES_1[0])).toBe(40000)
    expect(nat.handleOutboundFlow(0, B.id, flow(TCP, B.ipv4, PROXIES_2[0], 40000, 443), false)).toBe(
      'forward',
    )
    expect(nat.result.srcPort).toBe(40000)
    expect(nat.handleInboundFlow(1, flow(TCP, REAL, B.ipv4, 443, 40000))).toBe('forward')
    expect([nat.result.clientId, nat.result.src4]).toEqual([B.id, v4(PROXIES_2[0])])
    expect(nat.handleInboundFlow(1, flow(TCP, REAL, A.ipv4, 443, 40000))).toBe('forward')
    expect([nat.result.clientId, nat.result.src4]).toEqual([A.id, v4(PROXIES_1[0])])
  })

  test("a client cannot use another client's proxy IP mapping or session", () => {
    const nat = setup()
    out(nat, 0, TCP, 40000)
    // B never announced PROXIES_1: its packet there is unreachable, and it creates nothing.
    expect(nat.handleOutboundFlow(0, B.id, flow(TCP, B.ipv4, PROXIES_1[0], 40000, 443), false)).toBe(
      'unreachable',
    )
    // A reply addressed to B for A's session's port does not find A's session.
    expect(nat.handleInboundFlow(1, flow(TCP, REAL, B.ipv4, 443, 40000))).toBe('nat-no-session')
    expect(nat.sessions.live.tcp).toBe(1)
  })

  test('removeClient drops its sessions and remembered tuples only', () => {
    const nat = setup()
    nat.setDomainMapping(B.id, 'web', 'web.example', PROXIES_2, [REAL])
    out(nat, 0, TCP, 1)
    nat.handleOutboundFlow(0, B.id, flow(TCP, B.ipv4, PROXIES_2[0], 1, 443), false)
    nat.removeClient(A.id)
    expect(nat.sessions.live.tcp).toBe(1)
    expect(nat.handleOutboundFlow(0, A.id, flow(TCP, A.ipv4, PROXIES_1[0], 1, 443), false)).toBe(
      'unknown-client',
    )
    expect(nat.handleInboundFlow(1, flow(TCP, REAL, A.ipv4, 443, 1))).toBe('nat-not-a-client')
  })
})
