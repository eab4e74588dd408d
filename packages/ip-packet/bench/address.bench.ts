/**
 * Address representation (issue 2): how to compare and key IPv6 addresses that
 * stay in the packet buffer. Each case scans a 16-entry table (a NAT bucket)
 * whose addresses differ only in the last byte, so every compare reads all 16
 * bytes: ipv6Equals (u32 words built from bytes), a byte loop, xor-or, DataView
 * getUint32, the packet's address read once as 4 words against a table of u32
 * words, and a Uint32Array view of the buffer (only valid at 4-aligned offsets). Times are per scan
 * of 16 addresses.
 */
import { do_not_optimize, summary } from 'mitata'
import { ipv6Equals, ipv6FromText, ipv6Word } from '../src/index.ts'
import { warmBench } from './warm.ts'

const ENTRIES = 16
const TABLE = 64 // table starts here; the packet's address is at 24 (an IPv6 dst offset)
const buf = new Uint8Array(TABLE + 16 * ENTRIES)
ipv6FromText('fd00:2021:1111:8000::3', buf, 24)
for (let e = 0; e < ENTRIES; e++) {
  ipv6FromText('fd00:2021:1111:8000::3', buf, TABLE + 16 * e)
  buf[TABLE + 16 * e + 15] = e + 3 - ENTRIES + 1 // only the last entry equals the packet's address
}
const dv = new DataView(buf.buffer)
/** The same table kept as big-endian u32 words (ipv6Word values), as a NAT table of our own would store it. */
const words = new Uint32Array(4 * ENTRIES)
for (let e = 0; e < ENTRIES; e++)
  for (let k = 0; k < 4; k++) words[4 * e + k] = ipv6Word(buf, TABLE + 16 * e, k)
const u32 = new Uint32Array(buf.buffer)
// The packet offset alternates between two copies so that the JIT cannot hoist the scan out of the loop.
ipv6FromText('fd00:2021:1111:8000::3', buf, 40)
let i = 0
const at = () => 24 + ((i++ & 1) << 4)

function byteLoop(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let k = 0; k < 16; k++) if (a[ao + k] !== b[bo + k]) return false
  return true
}
function xorOr(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  let x = 0
  for (let k = 0; k < 16; k++) x |= a[ao + k] ^ b[bo + k]
  return x === 0
}
function viaDataView(v: DataView, ao: number, bo: number): boolean {
  return (
    v.getUint32(ao) === v.getUint32(bo) &&
    v.getUint32(ao + 4) === v.getUint32(bo + 4) &&
    v.getUint32(ao + 8) === v.getUint32(bo + 8) &&
    v.getUint32(ao + 12) === v.getUint32(bo + 12)
  )
}
function viaU32(w: Uint32Array, ai: number, bi: number): boolean {
  return w[ai] === w[bi] && w[ai + 1] === w[bi + 1] && w[ai + 2] === w[bi + 2] && w[ai + 3] === w[bi + 3]
}

summary(() => {
  warmBench('ipv6 scan 16: byte loop', () => {
    const o = at()
    let n = 0
    for (let e = 0; e < ENTRIES; e++) if (byteLoop(buf, o, buf, TABLE + 16 * e)) n++
    do_not_optimize(n)
  })
  warmBench('ipv6 scan 16: ipv6Equals (u32 words from bytes)', () => {
    const o = at()
    let n = 0
    for (let e = 0; e < ENTRIES; e++) if (ipv6Equals(buf, o, buf, TABLE + 16 * e)) n++
    do_not_optimize(n)
  })
  warmBench('ipv6 scan 16: xor-or', () => {
    const o = at()
    let n = 0
    for (let e = 0; e < ENTRIES; e++) if (xorOr(buf, o, buf, TABLE + 16 * e)) n++
    do_not_optimize(n)
  })
  warmBench('ipv6 scan 16: DataView getUint32', () => {
    const o = at()
    let n = 0
    for (let e = 0; e < ENTRIES; e++) if (viaDataView(dv, o, TABLE + 16 * e)) n++
    do_not_optimize(n)
  })
  warmBench('ipv6 scan 16: packet read once as 4 words (ipv6Word), table of u32 words', () => {
    const o = at()
    const w0 = ipv6Word(buf, o, 0)
    const w1 = ipv6Word(buf, o, 1)
    const w2 = ipv6Word(buf, o, 2)
    const w3 = ipv6Word(buf, o, 3)
    let n = 0
    for (let e = 0; e < 4 * ENTRIES; e += 4) {
      if (words[e] === w0 && words[e + 1] === w1 && words[e + 2] === w2 && words[e + 3] === w3) n++
    }
    do_not_optimize(n)
  })
  warmBench('ipv6 scan 16: Uint32Array (aligned only)', () => {
    const o = at() >> 2
    let n = 0
    for (let e = 0; e < ENTRIES; e++) if (viaU32(u32, o, (TABLE >> 2) + 4 * e)) n++
    do_not_optimize(n)
  })
})

/** FNV-1a over the address as four u32 words (what a NAT key hash reads via ipv6Word). */
function hashWords(b: Uint8Array, o: number): number {
  let h = 0x811c9dc5
  for (let k = 0; k < 16; k += 4) {
    h = Math.imul(
      h ^ ((b[o + k] << 24) | (b[o + k + 1] << 16) | (b[o + k + 2] << 8) | b[o + k + 3]),
      16777619,
    )
  }
  return h
}
function hashDataView(v: DataView, o: number): number {
  let h = 0x811c9dc5
  for (let k = 0; k < 16; k += 4) h = Math.imul(h ^ v.getUint32(o + k), 16777619)
  return h
}
function hashBytes(b: Uint8Array, o: number): number {
  let h = 0x811c9dc5
  for (let k = 0; k < 16; k++) h = Math.imul(h ^ b[o + k], 16777619)
  return h
}

summary(() => {
  warmBench('ipv6 hash 16: u32 words from bytes (ipv6Word)', () => {
    let h = i++
    for (let e = 0; e < ENTRIES; e++) h ^= hashWords(buf, TABLE + 16 * e)
    do_not_optimize(h)
  })
  warmBench('ipv6 hash 16: DataView getUint32', () => {
    let h = i++
    for (let e = 0; e < ENTRIES; e++) h ^= hashDataView(dv, TABLE + 16 * e)
    do_not_optimize(h)
  })
  warmBench('ipv6 hash 16: single bytes', () => {
    let h = i++
    for (let e = 0; e < ENTRIES; e++) h ^= hashBytes(buf, TABLE + 16 * e)
    do_not_optimize(h)
  })
})
