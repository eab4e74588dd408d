import { describe, expect, test } from 'bun:test'
import { clientConfigSchema } from '@gatehouse/app-common'
import {
  canonicalCidr,
  dnsResources,
  INTERNET_ROUTES,
  routedIntoTun,
  splitEndpoint,
  tunAddresses,
  tunRoutes,
  upstreamsFor,
} from '../src/setup.ts'

const base = {
  name: 'laptop',
  privateKey: 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=',
  ipv4: '100.64.0.2',
  ipv6: 'fd00:2021:1111::2',
  gateway: {
    publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=',
    endpoint: '192.0.2.1:51820',
    ipv4: '100.64.0.1',
    ipv6: 'fd00:2021:1111::1',
  },
}

describe('what the TUN gets (issue 9: "routes the resource ranges, CIDR resources and sentinel DNS ranges into it")', () => {
  test('tunnel IPs as host prefixes; proxy and sentinel ranges always routed', () => {
    const cfg = clientConfigSchema.parse(base)
    expect(tunAddresses(cfg)).toEqual(['100.64.0.2/32', 'fd00:2021:1111::2/128'])
    expect(tunRoutes(cfg)).toEqual([
      '100.96.0.0/11',
      'fd00:2021:1111:8000::/107',
      '100.100.111.0/24',
      'fd00:2021:1111:8000:100:100:111:0/120',
    ])
  })

  test('CIDR resources are routed with host bits cleared; the Internet resource as two halves per family', () => {
    const cfg = clientConfigSchema.parse({
      ...base,
      resources: [
        { id: 'lan', type: 'cidr', address: '10.0.0.7/24' },
        { id: 'v6', type: 'cidr', address: '2001:db8:1:2::5/64' },
        { id: 'net', type: 'internet' },
        { id: 'web', type: 'dns', address: '*.example.com' },
      ],
    })
    const r = tunRoutes(cfg)
    expect(r).toContain('10.0.0.0/24')
    expect(r).toContain('2001:db8:1:2::/64')
    for (const x of INTERNET_ROUTES) expect(r).toContain(x)
    expect(dnsResources(cfg)).toEqual([{ id: 'web', address: '*.example.com', ipStack: 'dual' }])
  })

  test('canonicalCidr clears host bits in both families and keeps /0', () => {
    expect(canonicalCidr('192.168.1.77/20')).toBe('192.168.0.0/20')
    expect(canonicalCidr('10.1.2.3/0')).toBe('0.0.0.0/0')
    expect(canonicalCidr('fd00::1:2:3/100')).toBe('fd00::1:0:0/100')
    expect(() => canonicalCidr('nope')).toThrow('resources')
  })

  test('the gateway endpoint inside a routed range is detected (it must stay outside the tunnel)', () => {
    expect(routedIntoTun('203.0.113.5', INTERNET_ROUTES)).toBe(true)
    expect(routedIntoTun('10.0.0.9', ['10.0.0.0/24'])).toBe(true)
    expect(routedIntoTun('192.0.2.1', ['10.0.0.0/24', 'fd00::/8'])).toBe(false)
    expect(routedIntoTun('2001:db8::1', INTERNET_ROUTES)).toBe(true)
  })
})

describe('upstreams and endpoints', () => {
  test('configured upstreams win; else the nameservers of resolv.conf, sentinels skipped', () => {
    expect(upstreamsFor(['192.0.2.53', '2001:db8::53'], 'nameserver 9.9.9.9').map((u) => u.address)).toEqual([
      '192.0.2.53',
      '2001:db8::53',
    ])
    expect(upstreamsFor([], 'nameserver 9.9.9.9\nnameserver 100.100.111.1\n').map((u) => u.address)).toEqual([
      '9.9.9.9',
    ])
  })

  test('splitEndpoint handles host:port and [v6]:port', () => {
    expect(splitEndpoint('gw.example.com:51820')).toEqual({ host: 'gw.example.com', port: 51820 })
    expect(splitEndpoint('[2001:db8::1]:443')).toEqual({ host: '2001:db8::1', port: 443 })
  })
})
