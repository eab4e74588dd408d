/** Issue 2 benchmarks: parse; parse + routing key; rewrite dst address + port (incremental checksums), per kind. */
import { do_not_optimize, summary } from 'mitata'
import { IpPacket, ipv6Word, L4_ICMP } from '../src/index.ts'
import { NEW_DST4, NEW_DST6, PACKETS } from './packets.ts'
import { warmBench } from './warm.ts'

const pkt = new IpPacket()

/** The routing key folded into one number so nothing is optimised away; IPv6 addresses read as 4 u32 words each. */
function routingKey(p: IpPacket): number {
  let k = p.protocol ^ (p.srcPort << 8) ^ (p.dstPort << 16)
  if (p.version === 4) return k ^ p.src4 ^ p.dst4
  const b = p.buf
  for (let i = 0; i < 4; i++) k ^= ipv6Word(b, p.srcAddrOff, i) ^ ipv6Word(b, p.dstAddrOff, i)
  return k
}

summary(() => {
  for (const { name, bytes } of PACKETS) {
    warmBench(`parse ${name}`, () => do_not_optimize(pkt.reset(bytes, 0, bytes.length)))
  }
})

summary(() => {
  for (const { name, bytes } of PACKETS) {
    warmBench(`parse+key ${name}`, () => {
      pkt.reset(bytes, 0, bytes.length)
      do_not_optimize(routingKey(pkt))
    })
  }
})

summary(() => {
  for (const { name, bytes, v6 } of PACKETS) {
    const work = Uint8Array.from(bytes)
    const p = new IpPacket()
    p.reset(work, 0, work.length)
    let i = 0
    warmBench(`rewrite dst+port ${name}`, () => {
      const j = i++ & 1
      if (v6) p.setDst6(NEW_DST6, j << 4)
      else p.setDst4(NEW_DST4[j])
      if (p.l4 === L4_ICMP) p.setEchoId(1000 + j)
      else p.setDstPort(1000 + j)
      do_not_optimize(p.l4ChecksumOff)
    })
  }
})
