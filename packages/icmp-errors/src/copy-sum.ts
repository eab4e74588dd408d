/**
 * TO MOVE to @gatehouse/ip-packet's checksum.ts (a checksum primitive, kept
 * here until it lands there; see README "Why hand-written").
 *
 * Copy `n` bytes and return their Internet checksum partial sum in one pass,
 * without allocating. Building an error copies up to 1232 bytes of quote and
 * checksums them; done byte by byte that is ~4x the issue's 150 ns budget.
 *
 * The fast path reads and writes 32-bit words through `Int32Array` views of
 * the two underlying `ArrayBuffer`s (made once per buffer and cached: pooled
 * buffers hit the cache) and sums their 16-bit halves in int32 arithmetic,
 * which cannot overflow for n < 2^16 * 4 bytes (an IP packet is < 2^16). The words are read in the platform's byte
 * order; the ones' complement sum is byte-order independent up to a final
 * byte swap (RFC 1071 §2(B)), so on a little-endian machine the folded sum is
 * swapped back. Both offsets must be 4-byte aligned in their buffers;
 * otherwise (or on a big-endian machine) it falls back to a byte copy and
 * ip-packet's `sum`.
 *
 * The result is a partial sum as `sum()` returns it (not complemented), for
 * a region starting on a 16-bit boundary of the checksummed message.
 */

import { fold, sum } from '@gatehouse/ip-packet'

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

// Word views of recently used ArrayBuffers: a table of VIEW_CACHE entries (round-robin replacement), and
// in front of it the last Uint8Array seen on each side (an identity check, cheaper than the native
// `.buffer` getter). A pool carved from a few ArrayBuffers never misses; a miss costs one Int32Array.
const VIEW_CACHE = 8
const cacheKeys: (ArrayBufferLike | null)[] = [null, null, null, null, null, null, null, null]
const cacheViews: Int32Array<ArrayBufferLike>[] = cacheKeys.map(() => new Int32Array(0))
let cacheNext = 0

function viewOf(b: ArrayBufferLike): Int32Array<ArrayBufferLike> {
  for (let i = 0; i < VIEW_CACHE; i++) if (cacheKeys[i] === b) return cacheViews[i]
  const v = new Int32Array(b, 0, b.byteLength >>> 2)
  cacheKeys[cacheNext] = b
  cacheViews[cacheNext] = v
  cacheNext = (cacheNext + 1) & (VIEW_CACHE - 1)
  return v
}

let srcArr: Uint8Array | null = null
let srcBuf: ArrayBufferLike | null = null
let srcWords: Int32Array<ArrayBufferLike> = new Int32Array(0)
let dstArr: Uint8Array | null = null
let dstBuf: ArrayBufferLike | null = null
let dstWords: Int32Array<ArrayBufferLike> = new Int32Array(0)

function cacheSrc(a: Uint8Array): void {
  srcArr = a
  srcBuf = a.buffer
  srcWords = viewOf(srcBuf)
}

function cacheDst(a: Uint8Array): void {
  dstArr = a
  dstBuf = a.buffer
  dstWords = viewOf(dstBuf)
}

/** Copy `src[srcOff..+n]` to `dst[dstOff..]` and return the bytes' unfolded checksum sum. */
export function copyAndSum(
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  n: number,
): number {
  const sa = src.byteOffset + srcOff
  const da = dst.byteOffset + dstOff
  if (src !== srcArr) cacheSrc(src)
  if (dst !== dstArr) cacheDst(dst)
  if (srcBuf === dstBuf) {
    // Same memory: `set` copies as if through a temporary, so overlap is safe (rare path; allocates a view).
    dst.set(src.subarray(srcOff, srcOff + n), dstOff)
    return sum(dst, dstOff, n, 0)
  }
  if (!LITTLE_ENDIAN || ((sa | da) & 3) !== 0) {
    for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]
    return sum(dst, dstOff, n, 0)
  }
  const words = n >>> 2
  const acc = wordLoop(srcWords, sa >>> 2, dstWords, da >>> 2, words)
  // Fold the little-endian word sum to 16 bits, then swap to network order.
  const f = fold(acc)
  let s = ((f & 0xff) << 8) | (f >>> 8)
  const done = words << 2
  if (done < n) {
    for (let k = done; k < n; k++) dst[dstOff + k] = src[srcOff + k]
    s = sum(dst, dstOff + done, n - done, s)
  }
  return s
}

/** The hot loop on its own, so the JIT sees a small function with fixed types. */
function wordLoop(
  s32: Int32Array<ArrayBufferLike>,
  si: number,
  d32: Int32Array<ArrayBufferLike>,
  di: number,
  words: number,
): number {
  let acc = 0
  let i = 0
  for (; i + 4 <= words; i += 4) {
    const a = s32[si + i]
    const b = s32[si + i + 1]
    const c = s32[si + i + 2]
    const d = s32[si + i + 3]
    d32[di + i] = a
    d32[di + i + 1] = b
    d32[di + i + 2] = c
    d32[di + i + 3] = d
    // Each word as two 16-bit halves: int32 arithmetic throughout (a u32 sum would leave int32 range
    // and send JSC's optimizing tiers into repeated deoptimization on random data).
    acc +=
      (a & 0xffff) +
      (a >>> 16) +
      (b & 0xffff) +
      (b >>> 16) +
      (c & 0xffff) +
      (c >>> 16) +
      (d & 0xffff) +
      (d >>> 16)
  }
  for (; i < words; i++) {
    const w = s32[si + i]
    d32[di + i] = w
    acc += (w & 0xffff) + (w >>> 16)
  }
  return acc
}
