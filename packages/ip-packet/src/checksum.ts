/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * A checksum is the ones' complement of the ones' complement sum of 16-bit
 * big-endian words. `sum` returns the running sum *before* folding and
 * complementing so that several regions (a pseudo-header, a header, a
 * payload) can be chained: `finish(sum(b, o2, l2, sum(a, o1, l1, 0)))`. `copyAndSum` copies a region
 * and returns the same running sum in one pass (an ICMP error's quote).
 *
 * Incremental update, RFC 1624 eq. 3: HC' = ~(~HC + ~m + m'), where m is the
 * old 16-bit field and m' the new one. Eq. 3 (not eq. 2 of RFC 1141) never
 * yields the 0xffff/0x0000 ambiguity for a header that was correct before.
 */

/**
 * Ones' complement sum of `len` bytes at `off`, added to `acc`; not folded. An odd tail byte is padded with
 * zero (RFC 1071 §4.1). The result is exactly `acc` plus the byte-pair sum (`Σ (b[2k] << 8 | b[2k+1])`), so
 * sums chain and compare as numbers, whichever loop computed them.
 *
 * From `WORD_MIN_LEN` bytes on, the bytes are read as 32-bit words (see "Word loop" above `sumWords`).
 */
export function sum(buf: Uint8Array, off: number, len: number, acc: number): number {
  // Kept tiny so that it inlines into the header checks, which sum 8-40 bytes.
  return len < WORD_MIN_LEN ? sumBytes(buf, off, len, acc) : sumLong(buf, off, len, acc)
}

/** The byte-pair loop: `sum` below `WORD_MIN_LEN`, and everywhere on a big-endian machine. Internal (the bench compares it). */
export function sumBytes(buf: Uint8Array, off: number, len: number, acc: number): number {
  let s = acc
  const end = off + len
  let i = off
  // Unrolled by 4 words. A double holds any sum of 16-bit words exactly up to 2^53: no overflow for any buffer.
  for (; i + 8 <= end; i += 8) {
    s +=
      ((buf[i] << 8) | buf[i + 1]) +
      ((buf[i + 2] << 8) | buf[i + 3]) +
      ((buf[i + 4] << 8) | buf[i + 5]) +
      ((buf[i + 6] << 8) | buf[i + 7])
  }
  for (; i + 2 <= end; i += 2) s += (buf[i] << 8) | buf[i + 1]
  if (i < end) s += buf[i] << 8
  return s
}

/*
 * Word loop. Reading four bytes per load through an `Int32Array` over the buffer's `ArrayBuffer` is ~1.5x
 * faster than byte pairs from 128 bytes on (README, "Benchmarks"). An `Int32Array` needs a 4-aligned
 * position, so the 0-3 bytes before the first aligned word and the 0-3 after the last are added one by one.
 *
 * Exactness: on a little-endian machine a word x holds memory bytes m0..m3 as m0 | m1<<8 | m2<<16 | m3<<24.
 * `x & 0x00ff00ff` is m0 + (m2 << 16) and `(x >>> 8) & 0x00ff00ff` is m1 + (m3 << 16): two accumulators
 * whose 16-bit lanes collect the bytes at even and at odd memory positions. The byte-pair sum is
 * 256 · (bytes at even positions of the region) + (bytes at odd positions), and a region position is even
 * where the memory position is when the unaligned head is even, odd otherwise (RFC 1071 §2(B): the sum
 * only depends on which bytes are high and which low). A lane cannot carry into its neighbour for
 * 256 words (255 · 256 < 2^16); 128-word chunks also keep each accumulator below 2^31, in int32 arithmetic,
 * which JSC's optimizing tiers keep unboxed (a value leaving int32 range sends them into deoptimization).
 */

/** Below this many bytes `sum` stays with byte pairs: the word loop's set-up costs what it saves (measured level at 128 B). */
export const WORD_MIN_LEN = 128
const CHUNK_WORDS = 128
const COPY_CHUNK_WORDS = 8192
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

