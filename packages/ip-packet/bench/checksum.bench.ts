/**
 * Full Internet checksum of a 1500-byte packet, ours against the byte-pair loop it replaced and naive
 * versions, at a 4-aligned and two unaligned offsets; copy + checksum of an ICMP error's quote in one pass
 * against copy then sum; incremental against full after a rewrite.
 */
import { do_not_optimize, summary } from 'mitata'
import { sumBytes } from '../src/checksum.ts'
import { copyAndSum, finish, IpPacket, sum } from '../src/index.ts'
import { NEW_DST4, PACKETS } from './packets.ts'
import { warmBench } from './warm.ts'

const b1500 = new Uint8Array(1500).map((_, i) => (i * 31) & 0xff)
const dv = new DataView(b1500.buffer)
// The same bytes 1 and 2 bytes into a buffer: the word loop's unaligned head and tail.
const at1 = new Uint8Array(1504)
at1.set(b1500, 1)
const at2 = new Uint8Array(1504)
at2.set(b1500, 2)

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
  warmBench('checksum 1500B sum (32-bit words)', () => do_not_optimize(finish(sum(b1500, 0, 1500, 0))))
  warmBench('checksum 1500B byte pairs unrolled (sumBytes, the old sum)', () =>
    do_not_optimize(finish(sumBytes(b1500, 0, 1500, 0))),
  )
  warmBench('checksum 1500B naive word loop', () => do_not_optimize(naive(b1500, 1500)))
  warmBench('checksum 1500B DataView u32', () => do_not_optimize(viaDataView(dv, 1500)))
})

summary(() => {
  warmBench('checksum 1500B at +1 sum (32-bit words)', () => do_not_optimize(finish(sum(at1, 1, 1500, 0))))
  warmBench('checksum 1500B at +1 byte pairs (sumBytes)', () =>
    do_not_optimize(finish(sumBytes(at1, 1, 1500, 0))),
  )
})

summary(() => {
  warmBench('checksum 1500B at +2 sum (32-bit words)', () => do_not_optimize(finish(sum(at2, 2, 1500, 0))))
  warmBench('checksum 1500B at +2 byte pairs (sumBytes)', () =>
    do_not_optimize(finish(sumBytes(at2, 2, 1500, 0))),
  )
})

// An ICMPv6 error's largest quote (1280 - 40 - 8 bytes), copied into a pooled output buffer.
const quoteSrc = b1500
const quoteDst = new Uint8Array(1500)
summary(() => {
  warmBench('copy+checksum 1232B copyAndSum (one pass)', () =>
    do_not_optimize(copyAndSum(quoteSrc, 0, quoteDst, 48, 1232, 0)),
  )
  warmBench('copy+checksum 1232B byte copy, then sum', () => {
    for (let k = 0; k < 1232; k++) quoteDst[48 + k] = quoteSrc[k]
    do_not_optimize(sum(quoteDst, 48, 1232, 0))
  })
  warmBench('copy+checksum 1232B set(subarray), then sum (allocates a view)', () => {
    quoteDst.set(quoteSrc.subarray(0, 1232), 48)
    do_not_optimize(sum(quoteDst, 48, 1232, 0))
  })
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
