/**
 * RFC 7915 ICMP type/code tables (§4.2 ICMPv4 -> ICMPv6, §5.2 ICMPv6 -> ICMPv4)
 * and the Parameter Problem pointer maps (§4.2 Figure 3, §5.2 Figure 6).
 *
 * Each mapper returns the new type and code packed as `type << 8 | code`, or
 * -1 when the RFC says to drop. Pure functions of small integers: no tables
 * to allocate, and the JIT turns the switches into jumps.
 */
import {
  ICMP4_DEST_UNREACH,
  ICMP4_ECHO_REPLY,
  ICMP4_ECHO_REQUEST,
  ICMP4_PARAM_PROBLEM,
  ICMP4_TIME_EXCEEDED,
  ICMP6_DEST_UNREACH,
  ICMP6_ECHO_REPLY,
  ICMP6_ECHO_REQUEST,
  ICMP6_PACKET_TOO_BIG,
  ICMP6_PARAM_PROBLEM,
  ICMP6_TIME_EXCEEDED,
} from './constants.ts'

/** True for ICMPv4 error types (RFC 792: 3, 4, 5, 11, 12) that carry a quoted datagram. */
export function isIcmp4Error(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12
}

/** True for ICMPv6 error types (RFC 4443 §2.1: 0..127). */
export function isIcmp6Error(type: number): boolean {
  return type < 128
}

/**
 * RFC 7915 §4.2: ICMPv4 type/code -> ICMPv6, or -1 to drop.
 * Echo 8/0 -> 128/129; Destination Unreachable per the code list; Time
 * Exceeded 11 -> 3 (code kept); Parameter Problem 12 codes 0 and 2 -> 4/0
 * (the pointer is mapped separately); everything else (timestamps,
 * information, address mask, router advertisement/solicitation, redirect,
 * source quench, alternate host, unknown) is dropped.
 */
export function icmp4to6(type: number, code: number): number {
  switch (type) {
    case ICMP4_ECHO_REQUEST:
      return code === 0 ? (ICMP6_ECHO_REQUEST << 8) | 0 : -1
    case ICMP4_ECHO_REPLY:
      return code === 0 ? (ICMP6_ECHO_REPLY << 8) | 0 : -1
    case ICMP4_DEST_UNREACH:
      switch (code) {
        case 0: // net unreachable
        case 1: // host unreachable
        case 5: // source route failed
        case 6: // destination network unknown
        case 7: // destination host unknown
        case 8: // source host isolated
        case 11: // network unreachable for TOS
        case 12: // host unreachable for TOS
          return (ICMP6_DEST_UNREACH << 8) | 0 // no route to destination
        case 2: // protocol unreachable -> Parameter Problem 4/1, pointer 6 (Next Header)
          return (ICMP6_PARAM_PROBLEM << 8) | 1
        case 3: // port unreachable
          return (ICMP6_DEST_UNREACH << 8) | 4
        case 4: // fragmentation needed -> Packet Too Big (MTU computed by the caller)
          return (ICMP6_PACKET_TOO_BIG << 8) | 0
        case 9: // destination network administratively prohibited
        case 10: // destination host administratively prohibited
        case 13: // communication administratively prohibited
        case 15: // precedence cutoff in effect
          return (ICMP6_DEST_UNREACH << 8) | 1
        default: // 14 host precedence violation, and unknown codes
          return -1
      }
    case ICMP4_TIME_EXCEEDED:
      return code <= 1 ? (ICMP6_TIME_EXCEEDED << 8) | code : -1
    case ICMP4_PARAM_PROBLEM:
      // Code 0 (pointer indicates the error) and 2 (bad length) -> 4/0; code 1 (missing option) and others: drop.
      return code === 0 || code === 2 ? (ICMP6_PARAM_PROBLEM << 8) | 0 : -1
    default:
      return -1
  }
}

/**
 * RFC 7915 §5.2: ICMPv6 type/code -> ICMPv4, or -1 to drop.
 * Echo 128/129 -> 8/0; Destination Unreachable 0,2,3 -> 3/1, 1 -> 3/10,
 * 4 -> 3/3; Packet Too Big -> 3/4 (MTU computed by the caller); Time
 * Exceeded -> 11 (code kept); Parameter Problem 0 -> 12/0 (pointer mapped
 * separately), 1 -> 3/2; MLD, ND and unknown types are dropped.
 */
