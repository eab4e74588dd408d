import { expect, test } from 'bun:test'
import { clientConfigSchema } from '../src/index.ts'

const KEY_A = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk='
const KEY_B = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg='

test('a client config as add-client prints it gets local defaults', () => {
  const cfg = clientConfigSchema.parse({
    name: 'alice',
    privateKey: KEY_A,
    ipv4: '100.64.0.2',
    ipv6: 'fd00:2021:1111::2',
    gateway: { publicKey: KEY_B, endpoint: '192.0.2.1:51820', ipv4: '100.64.0.1', ipv6: 'fd00:2021:1111::1' },
    resources: [{ id: 'web', type: 'dns', address: '*.example.com' }],
  })
  expect(cfg.dnsControl).toBe('etc-resolv-conf')
  expect(cfg.tun).toEqual({ name: 'gatehouse', mtu: 1280 })
  expect(cfg.resources[0]).toEqual({
    id: 'web',
    type: 'dns',
    address: '*.example.com',
    ipStack: 'dual',
    filters: [],
  })
  expect(cfg.featureFlags.url).toBeUndefined()
})

test('a client config without a gateway names the field', () => {
  const r = clientConfigSchema.safeParse({
    name: 'a',
    privateKey: KEY_A,
    ipv4: '100.64.0.2',
    ipv6: 'fd00::2',
  })
  expect(r.success).toBe(false)
  expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['gateway'])
})
