import { describe, expect, test } from 'bun:test'
import { duplicateIds, endpointText, filterSchema, resourceSchema, wireguardKey } from '../src/index.ts'

describe('access model schemas', () => {
  test('DNS resources take the reference pattern syntax and default to dual stack, no filters', () => {
    for (const address of [
      'app.example.com',
      '*.example.com',
      '**.corp.internal',
      'db-?.example.com',
      'localhost',
    ]) {
      expect(resourceSchema.parse({ id: 'r1', type: 'dns', address })).toEqual({
        id: 'r1',
        type: 'dns',
        address,
        ipStack: 'dual',
        filters: [],
      })
    }
    for (const address of ['', 'a..b', 'exa mple.com', '.example.com']) {
      expect(resourceSchema.safeParse({ id: 'r1', type: 'dns', address }).success).toBe(false)
    }
  })

  test('CIDR resources need a valid prefix', () => {
    expect(resourceSchema.safeParse({ id: 'net', type: 'cidr', address: '10.0.0.0/8' }).success).toBe(true)
    expect(resourceSchema.safeParse({ id: 'net', type: 'cidr', address: 'fd00::/64' }).success).toBe(true)
    const bad = resourceSchema.safeParse({ id: 'net', type: 'cidr', address: '10.0.0.0/33' })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0].path).toEqual(['address'])
  })

  test('filters: port ranges must be in 1-65535 and ordered', () => {
    expect(filterSchema.safeParse({ protocol: 'tcp', ports: ['80', '8000-8080'] }).success).toBe(true)
    expect(filterSchema.safeParse({ protocol: 'udp' }).success).toBe(true)
    expect(filterSchema.safeParse({ protocol: 'icmp' }).success).toBe(true)
    for (const ports of [['0'], ['70000'], ['90-80'], ['http']]) {
      expect(filterSchema.safeParse({ protocol: 'tcp', ports }).success).toBe(false)
    }
    expect(filterSchema.safeParse({ protocol: 'sctp' }).success).toBe(false)
  })

  test('WireGuard keys are 32 bytes of base64', () => {
    expect(wireguardKey.safeParse('yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=').success).toBe(true)
    expect(wireguardKey.safeParse('yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk').success).toBe(false)
  })

  test('endpoints: host:port and [v6]:port', () => {
    for (const ok of ['192.0.2.1:51820', 'gw.example.com:443', '[2001:db8::1]:51820']) {
      expect(endpointText.safeParse(ok).success).toBe(true)
    }
    for (const bad of ['192.0.2.1', '2001:db8::1:51820', '[2001:db8::1]:0', 'host:65536']) {
      expect(endpointText.safeParse(bad).success).toBe(false)
    }
  })

  test('duplicate ids are named', () => {
    expect(duplicateIds([{ id: 'a' }, { id: 'b' }, { id: 'a' }], 'resource')).toEqual([
      "resource 'a' is defined twice",
    ])
  })
})
