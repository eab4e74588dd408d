/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * A checksum is the ones' complement of the ones' complement sum of 16-bit
 * big-endian words. `sum` returns the running sum *before* folding and
 * complementing so that several regions (a pseudo-header, a header, a
 * payload) can be chained: `finish(sum(b, o2, l2, sum(a, o1, l1, 0)))`.
 *
 * Incremental update, RFC 1624 eq. 3: HC' = ~(~HC + ~m + m'), where m is the
 * old 16-bit field and m' the new one. Eq. 3 (not eq. 2 of RFC 1141) never
 * yields the 0xffff/0x0000 ambiguity for a header that was correct before.
 */

/** Ones' complement sum of `len` bytes at `off`, added to `acc`; not folded. An odd tail byte is padded with zero (RFC 1071 §4.1). */
export function sum(buf: Uint8Array, off: number, len: number, acc: number): number {
  let s = acc
  const end = off + len
  let i = off
  // Unrolled by 4 words: a plain sum of up to 2^16 words cannot overflow a double's 53-bit mantissa.
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
