import { expect, test } from 'bun:test'
import { GatewayResolver } from '@gatehouse/dns-resolver'
import { formatKey, generatePrivateKey, publicKey } from '@gatehouse/wireguard'
import { GatewayState } from '../src/state.ts'

test('README example: a shell loop around GatewayState', () => {
  const random = (b: Uint8Array) => {
    crypto.getRandomValues(b)
  }
  const clientKey = formatKey(publicKey(generatePrivateKey(random)))
  const sent: number[] = []
  const udp = { send: (data: Uint8Array, _port: number, _addr: string) => sent.push(data.length) }
  const tun = { write: (_buf: Uint8Array, _off: number, len: number) => sent.push(len) }
  let now = 0

  // --- README example ---
  const state = new GatewayState({
    privateKey: formatKey(generatePrivateKey(random)),
    random,
    unixMs: () => Date.now(),
    tunIpv4: '100.64.0.1',
    tunIpv6: 'fd00:2021:1111::1',
    resources: [{ id: 'lan', type: 'cidr', address: '10.0.0.0/24', filters: [] }],
    clients: [
      {
        name: 'laptop',
        publicKey: clientKey,
        ipv4: '100.64.0.2',
        ipv6: 'fd00:2021:1111::2',
        resources: ['lan'],
      },
    ],
    resolver: new GatewayResolver({ upstreams: [{ address: '10.0.0.53', port: 53, family: 4 }], seed: 1 }),
    flags: { icmpUnreachableInsteadOfNat64: false }, // the feature-flags values object, read per packet
    seed: 2,
  })
  // For every UDP datagram (and likewise handleTunPacket / handleTimeout), then drain in order:
  const onDatagram = (bytes: Uint8Array, address: string, port: number) => {
    state.handleDatagram(now, { address, port }, bytes)
    for (let t = state.pollTransmit(); t !== null; t = state.pollTransmit())
      udp.send(t.data.subarray(0, t.length), t.to.port, t.to.address)
    for (let p = state.pollTunWrite(); p !== null; p = state.pollTunWrite()) tun.write(p.buf, p.off, p.len)
    // pollDnsTransmit -> resolver sockets, pollTimeout -> one timer, pollEvent -> logs
  }
  // --- end ---

  now = 1
  onDatagram(new Uint8Array(148), '192.0.2.9', 40000) // not a valid handshake: dropped and counted
  expect(state.device.drops['wg-bad-mac1'] + state.device.drops['wg-bad-header']).toBe(1)
  expect(sent).toEqual([])
  expect(state.clients).toEqual(['laptop'])
})
