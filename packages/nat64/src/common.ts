/**
 * Shared pieces of both translation directions: the result setters, the
 * generated-error specs, and the checksum arithmetic.
 *
 * Checksum arithmetic (RFC 1071, RFC 1624): a checksum is the complement of
 * the folded ones' complement sum. Replacing words m by m' in the covered
 * data (an address in the pseudo-header, the ICMP type) gives, per RFC 1624
 * eq. 3, HC' = ~(~HC + ~m + m'). Summing several changes first and folding
 * once is the same: `adjust(HC, removed, added)` takes `removed` and `added`
 * as unfolded sums of the old and new words. Moving between ICMPv4 (no
 * pseudo-header) and ICMPv6 (RFC 4443 §2.3: pseudo-header included) is one
 * such change: the whole pseudo-header is "added" (4->6) or "removed" (6->4).
 */

import type { Icmpv4ErrorSpec, Icmpv6ErrorSpec } from '@gatehouse/icmp-errors'
import { finish, fold, get16, put16 } from '@gatehouse/ip-packet'
import { PROTO_TCP, PROTO_UDP } from './constants.ts'
import type { TranslateReason, TranslateResult } from './result.ts'

/** RFC 1624 eq. 3 over many words: `removed`/`added` are unfolded sums. */
export function adjust(checksum: number, removed: number, added: number): number {
  return finish((~checksum & 0xffff) + (~fold(removed) & 0xffff) + fold(added))
}

/** RFC 768 / RFC 8200 §8.1: a computed UDP checksum of 0 is sent as 0xffff. */
export function udpChecksum(c: number): number {
  return c === 0 ? 0xffff : c
}

/** Byte offset of the checksum in each transport header (RFC 9293 §3.1, RFC 768, RFC 792, RFC 4443). */
export const TCP_CHECKSUM_OFF = 16
export const UDP_CHECKSUM_OFF = 6
export const ICMP_CHECKSUM_OFF = 2

/**
 * RFC 7915 §4.3/§5.3: the transport checksum of the packet quoted in an ICMP error, after its IP header changed
 * family, updated incrementally (right for the whole original datagram even where the quote is cut short). Only
 * what was quoted (`quoted` bytes at `b[payOff..]`) is touched; call it only for a first (or no) fragment.
 * TCP/UDP: the pseudo-header addresses change from the unfolded sum `removed` to `added`; a zero UDP checksum
 * (none, IPv4) stays zero. ICMP echo (`icmpWord >= 0`, the new type << 8 | code): the type word is rewritten,
 * and `icmpRemoved`/`icmpAdded` are what else leaves or enters the sum (the ICMPv6 pseudo-header).
 */
export function fixQuotedTransport(
  b: Uint8Array,
  payOff: number,
  protocol: number,
  quoted: number,
  removed: number,
  added: number,
  icmpWord: number,
  icmpRemoved: number,
  icmpAdded: number,
): void {
  if (protocol === PROTO_TCP && quoted >= TCP_CHECKSUM_OFF + 2) {
    const c = payOff + TCP_CHECKSUM_OFF
    put16(b, c, adjust(get16(b, c), removed, added))
  } else if (protocol === PROTO_UDP && quoted >= 8) {
    const c = payOff + UDP_CHECKSUM_OFF
    const old = get16(b, c)
    if (old !== 0) put16(b, c, udpChecksum(adjust(old, removed, added)))
  } else if (icmpWord >= 0) {
    const c = payOff + ICMP_CHECKSUM_OFF
    put16(b, c, adjust(get16(b, c), get16(b, payOff) + icmpRemoved, icmpWord + icmpAdded))
    put16(b, payOff, icmpWord)
  }
}

export function drop(res: TranslateResult, reason: TranslateReason): TranslateResult {
  res.action = 'drop'
  res.reason = reason
  res.count = 0
  return res
}

/** `count` packets are ready; packets[0] is set by the caller. */
export function translated(res: TranslateResult, count: number): TranslateResult {
  res.action = 'translated'
  res.reason = null
  res.count = count
  return res
}

/** The builder's answer: bytes written into `errorBuf`, or why not. */
export function errorBuilt(
  res: TranslateResult,
  built: number | string,
  reason: TranslateReason,
): TranslateResult {
  if (typeof built === 'string') return drop(res, built)
  res.action = 'icmp-error'
  res.reason = reason
  res.count = 1
  const p = res.packets[0]
  p.buf = res.errorBuf
  p.off = 0
  p.len = built
  return res
}

/** The caller's monotonic clock for this call (ms), for the error rate limiter; set by `translate`. */
export const clock = { now: 0 }

/** One spec per direction, reused: a literal per call would allocate. */
export const spec4: Icmpv4ErrorSpec = {
  type: 0,
  code: 0,
  src: 0,
  mtu: 0,
  pointer: 0,
  ttl: 64,
  maxLen: 576,
  limiter: null,
  now: 0,
}
export const spec6: Icmpv6ErrorSpec = {
  type: 0,
  code: 0,
  src: new Uint8Array(16),
  srcOff: 0,
  mtu: 0,
  pointer: 0,
  hopLimit: 64,
  maxLen: 1280,
  limiter: null,
  now: 0,
}
