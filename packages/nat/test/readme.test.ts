/** The README example, run as written (MISSION.md / Firezone: DNS resource NAT, same family). */
import { expect, test } from 'bun:test'
import { buildTcp4, IpPacket, ipv4FromText } from '@gatehouse/ip-packet'
import { GatewayNat } from '../src/index.ts'

test('README example', () => {
  const nat = new GatewayNat({ seed: 12345 }) // the shell passes a random seed
  nat.addResource({ kind: 'dns', id: 'web', filters: [{ protocol: 'tcp', from: 443, to: 443 }] })
  nat.addClient(1, { ipv4: '100.64.0.1', ipv6: 'fd00:2021:1111::1' })
  nat.allow(1, 'web')
  // Control message "web.example of resource web has proxy IPs P", resolved by the gateway:
  const proxyIps = ['100.96.0.1', '100.96.0.2', '100.96.0.3', '100.96.0.4']
  const status = nat.setDomainMapping(1, 'web', 'web.example', proxyIps, ['192.0.2.10'])

  // A decrypted packet from client 1 to a proxy IP:
  const buf = buildTcp4({
    src: ipv4FromText('100.64.0.1')!,
    dst: ipv4FromText('100.96.0.2')!,
    srcPort: 50000,
    dstPort: 443,
  })
  const pkt = new IpPacket()
  const now = 0 // the shell's monotonic milliseconds
  const icmpUnreachableInsteadOfNat64 = false // the flag's current value
  let verdict = 'unparsed'
  if (pkt.reset(buf, 0, buf.length) === null) {
    verdict = nat.handleOutbound(now, 1, pkt, icmpUnreachableInsteadOfNat64)
  }

  expect(status).toBe('active')
  expect(verdict).toBe('forward') // rewritten in place: write it to the TUN device
  expect(pkt.dst4).toBe(ipv4FromText('192.0.2.10')!)
  expect(pkt.verifyChecksums()).toBeNull()
  expect(nat.pollTimeout()).toBe(60_000) // unconfirmed: 60 s until a reply is seen
})
