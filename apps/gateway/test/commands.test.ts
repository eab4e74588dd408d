import { describe, expect, test } from 'bun:test'
import { clientConfigSchema } from '@gatehouse/app-common'
import { formatKey, parseKey, publicKey } from '@gatehouse/wireguard'
import { addClient, initConfig } from '../src/commands.ts'
import { gatewayConfigSchema } from '../src/config.ts'
import { seededRandom } from './harness.ts'

describe('issue 9: init and add-client', () => {
  test('init writes a config that validates, with a fresh key each time', () => {
    const a = initConfig(seededRandom(1))
    const b = initConfig(seededRandom(2))
    expect(gatewayConfigSchema.safeParse(a).success).toBe(true)
    expect(a.privateKey).not.toBe(b.privateKey)
    expect(initConfig(seededRandom(1), { publicEndpoint: 'gw.example.com:51820' }).publicEndpoint).toBe(
      'gw.example.com:51820',
    )
  })

  test('add-client allocates the lowest free tunnel IPs (skipping the gateway), adds the peer, prints a valid client config', () => {
    const rnd = seededRandom(3)
    let raw = initConfig(rnd, { publicEndpoint: '203.0.113.1:51820' })
    raw.resources = [
      { id: 'web', type: 'dns', address: '*.example.com' },
      { id: 'lan', type: 'cidr', address: '10.0.0.0/24' },
    ]
    const one = addClient(raw, 'laptop', ['web'], rnd)
    raw = one.config
    const two = addClient(raw, 'phone', ['web', 'lan'], rnd)
    expect([one.client.ipv4, one.client.ipv6]).toEqual(['100.64.0.2', 'fd00:2021:1111::2'])
    expect([two.client.ipv4, two.client.ipv6]).toEqual(['100.64.0.3', 'fd00:2021:1111::3'])
    expect(clientConfigSchema.parse(two.client)).toEqual(two.client)
    expect(two.client.resources.map((r) => r.id)).toEqual(['web', 'lan'])
    expect(two.client.gateway).toEqual({
      publicKey: formatKey(publicKey(parseKey(raw.privateKey as string))),
      endpoint: '203.0.113.1:51820',
      ipv4: '100.64.0.1',
      ipv6: 'fd00:2021:1111::1',
    })
    const cfg = gatewayConfigSchema.parse(two.config)
    expect(cfg.clients.map((c) => c.name)).toEqual(['laptop', 'phone'])
    // The gateway holds the public half of the key the client got.
    expect(cfg.clients[1].publicKey).toBe(formatKey(publicKey(parseKey(two.client.privateKey))))
  })

  test('a removed client frees its addresses for the next one', () => {
    const rnd = seededRandom(4)
    let raw = initConfig(rnd)
    raw = addClient(raw, 'a', [], rnd).config
    raw = addClient(raw, 'b', [], rnd).config
    raw.clients = (raw.clients as { name: string }[]).filter((c) => c.name !== 'a')
    expect(addClient(raw, 'c', [], rnd).client.ipv4).toBe('100.64.0.2')
  })

  test('errors name the problem', () => {
    const rnd = seededRandom(5)
    const raw = addClient(initConfig(rnd), 'a', [], rnd).config
    expect(() => addClient(raw, 'a', [], rnd)).toThrow("a client named 'a' exists")
    expect(() => addClient(raw, 'b', ['nope'], rnd)).toThrow("no resource 'nope'")
    const tiny = { ...raw, clientPool: { ipv4: '100.64.0.0/30', ipv6: 'fd00:2021:1111::/107' } }
    expect(() => addClient(tiny, 'b', [], rnd)).toThrow('no free address left')
  })
})
