/**
 * The client core's per-packet cost beside the WireGuard device alone (the floor it adds to), and
 * the cost of answering a resource query from the TUN beside the stub resolver alone.
 */
import { encodeMessage, FLAG_RD, TYPE } from '@gatehouse/dns-resolver'
import { buildUdp4, ipv4FromText } from '@gatehouse/ip-packet'
import { bench, do_not_optimize, summary } from 'mitata'
import { Bench, CLIENT_TUN4, udpTo } from '../test/harness.ts'

const b = new Bench()
b.query('app.corp.example', TYPE.A) // session up, name active
const proxy = (b.answers()[0].answers[0] as { address: string }).address

function packet(size: number): Uint8Array {
  return buildUdp4({
    src: ipv4FromText(CLIENT_TUN4)!,
    dst: ipv4FromText(proxy)!,
    srcPort: 5000,
    dstPort: 443,
    payload: new Uint8Array(size - 28),
  })
}

for (const size of [64, 1200]) {
  const pkt = packet(size)
  summary(() => {
    bench(`wireguard device.handlePacket ${size}B (floor)`, () => {
      do_not_optimize(b.client.device.handlePacket(b.now, b.client.gateway, pkt, 0, pkt.length))
      do_not_optimize(b.client.device.pollTransmit())
    })
    bench(`client handleTunPacket -> gateway ${size}B`, () => {
      do_not_optimize(b.client.handleTunPacket(b.now, pkt, 0, pkt.length))
      do_not_optimize(b.client.pollTransmit())
    })
  })
}

const query = encodeMessage({
  id: 1,
  flags: FLAG_RD,
  questions: [{ name: 'app.corp.example', type: TYPE.A }],
})
const [dnsPkt] = udpTo(4, query)
summary(() => {
  bench('stub.handleQuery A, active resource name (stub alone)', () => {
    do_not_optimize(
      b.client.stub.handleQuery(b.now, query, {
        transport: 'udp',
        sentinel: '100.100.111.1',
        asker: { kind: 'shell', handle: 0 },
      }),
    )
  })
  bench('client handleTunPacket DNS A, active resource name -> UDP answer packet', () => {
    do_not_optimize(b.client.handleTunPacket(b.now, dnsPkt, 0, dnsPkt.length))
    do_not_optimize(b.client.pollTunWrite())
  })
})
