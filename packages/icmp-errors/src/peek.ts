/**
 * The few facts about an offending packet that the "never send" rules need:
 * the datagram's length, whether it is a non-first fragment, and the ICMP
 * type of its upper layer. Read through @gatehouse/ip-packet's `Ipv4View` /
 * `Ipv6View` (the IPv6 extension header chain is walked there); nothing is
 * allocated.
 */

import { Ipv4View, Ipv6View } from '@gatehouse/ip-packet'
import { PROTO_ICMP, PROTO_ICMPV6 } from './constants.ts'

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
}

export function newOffending(): Offending {
  return { datagramLen: 0, headerLen: 0, nonFirstFragment: false, icmpType: -1, icmpCode: -1 }
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
  // A broken extension chain (truncated, looping, misplaced hop-by-hop) hides the upper layer:
  // it is no ICMPv6 error we could recognize, so it may be answered.
  if (r === null && ip6.upperProtocol === PROTO_ICMPV6 && ip6.upperLen >= 2) {
    o.icmpType = b[ip6.upperOff]
    o.icmpCode = b[ip6.upperOff + 1]
  }
  return true
}
