/** The README example, run as written. */
import { expect, test } from 'bun:test'
import { buildUdp4, IpPacket, ipv4FromText } from '../src/index.ts'

test('README example: parse a UDPv4 packet and rewrite its destination in place', () => {
  const bytes = buildUdp4({
    src: ipv4FromText('10.0.0.1')!,
    dst: ipv4FromText('100.96.0.1')!,
    srcPort: 5353,
    dstPort: 53,
  })
  const pkt = new IpPacket() // once; then per packet:
  const drop = pkt.reset(bytes, 0, bytes.length)
  if (drop === null && pkt.l4 !== 0) {
    pkt.setDst4(ipv4FromText('192.0.2.7')!) // IPv4 header and UDP checksums updated incrementally
    pkt.setDstPort(5300)
  }
  expect(drop).toBeNull()
  expect([pkt.dst4, pkt.dstPort, pkt.verifyChecksums()]).toEqual([ipv4FromText('192.0.2.7')!, 5300, null])
})
