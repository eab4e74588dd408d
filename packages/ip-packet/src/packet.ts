/**
 * `IpPacket`: one reusable view that parses an IP packet and its transport
 * header in one `reset()` and rewrites it in place with incremental checksum
 * updates (RFC 1624). This is the packet-path API: keep one instance per
 * direction, call `reset()` per packet, read the routing key from plain
 * fields, call the setters. Nothing here allocates, throws or makes strings.
 *
 * The routing key a NAT needs is `version`, `srcAddrOff`/`dstAddrOff` (IPv4:
 * also `src4`/`dst4` as u32), `protocol`, `srcPort`, `dstPort`. IPv6
 * addresses stay in the buffer: compare and copy them with `ipv6Equals`,
 * `ipv6Copy`, or read them as four u32 words with `ipv6Word`.
 *
 * Invariants: the fields and setters are valid after `reset()` returned null
 * (IP-level fields also after 'ipv4-fragment'/'ipv6-fragment') and until the
 * next `reset()` or a raw edit that moves headers or changes lengths. Setters
 * keep the key fields in step with the bytes. `setSrc4`/`setDst4` are for
 * IPv4 packets and `setSrc6`/`setDst6` for IPv6 ones (the caller knows the
 * family from `version`; they do not check it, to stay branch-free).
 */
import { EMPTY, get16, put16 } from './bytes.ts'
import { applyDiff, diff16, diff32, finish, pseudoV4, pseudoV6, sum } from './checksum.ts'
import { IP_PROTO_ICMP, IP_PROTO_ICMPV6, IP_PROTO_TCP, IP_PROTO_UDP } from './constants.ts'
import type { DropReason } from './drop.ts'
import { Icmpv4View, Icmpv6View } from './icmp.ts'
import { Ipv4View } from './ipv4.ts'
import { Ipv6View } from './ipv6.ts'
import { QuotedPacket } from './quote.ts'
import { TcpView } from './tcp.ts'
import { UdpView } from './udp.ts'

/** What `IpPacket` found after the IP header. */
export const L4_NONE = 0
export const L4_TCP = 1
export const L4_UDP = 2
export const L4_ICMP = 3 // ICMPv4 in IPv4, ICMPv6 in IPv6
/** Any other protocol (ESP, GRE, ...): `l4Off`/`l4Len` name its bytes, no ports. */
export const L4_OTHER = 4

/** Copy 16 bytes from `src[srcOff..]` over `b[o..]` and return the RFC 1624 difference term of the change. */
function copyDiff128(b: Uint8Array, o: number, src: Uint8Array, srcOff: number): number {
  let d = 0
  for (let i = 0; i < 16; i += 2) {
    const hi = src[srcOff + i]
    const lo = src[srcOff + i + 1]
    d += (~((b[o + i] << 8) | b[o + i + 1]) & 0xffff) + ((hi << 8) | lo)
    b[o + i] = hi
    b[o + i + 1] = lo
  }
  return d
}

export class IpPacket {
  buf: Uint8Array = EMPTY
  off = 0
  len = 0
  /** Sub-views, positioned by `reset()`; use them for fields this class does not copy out. */
  readonly ipv4 = new Ipv4View()
  readonly ipv6 = new Ipv6View()
  readonly tcp = new TcpView()
  readonly udp = new UdpView()
  readonly icmpv4 = new Icmpv4View()
  readonly icmpv6 = new Icmpv6View()
  /** The packet quoted by an ICMP error; parsed by `reset()` when `isIcmpError`. */
  readonly quote = new QuotedPacket()

