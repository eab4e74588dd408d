/** Full Internet checksum of a 1500-byte packet, ours against naive versions; incremental against full after a rewrite. */
import { do_not_optimize, summary } from 'mitata'
import { finish, IpPacket, sum } from '../src/index.ts'
import { NEW_DST4, PACKETS } from './packets.ts'
import { warmBench } from './warm.ts'

const b1500 = new Uint8Array(1500).map((_, i) => (i * 31) & 0xff)
const dv = new DataView(b1500.buffer)

/** The textbook loop: one 16-bit word per iteration, fold at the end. */
function naive(b: Uint8Array, len: number): number {
  let s = 0
  for (let i = 0; i + 1 < len; i += 2) s += (b[i] << 8) | b[i + 1]
  if (len & 1) s += b[len - 1] << 8
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16)
  return ~s & 0xffff
}

/** 32-bit reads through a DataView. */
function viaDataView(v: DataView, len: number): number {
  let s = 0
  let i = 0
  for (; i + 4 <= len; i += 4) {
    const w = v.getUint32(i)
    s += (w >>> 16) + (w & 0xffff)
  }
  for (; i + 2 <= len; i += 2) s += v.getUint16(i)
  if (i < len) s += v.getUint8(i) << 8
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16)
  return ~s & 0xffff
}

summary(() => {
  warmBench('checksum 1500B (sum, unrolled)', () => do_not_optimize(finish(sum(b1500, 0, 1500, 0))))
  warmBench('checksum 1500B naive word loop', () => do_not_optimize(naive(b1500, 1500)))
  warmBench('checksum 1500B DataView u32', () => do_not_optimize(viaDataView(dv, 1500)))
})

summary(() => {
  const udp = PACKETS.find((p) => p.name === 'udp4 64B')!
  const work = Uint8Array.from(udp.bytes)
  const p = new IpPacket()
  p.reset(work, 0, work.length)
  let i = 0
  warmBench('rewrite dst+port udp4 64B incremental (RFC 1624)', () => {
    const j = i++ & 1
    p.setDst4(NEW_DST4[j])
    p.setDstPort(1000 + j)
    do_not_optimize(p.l4ChecksumOff)
  })
  const work2 = Uint8Array.from(udp.bytes)
  const q = new IpPacket()
  q.reset(work2, 0, work2.length)
  let k = 0
  warmBench('rewrite dst+port udp4 64B full recompute', () => {
    const j = k++ & 1
    q.ipv4.setDstAddr(NEW_DST4[j])
    q.udp.setDstPort(1000 + j)
    q.dst4 = NEW_DST4[j]
    q.fillChecksums()
    do_not_optimize(q.l4ChecksumOff)
  })
})
