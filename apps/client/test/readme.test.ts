/** The README's example, run as written (plus the packet it reads from the TUN). */
import { expect, test } from 'bun:test'
import { ClientState } from '@gatehouse/client'
import { buildSentinels, encodeMessage, FLAG_RD, TYPE } from '@gatehouse/dns-resolver'
import { buildUdp4, ipv4FromText } from '@gatehouse/ip-packet'
import { generatePrivateKey, publicKey } from '@gatehouse/wireguard'

test('README example: a resource query starts a handshake and waits for the gateway', () => {
  const packet = buildUdp4({
    src: ipv4FromText('100.64.0.2')!,
    dst: ipv4FromText('100.100.111.1')!,
    srcPort: 40000,
    dstPort: 53,
    payload: encodeMessage({
      id: 1,
      flags: FLAG_RD,
      questions: [{ name: 'app.corp.example', type: TYPE.A }],
    }),
  })

  const random = (b: Uint8Array) => void crypto.getRandomValues(b)
  const client = new ClientState({
    privateKey: generatePrivateKey(random),
    gatewayPublicKey: publicKey(generatePrivateKey(random)),
    gatewayEndpoint: { address: '192.0.2.1', port: 51820 },
    tunnelIpv4: '100.64.0.2',
    tunnelIpv6: 'fd00:2021:1111::2',
    sentinels: buildSentinels(['192.0.2.53']), // 100.100.111.1 stands for 192.0.2.53
    dnsResources: [{ id: 'web', address: '**.corp.example' }],
    random,
    unixMs: () => Date.now(),
  })
  // A DNS query for app.corp.example read from the TUN (an IPv4/UDP packet to 100.100.111.1:53):
  client.handleTunPacket(performance.now(), packet, 0, packet.length)
  const t = client.pollTransmit() // a handshake initiation to 192.0.2.1:51820; AssignedIps waits behind it
  client.pollTunWrite() // null: the answer waits for the gateway's DomainStatus

  expect(t?.to).toEqual({ address: '192.0.2.1', port: 51820 })
  expect(t?.data[0]).toBe(1) // WireGuard message type 1: handshake initiation
  expect(client.pollTunWrite()).toBeNull()
  expect([...client.names()].map((n) => [n.name, n.status])).toEqual([['app.corp.example', 'pending']])
})