  /** 4 or 6; 0 when `reset()` failed before the version was known. */
  version = 0
  /** IP datagram length from the header (≤ `len`; trailing bytes are padding). */
  ipLen = 0
  /** Bytes from `off` to the transport header (IPv6: extension headers included). */
  ipHeaderLen = 0
  /** Upper-layer protocol (IPv6: after the extension header chain). */
  protocol = 0
  /** IPv4 source / destination as u32 (0 for IPv6). */
  src4 = 0
  dst4 = 0
  /** Absolute offsets of the source / destination address in `buf` (4 or 16 bytes). */
  srcAddrOff = 0
  dstAddrOff = 0
  /** One of L4_*. L4_NONE for a non-first fragment or IPv6 No Next Header. */
  l4 = L4_NONE
  /** Absolute offset and length of the transport segment. */
  l4Off = 0
  l4Len = 0
  /** TCP/UDP ports; ICMP echo: both are the identifier; otherwise 0. */
  srcPort = 0
  dstPort = 0
  /** Absolute offset and length of the transport payload (after TCP/UDP/ICMP headers). */
  payloadOff = 0
  payloadLen = 0
  /** ICMP type / code, or -1. */
  icmpType = -1
  icmpCode = -1
  /** True for an ICMP echo request or reply (ports hold the identifier). */
  isIcmpEcho = false
  /** True for an ICMP error; `quote` then holds the quoted packet. */
  isIcmpError = false
  /** True for any fragment (IPv4 MF/offset, IPv6 Fragment header, atomic fragments included). */
  isFragment = false
  /** True when more fragments follow: the UDP length and transport checksum cover bytes not in this packet. */
  moreFragments = false
  /** Absolute offset of the transport checksum, or -1. */
  l4ChecksumOff = -1

  /**
   * Parse `buf[off .. off+len)`: IP header (and IPv6 extension headers),
   * transport header, and for ICMP errors the quoted packet. Returns null on
   * success, else why the packet cannot be used. On 'ipv4-fragment' and
   * 'ipv6-fragment' (non-first fragments) the IP fields are valid and `l4` is
   * L4_NONE. Checksums are not verified here (see `verifyChecksums`).
   */
  reset(buf: Uint8Array, off: number, len: number): DropReason | null {
    this.buf = buf
    this.off = off
    this.len = len
    this.version = 0
    this.l4 = L4_NONE
    this.srcPort = 0
    this.dstPort = 0
    this.icmpType = -1
    this.icmpCode = -1
    this.isIcmpEcho = false
    this.isIcmpError = false
    this.isFragment = false
    this.moreFragments = false
    this.l4ChecksumOff = -1
    this.src4 = 0
    this.dst4 = 0
    if (len < 1 || off < 0 || off + len > buf.length) return 'ip-truncated'
    // The checks below are Ipv4View.check / Ipv6View.check written out: this is the hottest function.
    const vihl = buf[off]
    const v = vihl >> 4
    if (v === 4) {
      // RFC 791 §3.1: 20 ≤ IHL·4 ≤ total length ≤ buffer.
      if (len < 20) return 'ipv4-truncated'
      const hl = (vihl & 0x0f) << 2
      if (hl < 20 || hl > len) return 'ipv4-bad-ihl'
      const total = (buf[off + 2] << 8) | buf[off + 3]
      if (total < hl || total > len) return 'ipv4-bad-total-len'
      this.ipv4.reset(buf, off, len)
      this.version = 4
      this.ipLen = total
      this.ipHeaderLen = hl
      this.protocol = buf[off + 9]
      this.src4 = ((buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15]) >>> 0
      this.dst4 = ((buf[off + 16] << 24) | (buf[off + 17] << 16) | (buf[off + 18] << 8) | buf[off + 19]) >>> 0
      this.srcAddrOff = off + 12
      this.dstAddrOff = off + 16
      this.l4Off = off + hl
      this.l4Len = total - hl
      this.payloadOff = off + hl
      this.payloadLen = total - hl
      const frag = ((buf[off + 6] << 8) | buf[off + 7]) & 0x3fff // MF + offset
      if (frag !== 0) {
        this.isFragment = true
        this.moreFragments = (frag & 0x2000) !== 0
        // RFC 791 §2.3: only the first fragment carries the transport header.
        if ((frag & 0x1fff) !== 0) return 'ipv4-fragment'
      }
    } else if (v === 6) {
      // RFC 8200 §3: 40 + payload length ≤ buffer.
      if (len < 40) return 'ipv6-truncated'
      const plen = (buf[off + 4] << 8) | buf[off + 5]
      if (40 + plen > len) return 'ipv6-bad-payload-len'
      const ip = this.ipv6.reset(buf, off, len)
      const nh = buf[off + 6]
      this.version = 6
      this.ipLen = 40 + plen
      this.srcAddrOff = off + 8
      this.dstAddrOff = off + 24
      if (nh === IP_PROTO_TCP || nh === IP_PROTO_UDP || nh === IP_PROTO_ICMPV6) {
        // No extension headers: the common case, no walk.
        ip.upperProtocol = nh
        ip.upperLen = plen
        this.ipHeaderLen = 40
        this.protocol = nh
        this.l4Off = off + 40
        this.l4Len = plen
      } else {
        const r = ip.check()
        if (r !== null && r !== 'ipv6-fragment') return r
        this.ipHeaderLen = ip.upperOff - off
        this.protocol = ip.upperProtocol
        this.l4Off = ip.upperOff
        this.l4Len = ip.upperLen
        this.isFragment = ip.fragmentHeaderOff >= 0
        this.moreFragments = ip.moreFragments
        if (r !== null) {
          this.payloadOff = this.l4Off
          this.payloadLen = this.l4Len
          return r
        }
      }
      this.payloadOff = this.l4Off
      this.payloadLen = this.l4Len
    } else {
      return 'ip-bad-version'
    }
    return this.parseL4()
  }