// Word views of recently used ArrayBuffers: a table of VIEW_TABLE entries (round-robin replacement), and in
// front of it the last two Uint8Arrays seen (an identity check, cheaper than the native `.buffer` getter).
// A pool carved from a few ArrayBuffers never misses; a miss costs one Int32Array. The table keeps up to
// 8 ArrayBuffers alive; the identity entries two Uint8Arrays.
const VIEW_TABLE = 8
const EMPTY_WORDS = new Int32Array(0)
const tableKeys: (ArrayBufferLike | null)[] = [null, null, null, null, null, null, null, null]
const tableViews: Int32Array<ArrayBufferLike>[] = [
  EMPTY_WORDS,
  EMPTY_WORDS,
  EMPTY_WORDS,
  EMPTY_WORDS,
  EMPTY_WORDS,
  EMPTY_WORDS,
  EMPTY_WORDS,
  EMPTY_WORDS,
]
let tableNext = 0
let arr0: Uint8Array | null = null
let buf0: ArrayBufferLike | null = null
let words0: Int32Array<ArrayBufferLike> = EMPTY_WORDS
let arr1: Uint8Array | null = null
let buf1: ArrayBufferLike | null = null
let words1: Int32Array<ArrayBufferLike> = EMPTY_WORDS
/** The ArrayBuffer behind the array last passed to `wordsOf`. */
let lastBuf: ArrayBufferLike | null = null

function viewOf(b: ArrayBufferLike): Int32Array<ArrayBufferLike> {
  for (let i = 0; i < VIEW_TABLE; i++) if (tableKeys[i] === b) return tableViews[i]
  const v = new Int32Array(b, 0, b.byteLength >>> 2)
  tableKeys[tableNext] = b
  tableViews[tableNext] = v
  tableNext = (tableNext + 1) & (VIEW_TABLE - 1)
  return v
}

/** An Int32Array over all of `a`'s ArrayBuffer (index = byte address / 4); sets `lastBuf`. */
function wordsOf(a: Uint8Array): Int32Array<ArrayBufferLike> {
  if (a === arr0) {
    lastBuf = buf0
    return words0
  }
  if (a === arr1) {
    lastBuf = buf1
    return words1
  }
  arr1 = arr0
  buf1 = buf0
  words1 = words0
  arr0 = a
  buf0 = a.buffer
  words0 = viewOf(buf0)
  lastBuf = buf0
  return words0
}

/** Bytes `buf[from..to)` of a region, added as high or low halves by their position `k` in the region. */
function sumEdge(buf: Uint8Array, off: number, from: number, to: number, acc: number): number {
  let s = acc
  for (let k = from; k < to; k++) s += (k & 1) === 0 ? buf[off + k] << 8 : buf[off + k]
  return s
}

function sumLong(buf: Uint8Array, off: number, len: number, acc: number): number {
  if (!LITTLE_ENDIAN) return sumBytes(buf, off, len, acc)
  const w = wordsOf(buf)
  const start = buf.byteOffset + off
  const head = -start & 3
  const first = (start + head) >>> 2
  const words = (len - head) >>> 2
  // A length-tracking view may have outgrown its cached words (resizable ArrayBuffer): bytes are still right.
  if (first + words > w.length) return sumBytes(buf, off, len, acc)
  let s = sumEdge(buf, off, 0, head, acc)
  s += sumWords(w, first, words, (head & 1) !== 0)
  return sumEdge(buf, off, head + (words << 2), len, s)
}

/** The byte-pair sum of `n` words from `w[i]`; `oddStart`: the first word's first byte is at an odd region position. */
function sumWords(w: Int32Array<ArrayBufferLike>, i: number, n: number, oddStart: boolean): number {
  let even = 0
  let odd = 0
  const end = i + n
  let p = i
  while (p < end) {
    const stop = end - p > CHUNK_WORDS ? p + CHUNK_WORDS : end
    let lo = 0
    let hi = 0
    for (; p + 4 <= stop; p += 4) {
      const a = w[p]
      const b = w[p + 1]
      const c = w[p + 2]
      const d = w[p + 3]
      lo += (a & 0xff00ff) + (b & 0xff00ff) + (c & 0xff00ff) + (d & 0xff00ff)
      hi += ((a >>> 8) & 0xff00ff) + ((b >>> 8) & 0xff00ff) + ((c >>> 8) & 0xff00ff) + ((d >>> 8) & 0xff00ff)
    }
    for (; p < stop; p++) {
      const a = w[p]
      lo += a & 0xff00ff
      hi += (a >>> 8) & 0xff00ff
    }
    even += (lo & 0xffff) + (lo >>> 16)
    odd += (hi & 0xffff) + (hi >>> 16)
  }
  return oddStart ? odd * 256 + even : even * 256 + odd
}

