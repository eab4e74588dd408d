/**
 * IPv6 header and extension header chain view (RFC 8200 §3, §4).
 *
 * Addresses stay in the buffer: `srcAddrOff`/`dstAddrOff` name them for
 * `ipv6Equals`, `ipv6Copy` and `ipv6Word`. `check()` walks the extension
 * header chain once and records where each known header and the upper-layer
 * header start; those fields are valid until the next `reset()`.
 */
import { EMPTY, get16, get32, put16, put32 } from './bytes.ts'
import {
  IP_PROTO_AH,
  IP_PROTO_DSTOPTS,
  IP_PROTO_FRAGMENT,
  IP_PROTO_HIP,
  IP_PROTO_HOPOPT,
  IP_PROTO_MOBILITY,
  IP_PROTO_ROUTING,
  IP_PROTO_SHIM6,
  MAX_IPV6_EXT_HEADERS,
} from './constants.ts'
import type { DropReason } from './drop.ts'

// RFC 8200 §3 header layout (byte offsets).
const VER_TC_FLOW = 0 // u32: 4-bit version, 8-bit traffic class, 20-bit flow label
const PAYLOAD_LEN = 4 // u16
const NEXT_HEADER = 6
const HOP_LIMIT = 7
const SRC_ADDR = 8 // 16 bytes
const DST_ADDR = 24 // 16 bytes
/** Fixed header length: the end of the destination address. */
export const IPV6_HEADER_LEN = DST_ADDR + 16
// RFC 8200 §4.5 fragment header: next header, reserved, offset+flags (u16), identification (u32).
const FRAG_HEADER_LEN = 8

/**
 * True for the Next Header values `Ipv6View.check()` walks past as extension headers: Hop-by-Hop (0), Routing (43),
 * Fragment (44), Destination Options (60), AH (51, RFC 4302 §2.2), Mobility (135), HIP (139), Shim6 (140)
 * (RFC 8200 §4, RFC 7045 §4). ESP (50) is an extension header too but ends the walk: what follows it is encrypted.
 * RFC 7915 §5.1 uses it to refuse an extension header after a Fragment header.
 */
export function isIpv6ExtensionHeader(nh: number): boolean {
  return (
    nh === IP_PROTO_HOPOPT ||
    nh === IP_PROTO_ROUTING ||
    nh === IP_PROTO_FRAGMENT ||
    nh === IP_PROTO_DSTOPTS ||
    nh === IP_PROTO_AH ||
    nh === IP_PROTO_MOBILITY ||
    nh === IP_PROTO_HIP ||
    nh === IP_PROTO_SHIM6
  )
}

export class Ipv6View {
  buf: Uint8Array = EMPTY
  off = 0
  len = 0
  /** Absolute offset of the Hop-by-Hop Options header, or -1. Set by `check()`. */
  hopByHopOff = -1
  /** Absolute offset of the first Routing header, or -1. */
  routingOff = -1
  /** Absolute offset of the Fragment header, or -1. */
  fragmentHeaderOff = -1
  /** Absolute offset of the first Destination Options header, or -1. */
  destOptsOff = -1
  /** Number of extension headers walked. */
  extCount = 0
  /** Absolute offset of the upper-layer header (after every extension header we walk). */
  upperOff = 0
  /** Upper-layer protocol: the last Next Header value (59 = none; 50 = ESP, not walked). */
  upperProtocol = 0
  /** Absolute offset of the byte that holds `upperProtocol` (the IPv6 Next Header field or the last extension header's). */
  upperProtocolFieldOff = 0
  /** Bytes from `upperOff` to the end of the payload (or of the quote). */
  upperLen = 0
  /** Fragment offset in bytes from the Fragment header (0 when none). */
  fragmentOffset = 0
  /** M flag of the Fragment header. */
  moreFragments = false
  /** Identification of the Fragment header. */
  fragmentId = 0

  /** Point the view at `buf[off .. off+len)`. No validation; clears the chain fields. */
  reset(buf: Uint8Array, off: number, len: number): this {
    this.buf = buf
    this.off = off
    this.len = len
    this.hopByHopOff = -1
    this.routingOff = -1
    this.fragmentHeaderOff = -1
    this.destOptsOff = -1
    this.extCount = 0
    this.upperOff = off + IPV6_HEADER_LEN
    this.upperProtocol = 0
    this.upperProtocolFieldOff = off + NEXT_HEADER
    this.upperLen = 0
    this.fragmentOffset = 0
    this.moreFragments = false
    this.fragmentId = 0
    return this
  }

  /**
   * RFC 8200 §3/§4: version 6, 40 + payload length ≤ `len`, and a well-formed
   * extension header chain inside the payload. Returns 'ipv6-fragment' for a
   * non-first fragment: the chain fields are then valid up to the Fragment header
   * and `upperOff` points at fragment data, not a transport header.
   */
  check(): DropReason | null {
    const b = this.buf
    if (this.off < 0 || this.len < IPV6_HEADER_LEN || this.off + this.len > b.length) return 'ipv6-truncated'
    if (b[this.off] >> 4 !== 6) return 'ip-bad-version'
    const end = this.off + IPV6_HEADER_LEN + this.payloadLen
    if (end > this.off + this.len) return 'ipv6-bad-payload-len'
    return this.walk(end)
  }