  private parseL4(): DropReason | null {
    const p = this.protocol
    const b = this.buf
    const o = this.l4Off
    const n = this.l4Len
    if (p === IP_PROTO_TCP) {
      // RFC 9293 §3.1: 20 ≤ data offset·4 ≤ segment.
      if (n < 20) return 'tcp-truncated'
      const hl = (b[o + 12] >> 4) << 2
      if (hl < 20 || hl > n) return 'tcp-bad-data-offset'
      this.tcp.reset(b, o, n)
      this.l4 = L4_TCP
      this.srcPort = (b[o] << 8) | b[o + 1]
      this.dstPort = (b[o + 2] << 8) | b[o + 3]
      this.payloadOff = o + hl
      this.payloadLen = n - hl
      this.l4ChecksumOff = o + 16
    } else if (p === IP_PROTO_UDP) {
      // RFC 768: 8 ≤ length ≤ IP payload; a first fragment holds only part of the datagram (RFC 791 §2.3).
      if (n < 8) return 'udp-truncated'
      const ulen = (b[o + 4] << 8) | b[o + 5]
      if (ulen < 8 || (ulen > n && !this.moreFragments)) return 'udp-bad-length'
      this.udp.reset(b, o, n)
      this.l4 = L4_UDP
      this.srcPort = (b[o] << 8) | b[o + 1]
      this.dstPort = (b[o + 2] << 8) | b[o + 3]
      this.payloadOff = o + 8
      this.payloadLen = (this.moreFragments ? n : ulen) - 8
      this.l4ChecksumOff = o + 6
    } else if (p === (this.version === 4 ? IP_PROTO_ICMP : IP_PROTO_ICMPV6)) {
      const v4 = this.version === 4
      if (n < 8) return v4 ? 'icmpv4-truncated' : 'icmpv6-truncated'
      if (v4) this.icmpv4.reset(b, o, n)
      else this.icmpv6.reset(b, o, n)
      const t = b[o]
      this.l4 = L4_ICMP
      this.icmpType = t
      this.icmpCode = b[o + 1]
      this.l4ChecksumOff = o + 2
      this.payloadOff = o + 8
      this.payloadLen = n - 8
      if (v4 ? t === 8 || t === 0 : t === 128 || t === 129) {
        this.isIcmpEcho = true
        const id = (b[o + 4] << 8) | b[o + 5]
        this.srcPort = id
        this.dstPort = id
      } else if (v4 ? t === 3 || t === 11 || t === 12 || t === 4 || t === 5 : t < 128) {
        // RFC 792: Destination Unreachable, Source Quench, Redirect, Time Exceeded and Parameter Problem
        // quote a packet; RFC 4443 §2.1: ICMPv6 types below 128 are errors.
        this.isIcmpError = true
        return this.quote.reset(b, o + 8, n - 8, this.version, o + 2)
      }
    } else if (p !== 59 || this.version !== 6) {
      // Any other upper layer: no ports. (59 = IPv6 No Next Header: nothing follows.)
      this.l4 = L4_OTHER
    }
    return null
  }

