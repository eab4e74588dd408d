/**
 * RFC 6052 IPv4-embedded IPv6 addresses: the prefix ("pool6") mapper.
 *
 * RFC 6052 §2.2, Figure 1: the IPv4 address is written after a prefix of
 * 32, 40, 48, 56, 64 or 96 bits. Bits 64..71 (byte 8, the "u" octet) are
 * reserved and always zero, so for prefixes of 40..56 bits the IPv4 address
 * is split around byte 8:
 *
 *   len | bytes 0..   | v4 bytes at          | suffix
 *   32  | 0..3        | 4 5 6 7   (u=8)      | 9..15 zero
 *   40  | 0..4        | 5 6 7 (u) 9          | 10..15 zero
 *   48  | 0..5        | 6 7 (u) 9 10         | 11..15 zero
 *   56  | 0..6        | 7 (u) 9 10 11        | 12..15 zero
 *   64  | 0..7        | (u) 9 10 11 12       | 13..15 zero
 *   96  | 0..11       | 12 13 14 15          | none
 */
import { ipv6ToText, parseCidr } from '@gatehouse/ip-packet'
import type { AddressMapper } from './mapper.ts'

/** RFC 6052 §2.2: the only valid prefix lengths. */
export const RFC6052_PREFIX_LENGTHS = [32, 40, 48, 56, 64, 96] as const

/** RFC 6052 §2.1: the Well-Known Prefix 64:ff9b::/96. */
const WKP = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]

/** Byte positions of the four IPv4 bytes inside the IPv6 address, per prefix length (RFC 6052 §2.2 Figure 1). */
function v4Positions(prefixLen: number): [number, number, number, number] {
  switch (prefixLen) {
    case 32:
      return [4, 5, 6, 7]
    case 40:
      return [5, 6, 7, 9]
    case 48:
      return [6, 7, 9, 10]
    case 56:
      return [7, 9, 10, 11]
    case 64:
      return [9, 10, 11, 12]
    default:
      return [12, 13, 14, 15]
  }
}

/**
 * True when `a` (u32) is not a global IPv4 address in the sense of RFC 6052 §3.1
 * (RFC 1918 private, RFC 6598 shared, loopback, link local, this-network,
 * IETF protocol assignments, documentation, benchmarking, multicast, reserved).
 */
export function isNonGlobalIpv4(a: number): boolean {
  const b0 = a >>> 24
  const b1 = (a >>> 16) & 0xff
  const b2 = (a >>> 8) & 0xff
  return (
    b0 === 0 || // 0/8 "this network", RFC 791
    b0 === 10 || // RFC 1918
    (b0 === 100 && (b1 & 0xc0) === 64) || // 100.64/10, RFC 6598
    b0 === 127 || // loopback
    (b0 === 169 && b1 === 254) || // link local, RFC 3927
    (b0 === 172 && (b1 & 0xf0) === 16) || // RFC 1918
    (b0 === 192 && b1 === 0 && (b2 === 0 || b2 === 2)) || // RFC 6890 protocol assignments, RFC 5737 TEST-NET-1
    (b0 === 192 && b1 === 168) || // RFC 1918
    (b0 === 198 && (b1 & 0xfe) === 18) || // RFC 2544 benchmarking
    (b0 === 198 && b1 === 51 && b2 === 100) || // RFC 5737 TEST-NET-2
    (b0 === 203 && b1 === 0 && b2 === 113) || // RFC 5737 TEST-NET-3
    b0 >= 224 // multicast and reserved
  )
}

/** Options of `Rfc6052Mapper`. */
export interface Rfc6052Options {
  /**
   * RFC 6052 §3.1: the Well-Known Prefix MUST NOT be used for non-global IPv4
   * addresses. True (default) enforces that: such addresses do not map.
   * Has no effect with any other prefix.
   */
  wkpGlobalOnly?: boolean
}

/**
 * The RFC 6052 prefix mapper ("pool6"): every IPv4 address maps to the
 * IPv4-embedded IPv6 address under the prefix, and back. Stateless; no
 * allocation on the packet path.
 */