/**
 * `copyAndSum`'s word loop: copies `n` words from `s[si]` to `d[di]` and returns their sum folded to 16 bits,
 * equal to their byte-pair sum mod 0xffff (zero only for zero bytes). It adds each word's two 16-bit halves
 * as read (little-endian: the byte at the even memory position low), two operations a word against the
 * lanes' three: the copy is the ICMP error builder's hot loop. RFC 1071 §2(B): such a sum is the network-order
 * sum byte-swapped, so the folded result is swapped back, unless the region started at an odd position (then
 * the bytes at even memory positions are the region's low bytes already). 8192-word chunks keep each
 * accumulator in int32 range (8192 · 2 · 0xffff < 2^31).
 */
function copyWords(
  s: Int32Array<ArrayBufferLike>,
  si: number,
  d: Int32Array<ArrayBufferLike>,
  di: number,
  n: number,
  oddStart: boolean,
): number {
  let total = 0
  const delta = di - si
  const end = si + n
  let p = si
  while (p < end) {
    const stop = end - p > COPY_CHUNK_WORDS ? p + COPY_CHUNK_WORDS : end
    let t = 0
    for (; p + 4 <= stop; p += 4) {
      const a = s[p]
      const b = s[p + 1]
      const c = s[p + 2]
      const e = s[p + 3]
      d[p + delta] = a
      d[p + delta + 1] = b
      d[p + delta + 2] = c
      d[p + delta + 3] = e
      t +=
        (a & 0xffff) +
        (a >>> 16) +
        (b & 0xffff) +
        (b >>> 16) +
        (c & 0xffff) +
        (c >>> 16) +
        (e & 0xffff) +
        (e >>> 16)
    }
    for (; p < stop; p++) {
      const a = s[p]
      d[p + delta] = a
      t += (a & 0xffff) + (a >>> 16)
    }
    total += t
  }
  const f = fold(total)
  return oddStart ? f : ((f & 0xff) << 8) | (f >>> 8)
}

/**
 * Copy `len` bytes from `src[srcOff..]` to `dst[dstOff..]` and return `acc` plus their sum, in one pass and
 * without allocating (an ICMP error's quote: copied once, checksummed once). Unfolded like `sum`'s, and equal
 * to `sum(dst, dstOff, len, acc)` after `fold`/`finish`, though not always as a number: from `WORD_MIN_LEN`
 * bytes on, the words' part is folded to 16 bits (see `copyWords`). The region must start on a 16-bit
 * boundary of the checksummed message.
 *
 * One pass over 32-bit words when both positions have the same alignment mod 4 (ring buffers carved at
 * multiples of 4 do); otherwise a byte copy, then `sum`. Where `src` and `dst` share an ArrayBuffer the copy
 * is `dst.set(src.subarray(..))`, safe for overlapping regions (allocates a view: a rare path).
 */
