/**
 * TAI64N timestamps (paper §5.4.2; cr.yp.to/libtai/tai64.html): 8 bytes big-endian seconds offset
 * by 2^62 (plus the TAI−UTC offset of 10 s, as wireguard-go writes it), then 4 bytes big-endian
 * nanoseconds. The responder only checks that each initiation's timestamp is greater than the last
 * one it accepted from that peer, so a replayed initiation is rejected.
 *
 * Like wireguard-go, nanoseconds are rounded down to a multiple of 2^24 ns (≈16.8 ms) so the
 * timestamp does not leak a fine-grained clock.
 */

export const TAI64N_LEN = 12
const BASE_HI = 0x4000_0000 // 2^62 as the high 32 bits of the 64-bit seconds field
const TAI_OFFSET_S = 10
const WHITENER_MASK = 0x1000000 - 1

/** Writes the TAI64N form of `wallMs` (ms since the Unix epoch) into `out[off..off+12)`. */
export function writeTai64n(out: Uint8Array, off: number, wallMs: number): void {
  const secs = Math.floor(wallMs / 1000) + TAI_OFFSET_S
  const nanos = (Math.floor(wallMs - Math.floor(wallMs / 1000) * 1000) * 1_000_000) & ~WHITENER_MASK
  const v = new DataView(out.buffer, out.byteOffset + off, TAI64N_LEN)
  v.setUint32(0, BASE_HI + Math.floor(secs / 0x1_0000_0000), false)
  v.setUint32(4, secs >>> 0, false)
  v.setUint32(8, nanos >>> 0, false)
}

/** True when timestamp `a` (at `aOff`) is strictly after `b` (at `bOff`): big-endian byte order. */
export function tai64nAfter(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  for (let i = 0; i < TAI64N_LEN; i++) {
    const x = a[aOff + i]
    const y = b[bOff + i]
    if (x !== y) return x > y
  }
  return false
}
