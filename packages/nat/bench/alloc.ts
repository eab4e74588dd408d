/**
 * The no-allocation check, in a fresh process: after warm-up, 3·10^6 calls per case
 * on the 10k-session table, then the JS heap's growth in bytes and objects (after a
 * full GC on both sides), beside an empty-call control: a few hundred objects per case
 * come from the JIT and the harness, not from the calls (3·10^6 of them). Prints one
 * JSON line. `bun bench/alloc.ts`.
 */

import { heapStats } from 'bun:jsc'
import { buildTcp4, IpPacket } from '@gatehouse/ip-packet'
import { clientIp4, outFlow, parse4, populated, proxy4, REAL4, replyFlow } from './fixture.ts'

const nat = populated(10)
const out4 = outFlow(3, 1, 40)
const in4 = replyFlow(3, 1, 40)
const out6 = outFlow(3, 5, 290)
const in6 = replyFlow(3, 5, 290)
const rst = outFlow(4, 2, 124)
rst.tcpFlags = 0x04
const c4 = parse4(clientIp4(3))
const viewOut = buildTcp4({ src: c4, dst: parse4(proxy4(3, 1)), srcPort: 20040, dstPort: 443 })
const viewIn = buildTcp4({ src: parse4(REAL4[1]), dst: c4, srcPort: 443, dstPort: 20040 })
const work = new Uint8Array(256)
const pkt = new IpPacket()

const cases: [string, () => unknown][] = [
  // Control: what the loop and the measurement themselves leave behind (JIT, GC bookkeeping).
  ['control: empty call', () => 0],
  ['outbound tcp4 (tuple)', () => nat.handleOutboundFlow(1, 3, out4, false)],
  ['inbound tcp4 (tuple)', () => nat.handleInboundFlow(1, in4)],
  ['outbound tcp6 (tuple)', () => nat.handleOutboundFlow(1, 3, out6, false)],
  ['inbound tcp6 (tuple)', () => nat.handleInboundFlow(1, in6)],
  ['create+RST tcp4 (tuple)', () => nat.handleOutboundFlow(1, 4, rst, false)],
  [
    'copy+parse+outbound rewrite tcp4',
    () => {
      work.set(viewOut)
      pkt.reset(work, 0, viewOut.length)
      return nat.handleOutbound(1, 3, pkt, false)
    },
  ],
  [
    'copy+parse+inbound rewrite tcp4',
    () => {
      work.set(viewIn)
      pkt.reset(work, 0, viewIn.length)
      return nat.handleInbound(1, pkt)
    },
  ],
]

const N = 3_000_000
const out: {
  name: string
  calls: number
  heapBytes: number
  objects: number
  objectsPerCall: number
  verdict: unknown
}[] = []
for (const [name, fn] of cases) {
  let v: unknown
  for (let i = 0; i < 200_000; i++) v = fn()
  Bun.gc(true)
  const a = heapStats()
  for (let i = 0; i < N; i++) v = fn()
  Bun.gc(true)
  const b = heapStats()
  const objects = b.objectCount - a.objectCount
  out.push({
    name,
    calls: N,
    heapBytes: b.heapSize - a.heapSize,
    objects,
    objectsPerCall: objects / N,
    verdict: v,
  })
}
console.log(JSON.stringify(out))