  /** The check for a packet quoted in an ICMPv6 error: walk the chain inside the bytes quoted, whatever the payload length says. */
  checkQuoted(): DropReason | null {
    const b = this.buf
    if (this.off < 0 || this.len < IPV6_HEADER_LEN || this.off + this.len > b.length) return 'ipv6-truncated'
    if (b[this.off] >> 4 !== 6) return 'ip-bad-version'
    return this.walk(this.off + this.len)
  }

  private walk(end: number): DropReason | null {
    const b = this.buf
    let nh = b[this.off + NEXT_HEADER]
    let field = this.off + NEXT_HEADER
    let p = this.off + IPV6_HEADER_LEN
    let count = 0
    for (;;) {
      let hlen: number
      if (
        nh === IP_PROTO_HOPOPT ||
        nh === IP_PROTO_ROUTING ||
        nh === IP_PROTO_DSTOPTS ||
        nh === IP_PROTO_MOBILITY ||
        nh === IP_PROTO_HIP ||
        nh === IP_PROTO_SHIM6
      ) {
        // RFC 8200 §4.1: Hop-by-Hop Options only immediately after the IPv6 header.
        if (nh === IP_PROTO_HOPOPT) {
          if (count !== 0) return 'ipv6-hop-by-hop-not-first'
          this.hopByHopOff = p
        } else if (nh === IP_PROTO_ROUTING) {
          if (this.routingOff < 0) this.routingOff = p
        } else if (nh === IP_PROTO_DSTOPTS) {
          if (this.destOptsOff < 0) this.destOptsOff = p
        }
        if (p + 8 > end) return 'ipv6-ext-truncated'
        // RFC 8200 §4.3-4.6: Hdr Ext Len in 8-octet units, not counting the first 8.
        hlen = (b[p + 1] + 1) * 8
      } else if (nh === IP_PROTO_FRAGMENT) {
        if (p + FRAG_HEADER_LEN > end) return 'ipv6-ext-truncated'
        hlen = FRAG_HEADER_LEN
        this.fragmentHeaderOff = p
        const w = get16(b, p + 2)
        this.fragmentOffset = w & 0xfff8 // RFC 8200 §4.5: 13-bit offset in 8-octet units, already × 8 in place
        this.moreFragments = (w & 1) !== 0
        this.fragmentId = get32(b, p + 4)
      } else if (nh === IP_PROTO_AH) {
        // RFC 4302 §2.2: Payload Len in 4-octet units, minus 2.
        if (p + 8 > end) return 'ipv6-ext-truncated'
        hlen = (b[p + 1] + 2) * 4
      } else {
        break
      }
      if (p + hlen > end) return 'ipv6-ext-truncated'
      if (++count > MAX_IPV6_EXT_HEADERS) return 'ipv6-ext-loop'
      field = p
      nh = b[p]
      p += hlen
      // A non-first fragment carries no upper-layer header (RFC 8200 §4.5).
      if (this.fragmentOffset !== 0) {
        this.setUpper(nh, field, p, end, count)
        return 'ipv6-fragment'
      }
    }
    this.setUpper(nh, field, p, end, count)
    return null
  }

  private setUpper(nh: number, field: number, p: number, end: number, count: number): void {
    this.upperProtocol = nh
    this.upperProtocolFieldOff = field
    this.upperOff = p
    this.upperLen = end - p
    this.extCount = count
  }

  /** The version nibble. */
  get version(): number {
    return this.buf[this.off] >> 4
  }
  /** Traffic class. */
  get trafficClass(): number {
    return (get16(this.buf, this.off + VER_TC_FLOW) >> 4) & 0xff
  }
  /** Flow label (20 bits). */
  get flowLabel(): number {
    return get32(this.buf, this.off + VER_TC_FLOW) & 0xfffff
  }
  /** Payload length: bytes after the fixed 40-byte header, extension headers included. */
  get payloadLen(): number {
    return get16(this.buf, this.off + PAYLOAD_LEN)
  }
  /** The Next Header field of the fixed header. */
  get nextHeader(): number {
    return this.buf[this.off + NEXT_HEADER]
  }
  /** Hop limit. */
  get hopLimit(): number {
    return this.buf[this.off + HOP_LIMIT]
  }
  /** Absolute offset of the source address in `buf`. */
  get srcAddrOff(): number {
    return this.off + SRC_ADDR
  }
  /** Absolute offset of the destination address in `buf`. */
  get dstAddrOff(): number {
    return this.off + DST_ADDR
  }
  /** Total length of the packet in bytes (40 + payload length). */
  get totalLen(): number {
    return IPV6_HEADER_LEN + this.payloadLen
  }
  /** True when a Fragment header was seen (atomic fragments included). */
  get isFragment(): boolean {
    return this.fragmentHeaderOff >= 0
  }

  // Raw setters: no checksum is touched (IPv6 has none; IpPacket updates the upper layer's).
  /** Version 6, traffic class and flow label. */
  setVersionTcFlow(trafficClass: number, flowLabel: number): void {
    put32(this.buf, this.off + VER_TC_FLOW, (0x60000000 | (trafficClass << 20) | (flowLabel & 0xfffff)) >>> 0)
  }
  /** Invalidates `check()`. */
  setPayloadLen(v: number): void {
    put16(this.buf, this.off + PAYLOAD_LEN, v)
  }
  /** Invalidates `check()`. */
  setNextHeader(v: number): void {
    this.buf[this.off + NEXT_HEADER] = v
  }
  setHopLimit(v: number): void {
    this.buf[this.off + HOP_LIMIT] = v
  }
}
