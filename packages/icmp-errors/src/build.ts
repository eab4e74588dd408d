/**
 * Building ICMP errors: an offending packet in, an error packet out.
 *
 * The error goes back to the offending packet's source, from the address the
 * caller names (the gateway's tunnel IP of that family), and quotes as much of
 * the offending datagram as fits under 576 bytes for IPv4 (RFC 1812 §4.3.2.3)
 * or 1280 bytes for IPv6 (RFC 4443 §2.4(c)). Before writing anything the
 * builder applies the "never send" rules (RFC 1122 §3.2.2, RFC 1812 §4.3.2.7,
 * RFC 4443 §2.4(e)) and, when given one, the rate limiter; a refusal is a
 * reason string, never an exception. Nothing is allocated: the error is
 * written into the caller's (pooled) buffer.
 */

import { copyAndSum, copyBytes, finish, get32, pseudoV6, sum } from '@gatehouse/ip-packet'
import {
  DEFAULT_TTL,
  ICMP_HEADER_LEN,
  ICMPV4_ADMIN_PROHIBITED,
  ICMPV4_DEST_UNREACHABLE,
  ICMPV4_ERROR_MAX_LEN,
  ICMPV4_FRAGMENTATION_NEEDED,
  ICMPV4_HOST_UNREACHABLE,
  ICMPV4_NET_UNREACHABLE,
  ICMPV4_PARAMETER_PROBLEM,
  ICMPV4_PORT_UNREACHABLE,
  ICMPV4_REDIRECT,
  ICMPV4_TIME_EXCEEDED,
  ICMPV6_ADDRESS_UNREACHABLE,
  ICMPV6_ADMIN_PROHIBITED,
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_ERROR_MAX_LEN,
  ICMPV6_NO_ROUTE,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PARAM_UNRECOGNIZED_OPTION,
  ICMPV6_PARAMETER_PROBLEM,
  ICMPV6_PORT_UNREACHABLE,
  ICMPV6_REDIRECT,
  ICMPV6_TIME_EXCEEDED,
  IPV4_HEADER_LEN,
  IPV6_HEADER_LEN,
  PROTO_ICMP,
  PROTO_ICMPV6,
} from './constants.ts'
import { newOffending, type Offending, peekV4, peekV6 } from './peek.ts'
import { derivedQuoteSum } from './quote-sum.ts'
import type { IcmpRateLimiter } from './rate-limit.ts'
import type { IcmpReason } from './reasons.ts'

/**
 * What to build for an IPv4 offending packet. Keep one object per call site
 * and change its fields (a literal per call allocates).
 */
export interface Icmpv4ErrorSpec {
  /** 3 Destination Unreachable, 11 Time Exceeded or 12 Parameter Problem. */
  type: number
  code: number
  /** The error's source address (u32), e.g. the gateway's tunnel IPv4. */
  src: number
  /** Next-hop MTU for 3/4 Fragmentation Needed (RFC 1191 §4), bytes 6-7. */
  mtu?: number
  /** Octet offset of the problem for 12 Parameter Problem (RFC 792), byte 4. */
  pointer?: number
  /** TTL of the error; default 64. */
  ttl?: number
  /** Upper bound on the whole error's length; default 576 (RFC 1812 §4.3.2.3). */
  maxLen?: number
  /** When set, the error is refused with 'icmp-rate-limited' unless `limiter.allowV4(now, dst)` agrees. */
  limiter?: IcmpRateLimiter | null
  /** Monotonic milliseconds, for `limiter`. */
  now?: number
}

/** What to build for an IPv6 offending packet. Keep one object per call site. */
export interface Icmpv6ErrorSpec {
  /** 1 Destination Unreachable, 2 Packet Too Big, 3 Time Exceeded or 4 Parameter Problem. */
  type: number
  code: number
  /** The error's source address: the 16 bytes at `src[srcOff..]`. */
  src: Uint8Array
  srcOff?: number
  /** MTU for 2 Packet Too Big (RFC 4443 §3.2), bytes 4-7. */
  mtu?: number
  /** Octet offset of the problem for 4 Parameter Problem (RFC 4443 §3.4), bytes 4-7. */
  pointer?: number
  /** Hop limit of the error; default 64. */
  hopLimit?: number
  /** Upper bound on the whole error's length; default 1280 (RFC 4443 §2.4(c)). */
  maxLen?: number
  limiter?: IcmpRateLimiter | null
  now?: number
}

