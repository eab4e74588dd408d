import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '@gatehouse/app-common'
import { gatewayConfigSchema } from '../src/config.ts'

const KEY_A = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk='
const KEY_B = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg='
const KEY_C = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0='

const base = {
  privateKey: KEY_A,
  resources: [
    {
      id: 'web',
      type: 'dns',
      address: '*.example.com',
      filters: [{ protocol: 'tcp', ports: ['80', '443'] }],
    },
    { id: 'lan', type: 'cidr', address: '10.0.0.0/24' },
  ],
  clients: [
    { name: 'alice', publicKey: KEY_B, ipv4: '100.64.0.2', ipv6: 'fd00:2021:1111::2', resources: ['web'] },
  ],
}

function problems(input: unknown): string[] {
  const r = gatewayConfigSchema.safeParse(input)
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

describe('gateway config (issue 9: a wrong config names the field and the problem)', () => {
  test('a minimal config gets working defaults', () => {
    const cfg = gatewayConfigSchema.parse({ privateKey: KEY_A })
    expect(cfg.listen).toBe('0.0.0.0:51820')
    expect(cfg.tun).toEqual({
      name: 'gatehouse-gw',
      ipv4: '100.64.0.1',
      ipv6: 'fd00:2021:1111::1',
      mtu: 1280,
    })
    expect(cfg.featureFlags.intervalSeconds).toBe(300)
    expect(cfg.featureFlags.url).toBeUndefined()
  })

  test('the access model parses', () => {
    expect(problems(base)).toEqual([])
  })

  test('a client naming an unknown resource', () => {
    const bad = structuredClone(base)
    bad.clients[0].resources = ['web', 'nope']
    expect(problems(bad)).toEqual(["clients.0.resources.1: no resource 'nope'"])
  })

  test('two clients with one key or one address', () => {
    const bad = structuredClone(base)
    bad.clients.push({
      name: 'bob',
      publicKey: KEY_B,
      ipv4: '100.64.0.2',
      ipv6: 'fd00:2021:1111:0::3',
      resources: [],
    })
    expect(problems(bad)).toEqual([
      'clients.1.publicKey: used by another client',
      'clients.1.ipv4: used by another client',
    ])
  })

  test('a client address outside the pool', () => {
    const bad = structuredClone(base)
    bad.clients[0].ipv4 = '192.0.2.1'
    expect(problems(bad)).toEqual(['clients.0.ipv4: outside clientPool.ipv4 100.64.0.0/11'])
  })

  test('duplicate resource ids and bad keys', () => {
    const bad = structuredClone(base)
    bad.resources.push({ id: 'web', type: 'cidr', address: '10.1.0.0/16' })
    bad.privateKey = 'short'
    // Every problem is reported at once, not one per attempt.
    expect(problems(bad)).toEqual([
      'privateKey: not a WireGuard key (44 characters of base64, as `wg genkey` prints)',
      "resources: resource 'web' is defined twice",
    ])
    bad.privateKey = KEY_C
    expect(problems(bad)).toEqual(["resources: resource 'web' is defined twice"])
  })

  test('env overrides reach nested fields and errors name their source', () => {
    expect(() =>
      loadConfig(gatewayConfigSchema, { env: { GATEHOUSE_PRIVATE_KEY: KEY_A, GATEHOUSE_TUN__MTU: '1000' } }),
    ).toThrow(ConfigError)
    const cfg = loadConfig(gatewayConfigSchema, {
      env: {
        GATEHOUSE_PRIVATE_KEY: KEY_A,
        GATEHOUSE_FEATURE_FLAGS__URL: 'http://127.0.0.1:8000',
        GATEHOUSE_FEATURE_FLAGS__API_KEY: 'phc_test',
      },
      flags: { 'tun.name': 'gw0' },
    })
    expect(cfg.featureFlags.url).toBe('http://127.0.0.1:8000')
    expect(cfg.tun.name).toBe('gw0')
  })

  test('feature-flag backend settings are checked at start, naming the field', () => {
    expect(problems({ privateKey: KEY_A, featureFlags: { url: 'http://127.0.0.1:9' } })).toEqual([
      'featureFlags.apiKey: required when featureFlags.url is set',
    ])
    expect(
      problems({
        privateKey: KEY_A,
        featureFlags: { intervalSeconds: 5, timeoutMs: 5000, graceSeconds: 60 },
      }),
    ).toEqual(['featureFlags.timeoutMs: must be shorter than featureFlags.intervalSeconds'])
    expect(
      problems({
        privateKey: KEY_A,
        featureFlags: { intervalSeconds: 60, timeoutMs: 1000, graceSeconds: 60 },
      }),
    ).toEqual([
      'featureFlags.graceSeconds: must be at least featureFlags.intervalSeconds + featureFlags.timeoutMs',
    ])
  })
})
