/**
 * TO MOVE to @gatehouse/ip-packet (Ipv4View/Ipv6View) once its views land.
 *
 * The few facts about an offending packet that the "never send" rules need:
 * the datagram's length, whether it is a non-first fragment, and the ICMP
 * type of its upper layer. Read straight from the bytes at the RFC 791 §3.1 /
 * RFC 8200 §3 offsets; no allocation. Every read is bounds-checked first.
 */

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
  /** ICMPv6 code (for the RFC 4443 §2.4(e.3) exception), else -1. */
  icmpCode: number
}

export function newOffending(): Offending {
  return { datagramLen: 0, headerLen: 0, nonFirstFragment: false, icmpType: -1, icmpCode: -1 }
}

/** RFC 791 §3.1. False when the bytes are not a plausible IPv4 header. */
export function peekV4(b: Uint8Array, off: number, len: number, o: Offending): boolean {
  if (len < 20 || off < 0 || off + len > b.length) return false
  const vihl = b[off]
  if (vihl >> 4 !== 4) return false
  const ihl = (vihl & 15) * 4
  if (ihl < 20 || ihl > len) return false
  const total = (b[off + 2] << 8) | b[off + 3]
  if (total < ihl) return false
  o.headerLen = ihl
  o.datagramLen = Math.min(total, len)
  o.nonFirstFragment = (((b[off + 6] & 0x1f) << 8) | b[off + 7]) !== 0
  o.icmpType = -1
  o.icmpCode = -1
  if (b[off + 9] === PROTO_ICMP && !o.nonFirstFragment && o.datagramLen > ihl) {
    o.icmpType = b[off + ihl]
    if (o.datagramLen > ihl + 1) o.icmpCode = b[off + ihl + 1]
  }
  return true
}

const EXT_HOP_BY_HOP = 0
const EXT_ROUTING = 43
const EXT_FRAGMENT = 44
const EXT_AH = 51
const EXT_DEST_OPTS = 60

/** RFC 8200 §3, §4. Walks extension headers (RFC 8200 §4.1 order, bounded) to find an ICMPv6 upper layer. */
export function peekV6(b: Uint8Array, off: number, len: number, o: Offending): boolean {
  if (len < 40 || off < 0 || off + len > b.length) return false
  if (b[off] >> 4 !== 6) return false
  const payload = (b[off + 4] << 8) | b[off + 5]
  // A payload length of 0 is a jumbogram (RFC 2675) or a lie; use what is there.
  const total = payload === 0 ? len : 40 + payload
  o.headerLen = 40
  o.datagramLen = Math.min(total, len)
  o.nonFirstFragment = false
  o.icmpType = -1
  o.icmpCode = -1
  const end = off + o.datagramLen
  let next = b[off + 6]
  let p = off + 40
  for (let n = 0; n < 8; n++) {
    if (next === PROTO_ICMPV6) {
      if (p < end) o.icmpType = b[p]
      if (p + 1 < end) o.icmpCode = b[p + 1]
      return true
    }
    if (next === EXT_HOP_BY_HOP || next === EXT_ROUTING || next === EXT_DEST_OPTS) {
      if (p + 2 > end) return true
      next = b[p]
      p += (b[p + 1] + 1) * 8
    } else if (next === EXT_FRAGMENT) {
      if (p + 8 > end) return true
      if ((((b[p + 2] << 8) | b[p + 3]) & 0xfff8) !== 0) {
        o.nonFirstFragment = true
        return true
      }
      next = b[p]
      p += 8
    } else if (next === EXT_AH) {
      if (p + 2 > end) return true
      next = b[p]
      p += (b[p + 1] + 2) * 4
    } else {
      return true
    }
  }
  return true
}