const off4 = newOffending()
const off6 = newOffending()

/** Whether the quote's sum is derived from the transport checksum when it can be (quote-sum.ts). */
let deriveQuoteSum = true

/**
 * Turn the derived quote sum off (every quote copied and summed with `copyAndSum`) or back on. For the
 * tests and the bench, which compare both paths; not exported from index.ts.
 */
export function useDerivedQuoteSum(on: boolean): void {
  deriveQuoteSum = on
}

/** Copy the quote `pkt[off..off+quote)` to `out[to..]` and return its sum (unfolded; compare after `fold`). */
function copyQuote(
  pkt: Uint8Array,
  off: number,
  quote: number,
  o: Offending,
  v6: boolean,
  out: Uint8Array,
  to: number,
): number {
  const derived = deriveQuoteSum ? derivedQuoteSum(pkt, off, quote, o, v6) : -1
  if (derived < 0) return copyAndSum(pkt, off, out, to, quote, 0)
  copyBytes(pkt, off, out, to, quote)
  return derived
}

/** RFC 1122 §3.2.2 / RFC 1812 §4.3.2.7: is ICMPv4 `type` an error (or unknown, which Linux also never answers)? */
function isIcmpv4Error(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12 || type > 18
}

/**
 * The never-send checks for an IPv4 offending packet, without building
 * anything: null when an error may be sent. `peekV4` must have succeeded.
 */
function declineV4(b: Uint8Array, off: number): IcmpReason | null {
  // RFC 1812 §4.3.2.7 / RFC 1122 §3.2.2: not about an ICMP error message.
  if (off4.icmpType >= 0 && isIcmpv4Error(off4.icmpType)) {
    return off4.icmpType === ICMPV4_REDIRECT ? 'icmp-about-redirect' : 'icmp-about-icmp-error'
  }
  // ... nor about a fragment other than the first.
  if (off4.nonFirstFragment) return 'icmp-non-first-fragment'
  // ... nor about a datagram sent to a broadcast or multicast address.
  const d0 = b[off + 16]
  if (d0 >= 224 && d0 <= 239) return 'icmp-dst-multicast'
  if (d0 === 255 && b[off + 17] === 255 && b[off + 18] === 255 && b[off + 19] === 255)
    return 'icmp-dst-broadcast'
  // ... nor about a datagram whose source does not name a single host:
  // zero, loopback, broadcast, multicast or Class E.
  const s0 = b[off + 12]
  if (s0 === 0) return 'icmp-src-unspecified'
  if (s0 === 127) return 'icmp-src-loopback'
  if (s0 >= 224 && s0 <= 239) return 'icmp-src-multicast'
  if (s0 === 255 && b[off + 13] === 255 && b[off + 14] === 255 && b[off + 15] === 255)
    return 'icmp-src-broadcast'
  if (s0 >= 240) return 'icmp-src-reserved'
  return null
}

/**
 * Build an ICMPv4 error about the IPv4 packet at `pkt[off..off+len]` into
 * `out[outOff..]`. Returns the number of bytes written (a whole IPv4 packet),
 * or why nothing was written. `out[outOff..]` must not overlap the offending
 * packet (the header is written before the quote is copied).
 */