export class Rfc6052Mapper implements AddressMapper {
  /** The 16 prefix bytes (bits beyond the prefix length are zero). */
  readonly prefix: Uint8Array
  readonly prefixLen: number
  private readonly p0: number
  private readonly p1: number
  private readonly p2: number
  private readonly p3: number
  private readonly prefixBytes: number
  private readonly wkpGlobalOnly: boolean

  /**
   * @param prefix the prefix bytes (16) or text (`64:ff9b::/96`).
   * @throws naming `pool6` when the length is not one of RFC 6052's, or the u octet (bits 64..71) is not zero.
   */
  constructor(prefix: Uint8Array | string, prefixLen?: number, options: Rfc6052Options = {}) {
    let bytes: Uint8Array
    let len: number
    if (typeof prefix === 'string') {
      const c = parseCidr(prefix)
      if (c === null || c.family !== 6) throw new Error(`pool6: not an IPv6 prefix: ${prefix}`)
      bytes = c.addr6
      len = prefixLen ?? c.prefixLen
    } else {
      if (prefix.length !== 16) throw new Error('pool6: prefix must be 16 bytes')
      bytes = prefix.slice()
      len = prefixLen ?? 96
    }
    if (!(RFC6052_PREFIX_LENGTHS as readonly number[]).includes(len)) {
      throw new Error(`pool6: RFC 6052 §2.2 allows prefix lengths 32, 40, 48, 56, 64, 96, not ${len}`)
    }
    // RFC 6052 §2.2: bits 64..71 MUST be zero.
    if (bytes[8] !== 0)
      throw new Error(`pool6: RFC 6052 §2.2: bits 64-71 (u) of ${ipv6ToText(bytes)} must be zero`)
    for (let i = len >> 3; i < 16; i++) {
      if (bytes[i] !== 0) throw new Error(`pool6: ${ipv6ToText(bytes)}/${len} has bits set beyond the prefix`)
    }
    this.prefix = bytes
    this.prefixLen = len
    this.prefixBytes = len >> 3
    ;[this.p0, this.p1, this.p2, this.p3] = v4Positions(len)
    let wkp = len === 96
    for (let i = 0; i < 12 && wkp; i++) if (bytes[i] !== WKP[i]) wkp = false
    this.wkpGlobalOnly = wkp && options.wkpGlobalOnly !== false
  }

  /** IPv4-embedded address at `buf[off..]` to IPv4, or -1 when it is not under this prefix (RFC 6052 §2.3). */
  extract(buf: Uint8Array, off: number): number {
    const p = this.prefix
    for (let i = 0; i < this.prefixBytes; i++) if (buf[off + i] !== p[i]) return -1
    // RFC 6052 §2.2: the u octet is zero in every IPv4-embedded address.
    if (this.prefixLen !== 96 && buf[off + 8] !== 0) return -1
    const a =
      ((buf[off + this.p0] << 24) |
        (buf[off + this.p1] << 16) |
        (buf[off + this.p2] << 8) |
        buf[off + this.p3]) >>>
      0
    if (this.wkpGlobalOnly && isNonGlobalIpv4(a)) return -1
    return a
  }

  /** Write the IPv4-embedded address of `a` into `out[off..off+16]` (RFC 6052 §2.2); false for a non-global address under the WKP. */
  embed(a: number, out: Uint8Array, off: number): boolean {
    if (this.wkpGlobalOnly && isNonGlobalIpv4(a)) return false
    const p = this.prefix
    for (let i = 0; i < 16; i++) out[off + i] = p[i]
    out[off + this.p0] = a >>> 24
    out[off + this.p1] = (a >>> 16) & 0xff
    out[off + this.p2] = (a >>> 8) & 0xff
    out[off + this.p3] = a & 0xff
    return true
  }

  src6to4(buf: Uint8Array, off: number): number {
    return this.extract(buf, off)
  }
  dst6to4(buf: Uint8Array, off: number): number {
    return this.extract(buf, off)
  }
  src4to6(src: number, _dst: number, out: Uint8Array, off: number): boolean {
    return this.embed(src, out, off)
  }
  dst4to6(dst: number, out: Uint8Array, off: number): boolean {
    return this.embed(dst, out, off)
  }
}
