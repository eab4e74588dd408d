/**
 * A 32-bit mixer for hash-table keys built from packet fields (addresses, ports, ids). Not a checksum and not
 * cryptographic: it only spreads nearby inputs (consecutive ports or addresses) over all 32 bits, so the low bits a
 * power-of-two table indexes by differ too.
 */

/**
 * MurmurHash3's 32-bit finaliser (`fmix32`): xor-shift, multiply, xor-shift, multiply, xor-shift. A bijection on
 * u32 (every step is invertible), so distinct inputs never collide here; each input bit flips about half the output
 * bits. Returns an unsigned u32; `h` is read as its low 32 bits. Used by nat's session index (after its per-word
 * mixing) and nat64's RFC 6791 pool (to pick a stable pool address per router).
 */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