export function buildIcmpv4Error(
  pkt: Uint8Array,
  off: number,
  len: number,
  spec: Icmpv4ErrorSpec,
  out: Uint8Array,
  outOff: number,
): number | IcmpReason {
  const type = spec.type
  if (
    type !== ICMPV4_DEST_UNREACHABLE &&
    type !== ICMPV4_TIME_EXCEEDED &&
    type !== ICMPV4_PARAMETER_PROBLEM
  ) {
    return 'icmp-unsupported-type'
  }
  if (!peekV4(pkt, off, len, off4)) return 'icmp-offending-malformed'
  const reason = declineV4(pkt, off)
  if (reason !== null) return reason
  // RFC 792: at least the IP header and the first 8 bytes of its payload (or all of it, if shorter).
  const datagram = off4.datagramLen
  const minQuote = Math.min(off4.headerLen + 8, datagram)
  const maxLen = spec.maxLen ?? ICMPV4_ERROR_MAX_LEN
  let quote = maxLen - IPV4_HEADER_LEN - ICMP_HEADER_LEN
  if (quote > datagram) quote = datagram
  const room = out.length - outOff - IPV4_HEADER_LEN - ICMP_HEADER_LEN
  if (quote > room) quote = room
  if (quote < minQuote || outOff < 0) return 'icmp-buffer-too-small'
  const dst = get32(pkt, off + 12)
  const limiter = spec.limiter
  if (limiter != null && !limiter.allowV4(spec.now ?? 0, dst)) return 'icmp-rate-limited'

  const total = IPV4_HEADER_LEN + ICMP_HEADER_LEN + quote
  const src = spec.src >>> 0
  const o = outOff
  // RFC 791 §3.1 header, no options.
  out[o] = 0x45
  // RFC 1812 §4.3.2.5: TOS as the offending packet's, precedence 6 (internetwork control).
  out[o + 1] = (pkt[off + 1] & 0x1c) | 0xc0
  out[o + 2] = total >> 8
  out[o + 3] = total & 0xff
  // RFC 6864 §4.2: an atomic datagram (DF set, never fragmented: an error is at most 576 bytes) may carry
  // any identification, so 0 needs no per-destination counter.
  out[o + 4] = 0
  out[o + 5] = 0
  out[o + 6] = 0x40
  out[o + 7] = 0
  out[o + 8] = spec.ttl ?? DEFAULT_TTL
  out[o + 9] = PROTO_ICMP
  out[o + 10] = 0
  out[o + 11] = 0
  out[o + 12] = src >>> 24
  out[o + 13] = (src >>> 16) & 0xff
  out[o + 14] = (src >>> 8) & 0xff
  out[o + 15] = src & 0xff
  out[o + 16] = pkt[off + 12]
  out[o + 17] = pkt[off + 13]
  out[o + 18] = pkt[off + 14]
  out[o + 19] = pkt[off + 15]
  const hc = finish(sum(out, o, IPV4_HEADER_LEN, 0))
  out[o + 10] = hc >> 8
  out[o + 11] = hc & 0xff
  // RFC 792 message header.
  const m = o + IPV4_HEADER_LEN
  out[m] = type
  out[m + 1] = spec.code
  out[m + 2] = 0
  out[m + 3] = 0
  out[m + 4] = 0
  out[m + 5] = 0
  out[m + 6] = 0
  out[m + 7] = 0
  if (type === ICMPV4_DEST_UNREACHABLE && spec.code === ICMPV4_FRAGMENTATION_NEEDED) {
    const mtu = spec.mtu ?? 0
    out[m + 6] = (mtu >> 8) & 0xff // RFC 1191 §4: next-hop MTU
    out[m + 7] = mtu & 0xff
  } else if (type === ICMPV4_PARAMETER_PROBLEM) {
    out[m + 4] = (spec.pointer ?? 0) & 0xff
  }
  const quoteSum = copyQuote(pkt, off, quote, off4, false, out, m + ICMP_HEADER_LEN)
  const c = finish(sum(out, m, ICMP_HEADER_LEN, quoteSum))
  out[m + 2] = c >> 8
  out[m + 3] = c & 0xff
  return total
}

/**
 * RFC 4443 §2.4(e): the never-send checks for an IPv6 offending packet.
 * `peekV6` must have succeeded.
 */
