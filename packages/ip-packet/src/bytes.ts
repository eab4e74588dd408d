/**
 * Big-endian (network order) reads and writes on a Uint8Array, small enough for the JIT to inline. Exported
 * for packages that read or write fields ip-packet has no view for (nat64's IPv6 fragment header). No bounds
 * check: the caller keeps the field inside the buffer (past the end, bytes read as 0 and writes are lost).
 */

export const EMPTY = new Uint8Array(0)

/** The u16 at `b[o..o+2)`. */
export function get16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1]
}

/** The u32 at `b[o..o+4)`, unsigned. */
export function get32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
}

/** Write the low 16 bits of `v` at `b[o..o+2)`. */
export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8
  b[o + 1] = v
}

/** Write `v` (u32) at `b[o..o+4)`. */
export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24
  b[o + 1] = v >>> 16
  b[o + 2] = v >>> 8
  b[o + 3] = v
}