  /** Time to live (IPv4) or hop limit (IPv6). */
  get ttl(): number {
    return this.buf[this.off + (this.version === 4 ? 8 : 7)]
  }

  /** The pseudo-header sum for this packet's transport checksum (RFC 793 §3.1 / RFC 8200 §8.1). */
  pseudoSum(): number {
    return this.version === 4
      ? pseudoV4(this.src4, this.dst4, this.protocol, this.l4Len)
      : pseudoV6(this.buf, this.srcAddrOff, this.dstAddrOff, this.protocol, this.l4Len)
  }

  /**
   * Full verification of every checksum present: IPv4 header, then TCP, UDP
   * (zero allowed on IPv4 only, RFC 768 / RFC 8200 §8.1) or ICMP. The transport
   * checksum of a fragment with more to follow covers the reassembled datagram
   * and is not verified (an atomic fragment's is).
   * Call after a successful `reset()`.
   */
  verifyChecksums(): DropReason | null {
    if (this.version === 4 && !this.ipv4.verifyChecksum()) return 'ipv4-bad-checksum'
    if (this.moreFragments || this.l4 === L4_NONE) return null
    const l4 = this.l4
    if (l4 === L4_TCP) {
      if (!this.tcp.verifyChecksum(this.pseudoSum())) return 'tcp-bad-checksum'
    } else if (l4 === L4_UDP) {
      const pseudo =
        this.version === 4
          ? pseudoV4(this.src4, this.dst4, IP_PROTO_UDP, this.udp.length)
          : pseudoV6(this.buf, this.srcAddrOff, this.dstAddrOff, IP_PROTO_UDP, this.udp.length)
      if (!this.udp.verifyChecksum(pseudo, this.version === 4)) return 'udp-bad-checksum'
    } else if (l4 === L4_ICMP) {
      if (this.version === 4) {
        if (!this.icmpv4.verifyChecksum(0)) return 'icmpv4-bad-checksum'
      } else if (!this.icmpv6.verifyChecksum(this.pseudoSum())) return 'icmpv6-bad-checksum'
    }
    return null
  }

  /** Recompute every checksum in full (IPv4 header and the transport's). For builders and after raw edits. */
  fillChecksums(): void {
    if (this.version === 4) this.ipv4.fillChecksum()
    if (this.moreFragments || this.l4 === L4_NONE) return
    const l4 = this.l4
    if (l4 === L4_TCP) this.tcp.fillChecksum(this.pseudoSum())
    else if (l4 === L4_UDP) {
      const pseudo =
        this.version === 4
          ? pseudoV4(this.src4, this.dst4, IP_PROTO_UDP, this.udp.length)
          : pseudoV6(this.buf, this.srcAddrOff, this.dstAddrOff, IP_PROTO_UDP, this.udp.length)
      this.udp.fillChecksum(pseudo)
    } else if (l4 === L4_ICMP) {
      const b = this.buf
      const o = this.l4ChecksumOff
      put16(b, o, 0)
      put16(b, o, finish(sum(b, this.l4Off, this.l4Len, this.version === 4 ? 0 : this.pseudoSum())))
    }
  }