function declineV6(b: Uint8Array, off: number, type: number, code: number): IcmpReason | null {
  // (e.1) not about an ICMPv6 error; (e.2) nor about a Redirect.
  if (off6.icmpType >= 0 && off6.icmpType < 128) return 'icmp-about-icmp-error'
  if (off6.icmpType === ICMPV6_REDIRECT) return 'icmp-about-redirect'
  // (e.3) nor about a packet to a multicast address, except Packet Too Big and
  // Parameter Problem code 2 (unrecognized option whose high bits say "report").
  if (
    b[off + 24] === 0xff &&
    type !== ICMPV6_PACKET_TOO_BIG &&
    !(type === ICMPV6_PARAMETER_PROBLEM && code === ICMPV6_PARAM_UNRECOGNIZED_OPTION)
  ) {
    return 'icmp-dst-multicast'
  }
  // (e.6) nor about a packet whose source does not name a single node.
  if (b[off + 8] === 0xff) return 'icmp-src-multicast'
  const o = off + 8
  if (
    (b[o] |
      b[o + 1] |
      b[o + 2] |
      b[o + 3] |
      b[o + 4] |
      b[o + 5] |
      b[o + 6] |
      b[o + 7] |
      b[o + 8] |
      b[o + 9] |
      b[o + 10] |
      b[o + 11] |
      b[o + 12] |
      b[o + 13] |
      b[o + 14]) ===
    0
  ) {
    const last = b[off + 23]
    if (last === 0) return 'icmp-src-unspecified'
    // RFC 4291 §2.5.3: ::1 must never leave a node; a packet from it is bogus.
    if (last === 1) return 'icmp-src-loopback'
  }
  return null
}

/**
 * Build an ICMPv6 error about the IPv6 packet at `pkt[off..off+len]` into
 * `out[outOff..]`. Returns the number of bytes written (a whole IPv6 packet),
 * or why nothing was written. `out[outOff..]` must not overlap the offending
 * packet; `spec.src` may point into it (it is read before the quote is written).
 */
export function buildIcmpv6Error(
  pkt: Uint8Array,
  off: number,
  len: number,
  spec: Icmpv6ErrorSpec,
  out: Uint8Array,
  outOff: number,
): number | IcmpReason {
  const type = spec.type
  if (
    type !== ICMPV6_DEST_UNREACHABLE &&
    type !== ICMPV6_PACKET_TOO_BIG &&
    type !== ICMPV6_TIME_EXCEEDED &&
    type !== ICMPV6_PARAMETER_PROBLEM
  ) {
    return 'icmp-unsupported-type'
  }
  if (!peekV6(pkt, off, len, off6)) return 'icmp-offending-malformed'
  const reason = declineV6(pkt, off, type, spec.code)
  if (reason !== null) return reason
  const datagram = off6.datagramLen
  const maxLen = spec.maxLen ?? ICMPV6_ERROR_MAX_LEN
  let quote = maxLen - IPV6_HEADER_LEN - ICMP_HEADER_LEN
  if (quote > datagram) quote = datagram
  const room = out.length - outOff - IPV6_HEADER_LEN - ICMP_HEADER_LEN
  if (quote > room) quote = room
  // The quote must at least hold the offending IPv6 header and 8 bytes after it (or all of it).
  const minQuote = Math.min(IPV6_HEADER_LEN + 8, datagram)
  if (quote < minQuote || outOff < 0) return 'icmp-buffer-too-small'
  const limiter = spec.limiter
  if (limiter != null && !limiter.allowV6(spec.now ?? 0, pkt, off + 8)) return 'icmp-rate-limited'

  const icmpLen = ICMP_HEADER_LEN + quote
  const o = outOff
  const srcB = spec.src
  const so = spec.srcOff ?? 0
  // RFC 8200 §3 header: traffic class and flow label 0.
  out[o] = 0x60
  out[o + 1] = 0
  out[o + 2] = 0
  out[o + 3] = 0
  out[o + 4] = icmpLen >> 8
  out[o + 5] = icmpLen & 0xff
  out[o + 6] = PROTO_ICMPV6
  out[o + 7] = spec.hopLimit ?? DEFAULT_TTL
  for (let i = 0; i < 16; i++) {
    out[o + 8 + i] = srcB[so + i]
    out[o + 24 + i] = pkt[off + 8 + i]
  }
  const m = o + IPV6_HEADER_LEN
  out[m] = type
  out[m + 1] = spec.code
  out[m + 2] = 0
  out[m + 3] = 0
  let param = 0
  if (type === ICMPV6_PACKET_TOO_BIG) param = spec.mtu ?? 0
  else if (type === ICMPV6_PARAMETER_PROBLEM) param = spec.pointer ?? 0
  out[m + 4] = param >>> 24
  out[m + 5] = (param >>> 16) & 0xff
  out[m + 6] = (param >>> 8) & 0xff
  out[m + 7] = param & 0xff
  const quoteSum = copyQuote(pkt, off, quote, off6, true, out, m + ICMP_HEADER_LEN)
  // RFC 4443 §2.3: checksum over the pseudo-header (RFC 8200 §8.1) and the message.
  const c = finish(
    sum(out, m, ICMP_HEADER_LEN, quoteSum + pseudoV6(out, o + 8, o + 24, PROTO_ICMPV6, icmpLen)),
  )
  out[m + 2] = c >> 8
  out[m + 3] = c & 0xff
  return IPV6_HEADER_LEN + icmpLen
}

