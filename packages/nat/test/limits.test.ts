import { describe, expect, test } from 'bun:test'
import { GatewayNat, UNCONFIRMED_TTL_MS } from '../src/index.ts'
import { A, B, flow, PROXIES_1, UDP } from './helpers.ts'

function nat(opts: ConstructorParameters<typeof GatewayNat>[0]) {
  const n = new GatewayNat(opts)
  n.addResource({ kind: 'dns', id: 'web' })
  for (const c of [A, B]) {
    n.addClient(c.id, { ipv4: c.ipv4, ipv6: c.ipv6 })
    n.allow(c.id, 'web')
    n.setDomainMapping(c.id, 'web', 'web.example', PROXIES_1, ['192.0.2.10'])
  }
  return n
}

const send = (n: GatewayNat, now: number, c: typeof A, port: number, proxy = PROXIES_1[0]) =>
  n.handleOutboundFlow(now, c.id, flow(UDP, c.ipv4, proxy, port, 53), false)

describe('limits (issue 9 scenario 7: one client cannot exhaust the NAT for the others)', () => {
  test('maxSessionsPerClient: the client over its limit is refused, others are not; expiry frees room', () => {
    const n = nat({ maxSessionsPerClient: 3 })
    expect([1, 2, 3].map((p) => send(n, 0, A, p))).toEqual(['forward', 'forward', 'forward'])
    expect(send(n, 0, A, 4)).toBe('nat-client-limit')
    expect(n.drops['nat-client-limit']).toBe(1)
    expect(send(n, 0, B, 4)).toBe('forward')
    // Existing sessions keep working.
    expect(send(n, 1, A, 1)).toBe('forward')
    expect(n.sessionsOf(A.id)).toBe(3)
    n.handleTimeout(UNCONFIRMED_TTL_MS + 1)
    expect(n.sessionsOf(A.id)).toBe(0)
    expect(send(n, UNCONFIRMED_TTL_MS + 2, A, 4)).toBe('forward')
  })

  test('maxSessions: the table refuses new sessions when full, remembered tuples included', () => {
    const n = nat({ maxSessions: 4, initialSessions: 1 })
    expect([1, 2, 3, 4].map((p) => send(n, 0, A, p))).toEqual(['forward', 'forward', 'forward', 'forward'])
    expect(send(n, 0, B, 5)).toBe('nat-table-full')
    n.handleTimeout(UNCONFIRMED_TTL_MS) // all four expire but are remembered
    expect(send(n, UNCONFIRMED_TTL_MS, B, 5)).toBe('nat-table-full')
    // A new session on a remembered tuple's port takes its slot.
    expect(send(n, UNCONFIRMED_TTL_MS, A, 1)).toBe('forward')
  })

  test('MISSION.md / Firezone: every port towards one real IP taken -> nat-ports-exhausted', () => {
    const n = nat({ maxSessionsPerClient: 1 << 20, initialSessions: 1 << 17 })
    for (let p = 0; p <= 0xffff; p++) expect(send(n, 0, A, p, PROXIES_1[0])).toBe('forward')
    // Same real IP through another proxy IP: no free port left; another client is unaffected.
    expect(send(n, 0, A, 80, PROXIES_1[1])).toBe('nat-ports-exhausted')
    expect(send(n, 0, B, 80, PROXIES_1[1])).toBe('forward')
  })
})