  /** Apply a difference term to the transport checksum, if the transport has one that covers `pseudo`-header fields. */
  private fixL4(d: number, pseudoField: boolean): void {
    const o = this.l4ChecksumOff
    if (o < 0) return
    const l4 = this.l4
    if (l4 === L4_UDP) {
      const ck = get16(this.buf, o)
      // RFC 768: zero means no checksum was sent; a rewrite must not invent one.
      if (ck === 0) return
      const n = applyDiff(ck, d)
      // RFC 768: a computed zero is transmitted as all ones.
      put16(this.buf, o, n === 0 ? 0xffff : n)
    } else if (l4 === L4_TCP || !pseudoField || this.version === 6) {
      // TCP always; ICMP for its own fields; ICMPv6 also for addresses (RFC 4443 §2.3 pseudo-header).
      put16(this.buf, o, applyDiff(get16(this.buf, o), d))
    }
  }

  /** Write IPv4 address `a` over `old` at `o`; update the header checksum and the TCP/UDP pseudo-header checksum. */
  private writeAddr4(o: number, old: number, a: number): void {
    const d = diff32(old, a)
    const b = this.buf
    b[o] = a >>> 24
    b[o + 1] = a >>> 16
    b[o + 2] = a >>> 8
    b[o + 3] = a
    const ck = this.off + 10
    put16(b, ck, applyDiff(get16(b, ck), d))
    this.fixL4(d, true)
  }

  /** Rewrite the IPv4 source address; updates the header and TCP/UDP checksums. */
  setSrc4(a: number): void {
    this.writeAddr4(this.srcAddrOff, this.src4, a)
    this.src4 = a
  }

  /** Rewrite the IPv4 destination address; updates the header and TCP/UDP checksums. */
  setDst4(a: number): void {
    this.writeAddr4(this.dstAddrOff, this.dst4, a)
    this.dst4 = a
  }

  /** Rewrite the IPv6 source address from `src[srcOff..+16]`; updates the TCP/UDP/ICMPv6 checksum. */
  setSrc6(src: Uint8Array, srcOff: number): void {
    this.fixL4(copyDiff128(this.buf, this.srcAddrOff, src, srcOff), true)
  }

  /** Rewrite the IPv6 destination address from `src[srcOff..+16]`; updates the TCP/UDP/ICMPv6 checksum. */
  setDst6(src: Uint8Array, srcOff: number): void {
    this.fixL4(copyDiff128(this.buf, this.dstAddrOff, src, srcOff), true)
  }

  /** Rewrite the TCP/UDP source port with a checksum update; no-op for other protocols. */
  setSrcPort(p: number): void {
    const l4 = this.l4
    if (l4 !== L4_TCP && l4 !== L4_UDP) return
    const o = this.l4Off
    const d = diff16(this.srcPort, p)
    put16(this.buf, o, p)
    this.fixL4(d, false)
    this.srcPort = p
  }

  /** Rewrite the TCP/UDP destination port with a checksum update; no-op for other protocols. */
  setDstPort(p: number): void {
    const l4 = this.l4
    if (l4 !== L4_TCP && l4 !== L4_UDP) return
    const o = this.l4Off + 2
    const d = diff16(this.dstPort, p)
    put16(this.buf, o, p)
    this.fixL4(d, false)
    this.dstPort = p
  }

  /** Rewrite the ICMP echo identifier with a checksum update; no-op unless `isIcmpEcho`. */
  setEchoId(id: number): void {
    if (!this.isIcmpEcho) return
    const o = this.l4Off + 4
    const d = diff16(this.srcPort, id)
    put16(this.buf, o, id)
    this.fixL4(d, false)
    this.srcPort = id
    this.dstPort = id
  }

  /** Set the TTL (IPv4, with a header checksum update) or hop limit (IPv6, no checksum). */
  setTtl(t: number): void {
    const b = this.buf
    if (this.version === 4) {
      const o = this.off + 8
      const old = get16(b, o)
      const w = (t << 8) | b[o + 1]
      b[o] = t
      put16(b, this.off + 10, applyDiff(get16(b, this.off + 10), diff16(old, w)))
    } else {
      b[this.off + 7] = t
    }
  }
}