export function copyAndSum(
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  len: number,
  acc: number,
): number {
  const sw = wordsOf(src)
  const sb = lastBuf
  const dw = wordsOf(dst)
  if (sb === lastBuf) {
    dst.set(src.subarray(srcOff, srcOff + len), dstOff)
    return sum(dst, dstOff, len, acc)
  }
  const sa = src.byteOffset + srcOff
  const da = dst.byteOffset + dstOff
  if (len >= WORD_MIN_LEN && LITTLE_ENDIAN && ((sa ^ da) & 3) === 0) {
    const head = -sa & 3
    const words = (len - head) >>> 2
    const si = (sa + head) >>> 2
    const di = (da + head) >>> 2
    if (si + words <= sw.length && di + words <= dw.length) {
      for (let k = 0; k < head; k++) dst[dstOff + k] = src[srcOff + k]
      let s = sumEdge(dst, dstOff, 0, head, acc)
      s += copyWords(sw, si, dw, di, words, (head & 1) !== 0)
      const done = head + (words << 2)
      for (let k = done; k < len; k++) dst[dstOff + k] = src[srcOff + k]
      return sumEdge(dst, dstOff, done, len, s)
    }
  }
  for (let k = 0; k < len; k++) dst[dstOff + k] = src[srcOff + k]
  return sum(dst, dstOff, len, acc)
}

/** Fold a running sum to 16 bits with end-around carry. */
export function fold(acc: number): number {
  let s = acc
  // Above 2^32 the bit operators would truncate: reduce with division first (never taken for real packets).
  while (s > 0xffffffff) s = (s % 0x10000) + Math.floor(s / 0x10000)
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16)
  return s
}

/** The checksum field value for a running sum: the complement of the folded sum. */
export function finish(acc: number): number {
  return ~fold(acc) & 0xffff
}

/** Sum of the IPv4 pseudo-header (RFC 793 §3.1, RFC 768): addresses as u32, protocol, upper-layer length. */
export function pseudoV4(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length
}

/** Sum of the IPv6 pseudo-header (RFC 8200 §8.1): addresses read from the packet at `srcOff`/`dstOff`. */
export function pseudoV6(
  buf: Uint8Array,
  srcOff: number,
  dstOff: number,
  nextHeader: number,
  length: number,
): number {
  return sum(buf, srcOff, 16, sum(buf, dstOff, 16, 0)) + (length >>> 16) + (length & 0xffff) + nextHeader
}

/** RFC 1624 eq. 3: the checksum after one 16-bit word changed from `oldWord` to `newWord`. */
export function update16(checksum: number, oldWord: number, newWord: number): number {
  return finish((~checksum & 0xffff) + (~oldWord & 0xffff) + newWord)
}

/** RFC 1624 eq. 3 for a 32-bit field (an IPv4 address) changed from `oldValue` to `newValue`. */
export function update32(checksum: number, oldValue: number, newValue: number): number {
  return finish(
    (~checksum & 0xffff) +
      (~oldValue >>> 16) +
      (~oldValue & 0xffff) +
      (newValue >>> 16) +
      (newValue & 0xffff),
  )
}

/**
 * The RFC 1624 eq. 3 difference term for one 16-bit word changed from `oldWord`
 * to `newWord`: ~m + m'. Several differences add up and are applied once with
 * `applyDiff`, so a rewrite touching many words folds only once.
 */
export function diff16(oldWord: number, newWord: number): number {
  return (~oldWord & 0xffff) + newWord
}

/** The difference term for a 32-bit field (two words). */
export function diff32(oldValue: number, newValue: number): number {
  return (~oldValue >>> 16) + (~oldValue & 0xffff) + (newValue >>> 16) + (newValue & 0xffff)
}

/** The difference term for the 16 bytes at `oldBuf[oldOff..]` replaced by those at `newBuf[newOff..]` (an IPv6 address). */
export function diff128(oldBuf: Uint8Array, oldOff: number, newBuf: Uint8Array, newOff: number): number {
  let d = 0
  for (let i = 0; i < 16; i += 2) {
    d +=
      (~((oldBuf[oldOff + i] << 8) | oldBuf[oldOff + i + 1]) & 0xffff) +
      ((newBuf[newOff + i] << 8) | newBuf[newOff + i + 1])
  }
  return d
}

/** RFC 1624 eq. 3: HC' = ~(~HC + Σ(~m + m')), given the summed difference terms. */
export function applyDiff(checksum: number, diff: number): number {
  // diff is a short sum of 16-bit terms (< 2^32), so two end-around folds suffice.
  let s = (~checksum & 0xffff) + diff
  s = (s & 0xffff) + (s >>> 16)
  s = (s & 0xffff) + (s >>> 16)
  return ~s & 0xffff
}