// --- Convenience builders for the gateway's own errors ------------------------

const v4: Icmpv4ErrorSpec = { type: 0, code: 0, src: 0, mtu: 0, pointer: 0, limiter: null, now: 0 }
const v6: Icmpv6ErrorSpec = {
  type: 0,
  code: 0,
  src: new Uint8Array(16),
  srcOff: 0,
  mtu: 0,
  pointer: 0,
  limiter: null,
  now: 0,
}

function v4Error(
  type: number,
  code: number,
  param: number,
  pkt: Uint8Array,
  off: number,
  len: number,
  src: number,
  out: Uint8Array,
  outOff: number,
  limiter: IcmpRateLimiter | null = null,
  now = 0,
): number | IcmpReason {
  v4.type = type
  v4.code = code
  v4.src = src
  v4.mtu = param
  v4.pointer = param
  v4.limiter = limiter
  v4.now = now
  return buildIcmpv4Error(pkt, off, len, v4, out, outOff)
}

function v6Error(
  type: number,
  code: number,
  param: number,
  pkt: Uint8Array,
  off: number,
  len: number,
  src: Uint8Array,
  srcOff: number,
  out: Uint8Array,
  outOff: number,
  limiter: IcmpRateLimiter | null = null,
  now = 0,
): number | IcmpReason {
  v6.type = type
  v6.code = code
  v6.src = src
  v6.srcOff = srcOff
  v6.mtu = param
  v6.pointer = param
  v6.limiter = limiter
  v6.now = now
  return buildIcmpv6Error(pkt, off, len, v6, out, outOff)
}

/**
 * A builder of one fixed IPv4 error type and code: the offending packet `pkt[off..off+len]`, the error's source
 * address, the output `out[outOff..]`, and optionally a rate limiter with the monotonic time. Returns the bytes
 * written or why nothing was.
 */
export type V4ErrorBuilder = (
  pkt: Uint8Array,
  off: number,
  len: number,
  src: number,
  out: Uint8Array,
  outOff: number,
  limiter?: IcmpRateLimiter | null,
  now?: number,
) => number | IcmpReason

/** The IPv6 counterpart of `V4ErrorBuilder`: the source address is the 16 bytes at `src[srcOff..]`. */
export type V6ErrorBuilder = (
  pkt: Uint8Array,
  off: number,
  len: number,
  src: Uint8Array,
  srcOff: number,
  out: Uint8Array,
  outOff: number,
  limiter?: IcmpRateLimiter | null,
  now?: number,
) => number | IcmpReason

// Made once at load time: each exported builder is one of these closures, not a closure per call.
function v4Fixed(type: number, code: number): V4ErrorBuilder {
  return (pkt, off, len, src, out, outOff, limiter = null, now = 0) =>
    v4Error(type, code, 0, pkt, off, len, src, out, outOff, limiter, now)
}

function v6Fixed(type: number, code: number): V6ErrorBuilder {
  return (pkt, off, len, src, srcOff, out, outOff, limiter = null, now = 0) =>
    v6Error(type, code, 0, pkt, off, len, src, srcOff, out, outOff, limiter, now)
}

/** IPv4 3/0 Network Unreachable: the gateway's answer when a proxy IPv4 maps only to IPv6 (flag on) or to nothing. */
export const buildV4NetUnreachable: V4ErrorBuilder = v4Fixed(ICMPV4_DEST_UNREACHABLE, ICMPV4_NET_UNREACHABLE)

/** IPv4 3/1 Host Unreachable. */
export const buildV4HostUnreachable: V4ErrorBuilder = v4Fixed(
  ICMPV4_DEST_UNREACHABLE,
  ICMPV4_HOST_UNREACHABLE,
)

