import { describe, expect, test } from 'bun:test'
import { ipv6ToText } from '@gatehouse/ip-packet'
import type { GatewayNat } from '../src/index.ts'
import { A, B, flow, gateway, PROXIES_1, PROXIES_2, TCP } from './helpers.ts'

/** Where a TCP packet from client `c` to `proxy` goes (real IP text), or the verdict when it is not NATed. */
function target(nat: GatewayNat, c: typeof A, proxy: string, port = 40000): string {
  const src = proxy.includes(':') ? c.ipv6 : c.ipv4
  const v = nat.handleOutboundFlow(0, c.id, flow(TCP, src, proxy, port, 443), false)
  if (v !== 'forward' && v !== 'translate') return v
  const r = nat.result
  const ip =
    r.family === 4
      ? `${r.dst4 >>> 24}.${(r.dst4 >>> 16) & 255}.${(r.dst4 >>> 8) & 255}.${r.dst4 & 255}`
      : ipv6ToText(r.dst6)
  return v === 'translate' ? `translate:${ip}` : ip
}

describe('MISSION.md / Firezone: proxy IPs map onto resolved IPs', () => {
  test('proxy IPv4s map round-robin onto the resolved IPv4s', () => {
    const nat = gateway()
    expect(
      nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1, [
        '192.0.2.10',
        '192.0.2.11',
        '2001:db8::10',
      ]),
    ).toBe('active')
    expect(PROXIES_1.slice(0, 4).map((p) => target(nat, A, p))).toEqual([
      '192.0.2.10',
      '192.0.2.11',
      '192.0.2.10',
      '192.0.2.11',
    ])
  })

  test('proxy IPv6s map round-robin onto the resolved IPv6s', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1, [
      '2001:db8::10',
      '192.0.2.10',
      '2001:db8::11',
      '2001:db8::12',
    ])
    expect(PROXIES_1.slice(4).map((p) => target(nat, A, p))).toEqual([
      '2001:db8::10',
      '2001:db8::11',
      '2001:db8::12',
      '2001:db8::10',
    ])
  })

  test('a family without addresses maps onto the other family and needs translation', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'web', 'v4only.example', PROXIES_1, ['192.0.2.10', '192.0.2.11'])
    expect(PROXIES_1.slice(4).map((p) => target(nat, A, p))).toEqual([
      'translate:192.0.2.10',
      'translate:192.0.2.11',
      'translate:192.0.2.10',
      'translate:192.0.2.11',
    ])
    nat.setDomainMapping(A.id, 'web', 'v6only.example', PROXIES_2, ['2001:db8::20'])
    expect(target(nat, A, PROXIES_2[0])).toBe('translate:2001:db8::20')
    expect(target(nat, A, PROXIES_2[4])).toBe('2001:db8::20')
  })

  test('re-resolution replaces the mappings of (client, resource, domain)', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1, ['192.0.2.10'])
    expect(target(nat, A, PROXIES_1[0])).toBe('192.0.2.10')
    nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1, ['198.51.100.7', '2001:db8::7'])
    // The same 5-tuple now goes to the new address (the old session ends: the mapping moved).
    expect(target(nat, A, PROXIES_1[0])).toBe('198.51.100.7')
    expect(target(nat, A, PROXIES_1[4])).toBe('2001:db8::7')
  })

  test('re-resolution with fewer proxy IPs forgets the ones left out', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1, ['192.0.2.10'])
    nat.setDomainMapping(A.id, 'web', 'web.example', PROXIES_1.slice(0, 1), ['192.0.2.10'])
    expect(target(nat, A, PROXIES_1[0])).toBe('192.0.2.10')
    expect(target(nat, A, PROXIES_1[1])).toBe('unreachable')
  })

  test('mappings are per client: the same proxy IP means different things to two clients', () => {
    const nat = gateway()
    nat.setDomainMapping(A.id, 'web', 'a.example', PROXIES_1, ['192.0.2.1'])
    nat.setDomainMapping(B.id, 'web', 'b.example', PROXIES_1, ['192.0.2.2'])
    expect(target(nat, A, PROXIES_1[0])).toBe('192.0.2.1')
    expect(target(nat, B, PROXIES_1[0])).toBe('192.0.2.2')
    nat.removeClient(A.id)
    expect(target(nat, B, PROXIES_1[0])).toBe('192.0.2.2')
  })

  test('nothing resolved: status no-addresses and the proxy IPs stay unmapped', () => {
    const nat = gateway()
    expect(nat.setDomainMapping(A.id, 'web', 'nx.example', PROXIES_1, [])).toBe('no-addresses')
    expect(target(nat, A, PROXIES_1[0])).toBe('unreachable')
  })

  test('a resource the client may not use, or a CIDR resource, is not-allowed', () => {
    const nat = gateway()
    nat.addResource({ kind: 'dns', id: 'secret' })
    expect(nat.setDomainMapping(A.id, 'secret', 's.example', PROXIES_1, ['192.0.2.1'])).toBe('not-allowed')
    nat.allow(A.id, 'lan')
    expect(nat.setDomainMapping(A.id, 'lan', 's.example', PROXIES_1, ['192.0.2.1'])).toBe('not-allowed')
    expect(nat.setDomainMapping(99, 'web', 's.example', PROXIES_1, ['192.0.2.1'])).toBe('not-allowed')
  })

  test('proxy IPs outside the proxy ranges and malformed addresses are refused, naming the field', () => {
    const nat = gateway()
    expect(() => nat.setDomainMapping(A.id, 'web', 'x.example', ['10.0.0.1'], ['192.0.2.1'])).toThrow(
      'proxyIps[0]',
    )
    expect(() =>
      nat.setDomainMapping(A.id, 'web', 'x.example', ['100.96.0.1', 'fd00::1'], ['192.0.2.1']),
    ).toThrow('proxyIps[1]')
    expect(() => nat.setDomainMapping(A.id, 'web', 'x.example', ['100.96.0.1'], ['nope'])).toThrow(
      'resolvedIps[0]',
    )
    // The range edges: 100.127.255.255 is in 100.96.0.0/11, 100.128.0.0 is not.
    expect(nat.setDomainMapping(A.id, 'web', 'x.example', ['100.127.255.255'], ['192.0.2.1'])).toBe('active')
    expect(() => nat.setDomainMapping(A.id, 'web', 'x.example', ['100.128.0.0'], ['192.0.2.1'])).toThrow()
    expect(
      nat.setDomainMapping(A.id, 'web', 'x.example', ['fd00:2021:1111:8000::1f:ffff'], ['192.0.2.1']),
    ).toBe('active')
    expect(() =>
      nat.setDomainMapping(A.id, 'web', 'x.example', ['fd00:2021:1111:8000::20:0'], ['192.0.2.1']),
    ).toThrow()
  })
})
