/**
 * Address representation (issue 2): how to compare and key IPv6 addresses that
 * stay in the packet buffer. Compared in one summary: four u32 words built from
 * bytes (what ipv6Equals/ipv6Word do), a 16-byte loop, DataView getUint32, and
 * a Uint32Array view (only valid when the offset is 4-aligned).
 */
import { bench, do_not_optimize, summary } from 'mitata'
import { ipv6Equals, ipv6FromText } from '../src/index.ts'

const buf = new Uint8Array(128)
ipv6FromText('fd00:2021:1111:8000::3', buf, 24) // the IPv6 dst offset in a packet
ipv6FromText('fd00:2021:1111:8000::3', buf, 64) // a table entry elsewhere
const dv = new DataView(buf.buffer)
const u32 = new Uint32Array(buf.buffer)

function equalsBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 16; i++) if (a[ao + i] !== b[bo + i]) return false
  return true
}
function equalsXorOr(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  let x = 0
  for (let i = 0; i < 16; i++) x |= a[ao + i] ^ b[bo + i]
  return x === 0
}
function equalsDataView(v: DataView, ao: number, bo: number): boolean {
  return (
    v.getUint32(ao) === v.getUint32(bo) &&
    v.getUint32(ao + 4) === v.getUint32(bo + 4) &&
    v.getUint32(ao + 8) === v.getUint32(bo + 8) &&
    v.getUint32(ao + 12) === v.getUint32(bo + 12)
  )
}
function equalsU32(w: Uint32Array, ai: number, bi: number): boolean {
  return w[ai] === w[bi] && w[ai + 1] === w[bi + 1] && w[ai + 2] === w[bi + 2] && w[ai + 3] === w[bi + 3]
}

summary(() => {
  bench('ipv6 equal: ipv6Equals', () => do_not_optimize(ipv6Equals(buf, 24, buf, 64)))
  bench('ipv6 equal: byte loop, early exit', () => do_not_optimize(equalsBytes(buf, 24, buf, 64)))
  bench('ipv6 equal: byte loop, xor-or', () => do_not_optimize(equalsXorOr(buf, 24, buf, 64)))
  bench('ipv6 equal: DataView getUint32', () => do_not_optimize(equalsDataView(dv, 24, 64)))
  bench('ipv6 equal: Uint32Array (aligned only)', () => do_not_optimize(equalsU32(u32, 6, 16)))
})

/** A NAT key hash over an IPv6 address: read 4 words. */
function hashWords(b: Uint8Array, o: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < 16; i += 4) {
    h = Math.imul(
      h ^ (((b[o + i] << 24) | (b[o + i + 1] << 16) | (b[o + i + 2] << 8) | b[o + i + 3]) >>> 0),
      16777619,
    )
  }
  return h
}
function hashDataView(v: DataView, o: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < 16; i += 4) h = Math.imul(h ^ v.getUint32(o + i), 16777619)
  return h
}
function hashBytes(b: Uint8Array, o: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ b[o + i], 16777619)
  return h
}

summary(() => {
  bench('ipv6 hash: u32 words from bytes', () => do_not_optimize(hashWords(buf, 24)))
  bench('ipv6 hash: DataView getUint32', () => do_not_optimize(hashDataView(dv, 24)))
  bench('ipv6 hash: 16 single bytes', () => do_not_optimize(hashBytes(buf, 24)))
})