/** IPv4 3/3 Port Unreachable. */
export const buildV4PortUnreachable: V4ErrorBuilder = v4Fixed(
  ICMPV4_DEST_UNREACHABLE,
  ICMPV4_PORT_UNREACHABLE,
)

/** IPv4 3/4 Fragmentation Needed and DF set, with the next-hop MTU (RFC 1191 §4). */
export function buildV4FragmentationNeeded(
  pkt: Uint8Array,
  off: number,
  len: number,
  mtu: number,
  src: number,
  out: Uint8Array,
  outOff: number,
  limiter: IcmpRateLimiter | null = null,
  now = 0,
): number | IcmpReason {
  return v4Error(
    ICMPV4_DEST_UNREACHABLE,
    ICMPV4_FRAGMENTATION_NEEDED,
    mtu,
    pkt,
    off,
    len,
    src,
    out,
    outOff,
    limiter,
    now,
  )
}

/** IPv4 3/13 Communication Administratively Prohibited (RFC 1812 §5.2.7.1): a filtered packet. */
export const buildV4AdminProhibited: V4ErrorBuilder = v4Fixed(
  ICMPV4_DEST_UNREACHABLE,
  ICMPV4_ADMIN_PROHIBITED,
)

/** IPv4 11/0 Time Exceeded in transit (TTL reached zero). */
export const buildV4TimeExceeded: V4ErrorBuilder = v4Fixed(ICMPV4_TIME_EXCEEDED, 0)

/** IPv4 12/0 Parameter Problem with the octet `pointer`. */
export function buildV4ParameterProblem(
  pkt: Uint8Array,
  off: number,
  len: number,
  pointer: number,
  src: number,
  out: Uint8Array,
  outOff: number,
  limiter: IcmpRateLimiter | null = null,
  now = 0,
): number | IcmpReason {
  return v4Error(ICMPV4_PARAMETER_PROBLEM, 0, pointer, pkt, off, len, src, out, outOff, limiter, now)
}

/** IPv6 1/0 No Route to Destination. */
export const buildV6NoRoute: V6ErrorBuilder = v6Fixed(ICMPV6_DEST_UNREACHABLE, ICMPV6_NO_ROUTE)

/** IPv6 1/1 Communication with Destination Administratively Prohibited: a filtered packet. */
export const buildV6AdminProhibited: V6ErrorBuilder = v6Fixed(
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_ADMIN_PROHIBITED,
)

/** IPv6 1/3 Address Unreachable: the gateway's answer when a proxy IPv6 maps only to IPv4 (flag on) or to nothing. */
export const buildV6AddressUnreachable: V6ErrorBuilder = v6Fixed(
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_ADDRESS_UNREACHABLE,
)

/** IPv6 1/4 Port Unreachable. */
export const buildV6PortUnreachable: V6ErrorBuilder = v6Fixed(
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_PORT_UNREACHABLE,
)

/** IPv6 2/0 Packet Too Big with the MTU (RFC 4443 §3.2). */
export function buildV6PacketTooBig(
  pkt: Uint8Array,
  off: number,
  len: number,
  mtu: number,
  src: Uint8Array,
  srcOff: number,
  out: Uint8Array,
  outOff: number,
  limiter: IcmpRateLimiter | null = null,
  now = 0,
): number | IcmpReason {
  return v6Error(ICMPV6_PACKET_TOO_BIG, 0, mtu, pkt, off, len, src, srcOff, out, outOff, limiter, now)
}

/** IPv6 3/0 Hop Limit Exceeded in transit. */
export const buildV6TimeExceeded: V6ErrorBuilder = v6Fixed(ICMPV6_TIME_EXCEEDED, 0)

/** IPv6 4/`code` Parameter Problem with the octet `pointer` (RFC 4443 §3.4). */
export function buildV6ParameterProblem(
  pkt: Uint8Array,
  off: number,
  len: number,
  code: number,
  pointer: number,
  src: Uint8Array,
  srcOff: number,
  out: Uint8Array,
  outOff: number,
  limiter: IcmpRateLimiter | null = null,
  now = 0,
): number | IcmpReason {
  return v6Error(
    ICMPV6_PARAMETER_PROBLEM,
    code,
    pointer,
    pkt,
    off,
    len,
    src,
    srcOff,
    out,
    outOff,
    limiter,
    now,
  )
}