export function icmp6to4(type: number, code: number): number {
  switch (type) {
    case ICMP6_ECHO_REQUEST:
      return code === 0 ? (ICMP4_ECHO_REQUEST << 8) | 0 : -1
    case ICMP6_ECHO_REPLY:
      return code === 0 ? (ICMP4_ECHO_REPLY << 8) | 0 : -1
    case ICMP6_DEST_UNREACH:
      switch (code) {
        case 0: // no route
        case 2: // beyond scope of source address
        case 3: // address unreachable
          return (ICMP4_DEST_UNREACH << 8) | 1 // host unreachable
        case 1: // administratively prohibited
          return (ICMP4_DEST_UNREACH << 8) | 10
        case 4: // port unreachable
          return (ICMP4_DEST_UNREACH << 8) | 3
        default:
          return -1
      }
    case ICMP6_PACKET_TOO_BIG:
      return code === 0 ? (ICMP4_DEST_UNREACH << 8) | 4 : -1
    case ICMP6_TIME_EXCEEDED:
      return code <= 1 ? (ICMP4_TIME_EXCEEDED << 8) | code : -1
    case ICMP6_PARAM_PROBLEM:
      if (code === 0) return (ICMP4_PARAM_PROBLEM << 8) | 0
      if (code === 1) return (ICMP4_DEST_UNREACH << 8) | 2 // unrecognised next header -> protocol unreachable
      return -1 // code 2 (unrecognised option) and unknown codes
    default:
      return -1
  }
}

/**
 * RFC 7915 §4.2 Figure 3: an ICMPv4 Parameter Problem pointer (into the
 * IPv4 header) -> the ICMPv6 pointer (into the IPv6 header), or -1 when the
 * field has no IPv6 counterpart (identification, flags, offset, checksum,
 * and options).
 */
export function pointer4to6(p: number): number {
  if (p === 0 || p === 1) return p // version/IHL -> version/TC; TOS -> TC/flow label
  if (p === 2 || p === 3) return 4 // total length -> payload length
  if (p === 8) return 7 // TTL -> hop limit
  if (p === 9) return 6 // protocol -> next header
  if (p >= 12 && p <= 15) return 8 // source address
  if (p >= 16 && p <= 19) return 24 // destination address
  return -1
}

/**
 * RFC 7915 §5.2 Figure 6: an ICMPv6 Parameter Problem pointer -> the
 * ICMPv4 pointer, or -1 (flow label bytes 2-3, and anything past the fixed header).
 */
export function pointer6to4(p: number): number {
  if (p === 0 || p === 1) return p // version/TC -> version/IHL, TOS; TC/flow label -> TOS
  if (p === 4 || p === 5) return 2 // payload length -> total length
  if (p === 6) return 9 // next header -> protocol
  if (p === 7) return 8 // hop limit -> TTL
  if (p >= 8 && p <= 23) return 12 // source address
  if (p >= 24 && p <= 39) return 16 // destination address
  return -1
}

/**
 * RFC 7915 §4.2: the MTU of a Packet Too Big made from a Fragmentation Needed.
 * min(advertised + 20, mtu6, mtu4 + 20); an advertised 0 (a pre-RFC 1191
 * router) becomes the greatest RFC 1191 plateau below the quoted total length;
 * values under 1280 become 1280 (the RFC's MAY, so that hosts never see a
 * Packet Too Big below the IPv6 minimum MTU, RFC 8200 §5).
 */
export function ptbMtu4to6(advertised: number, quotedTotalLen: number, mtu4: number, mtu6: number): number {
  let m = advertised
  if (m === 0) m = plateauBelow(quotedTotalLen)
  m += 20
  if (mtu6 < m) m = mtu6
  if (mtu4 + 20 < m) m = mtu4 + 20
  return Math.max(m, 1280)
}

/** RFC 7915 §5.2: min(advertised - 20, mtu4, mtu6 - 20), never below 68 (RFC 791). */
export function ptbMtu6to4(advertised: number, mtu4: number, mtu6: number): number {
  let m = advertised - 20
  if (mtu4 < m) m = mtu4
  if (mtu6 - 20 < m) m = mtu6 - 20
  return Math.max(m, 68)
}

/** RFC 1191 §7: the greatest plateau strictly below `len` (68 at the bottom). */
export function plateauBelow(len: number): number {
  if (len > 65535) return 65535
  if (len > 32000) return 32000
  if (len > 17914) return 17914
  if (len > 8166) return 8166
  if (len > 4352) return 4352
  if (len > 2002) return 2002
  if (len > 1492) return 1492
  if (len > 1006) return 1006
  if (len > 508) return 508
  if (len > 296) return 296
  return 68
}
