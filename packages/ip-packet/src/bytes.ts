/** Big-endian reads and writes on a Uint8Array; small enough for the JIT to inline. Internal. */

export const EMPTY = new Uint8Array(0)

export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1]
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8
  b[o + 1] = v
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24
  b[o + 1] = v >>> 16
  b[o + 2] = v >>> 8
  b[o + 3] = v
}
