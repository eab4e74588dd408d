/**
 * The few facts about an offending packet that the "never send" rules need:
 * the datagram's length, whether it is a non-first fragment, and the ICMP
 * type of its upper layer; and, for quote-sum.ts, where its transport header
 * is when the quote's sum may be derived. Read through @gatehouse/ip-packet's `Ipv4View` /
 * `Ipv6View` (the IPv6 extension header chain is walked there); nothing is
 * allocated.
 */

import { Ipv4View, Ipv6View } from '@gatehouse/ip-packet'
import { IPV4_HEADER_LEN, IPV6_HEADER_LEN, PROTO_ICMP, PROTO_ICMPV6 } from './constants.ts'

/** What `peekV4`/`peekV6` found. Reused: one instance per caller. */
export interface Offending {
  /** Bytes of the datagram actually present (min of the header's length and the buffer's). */
  datagramLen: number
  /** IPv4 header length in bytes, or 40 for IPv6. */
  headerLen: number
  /** True when the packet is a fragment other than the first. */
  nonFirstFragment: boolean
  /** ICMP/ICMPv6 type of the upper layer when it is ICMP and present, else -1. */
  icmpType: number
  /** ICMP/ICMPv6 code, else -1. */
  icmpCode: number
  /**
   * Absolute offset of the transport header when the quote's sum may be derived from the transport checksum
   * (see quote-sum.ts): the whole datagram is present (not cut, IPv6 not a jumbogram), it is no fragment of
   * any kind, the IPv4 header has no options and the IPv6 header no extension header other than Hop-by-Hop.
   * Else -1.
   */
  l4Off: number
  /** The transport protocol at `l4Off` (IPv4 protocol / IPv6 upper-layer Next Header); 0 when `l4Off` is -1. */
  l4Proto: number
}

export function newOffending(): Offending {
  return {
    datagramLen: 0,
    headerLen: 0,
    nonFirstFragment: false,
    icmpType: -1,
    icmpCode: -1,
    l4Off: -1,
    l4Proto: 0,
  }
}

const ip4 = new Ipv4View()
const ip6 = new Ipv6View()

/** RFC 791 §3.1. False when the bytes are not a plausible IPv4 header. */
export function peekV4(b: Uint8Array, off: number, len: number, o: Offending): boolean {
  const v = ip4.reset(b, off, len)
  // The header must fit; the datagram may have been cut (quote what is there).
  if (v.checkQuoted() !== null) return false
  const ihl = v.headerLen
  const total = v.totalLen
  if (total < ihl) return false
  o.headerLen = ihl
  o.datagramLen = Math.min(total, len)
  o.nonFirstFragment = v.fragmentOffset !== 0
  o.icmpType = -1
  o.icmpCode = -1
  // RFC 791 §3.1: a first fragment (MF) carries a transport checksum over the whole reassembled datagram;
  // options may hold a source route, whose final destination, not the header's, is in the sender's
  // pseudo-header (as RFC 8200 §8.1 says for IPv6).
  const whole = total <= len && ihl === IPV4_HEADER_LEN && !v.moreFragments && !o.nonFirstFragment
  o.l4Off = whole ? off + ihl : -1
  o.l4Proto = whole ? v.protocol : 0
  if (v.protocol === PROTO_ICMP && !o.nonFirstFragment && o.datagramLen > ihl + 1) {
    o.icmpType = b[off + ihl]
    o.icmpCode = b[off + ihl + 1]
  }
  return true
}

/** RFC 8200 §3, §4. False when the bytes are not a plausible IPv6 header. */
export function peekV6(b: Uint8Array, off: number, len: number, o: Offending): boolean {
  if (len < 40 || off < 0 || off + len > b.length || b[off] >> 4 !== 6) return false
  const payload = (b[off + 4] << 8) | b[off + 5]
  // A payload length of 0 is a jumbogram (RFC 2675) or a lie; use what is there.
  o.datagramLen = payload === 0 ? len : Math.min(40 + payload, len)
  o.headerLen = 40
  o.icmpType = -1
  o.icmpCode = -1
  const r = ip6.reset(b, off, o.datagramLen).checkQuoted()
  o.nonFirstFragment = r === 'ipv6-fragment'
  // RFC 8200 §8.1: a Routing header puts the final destination in the pseudo-header, not the header's; a
  // Fragment header (§4.5) means a checksum over the reassembled packet; a Destination Options header may
  // carry a Home Address (RFC 6275 §6.3, checksummed with the home address) and Shim6 (RFC 5533) checksums
  // with other addresses. Only the bare header, or one Hop-by-Hop header, leaves the pseudo-header plain.
  o.l4Off = -1
  o.l4Proto = 0
  if (
    r === null &&
    payload !== 0 &&
    IPV6_HEADER_LEN + payload <= len &&
    (ip6.extCount === 0 || (ip6.extCount === 1 && ip6.hopByHopOff >= 0))
  ) {
    o.l4Off = ip6.upperOff
    o.l4Proto = ip6.upperProtocol
  }
  // A broken extension chain (truncated, looping, misplaced hop-by-hop) hides the upper layer:
  // it is no ICMPv6 error we could recognize, so it may be answered.
  if (r === null && ip6.upperProtocol === PROTO_ICMPV6 && ip6.upperLen >= 2) {
    o.icmpType = b[ip6.upperOff]
    o.icmpCode = b[ip6.upperOff + 1]
  }
  return true
}
