/**
 * The packet quoted inside an ICMP error (RFC 792: the IP header and at least
 * the first 8 bytes of its payload; RFC 4443 §3: as much as fits in the
 * minimum MTU). Everything a NAT needs (addresses, protocol, ports or echo
 * identifier) lies in those 8 bytes, so nothing here requires a whole TCP
 * header: the reference system once did, and dropped errors about TCP.
 *
 * The quote is usually truncated, so its own length fields are not checked
 * against the bytes present. Setters rewrite in place and keep three
 * checksums right at once: the quoted IPv4 header's, the quoted transport
 * checksum when it lies inside the quote (UDP's always does, TCP's needs 18
 * bytes), and the enclosing ICMP message's (`outerChecksumOff`).
 */
import { EMPTY, get16, put16 } from './bytes.ts'
import { applyDiff, diff16, diff32, diff128 } from './checksum.ts'
import { IP_PROTO_ICMP, IP_PROTO_ICMPV6, IP_PROTO_TCP, IP_PROTO_UDP } from './constants.ts'
import type { DropReason } from './drop.ts'
import { Ipv4View } from './ipv4.ts'
import { Ipv6View } from './ipv6.ts'

/** Bytes of transport header an ICMP error must quote (RFC 792 "64 bits of Original Data Datagram"). */
export const QUOTE_MIN_TRANSPORT = 8

export class QuotedPacket {
  buf: Uint8Array = EMPTY
  off = 0
  len = 0
  readonly ipv4 = new Ipv4View()
  readonly ipv6 = new Ipv6View()
  /** 4 or 6; 0 before a successful `reset`. */
  version = 0
  /** Bytes from `off` to the quoted transport header (IPv6: extension headers included). */
  ipHeaderLen = 0
  /** The quoted header's total length: the original packet's size, usually more than was quoted. */
  totalLen = 0
  /** Upper-layer protocol of the quoted packet. */
  protocol = 0
  /** Quoted IPv4 source / destination (0 for IPv6). */
  src4 = 0
  dst4 = 0
  /** Absolute offsets of the quoted source / destination address (4 or 16 bytes). */
  srcAddrOff = 0
  dstAddrOff = 0
  /** Absolute offset of the quoted transport header, and how many of its bytes were quoted. */
  l4Off = 0
  l4Len = 0
  /** Quoted TCP/UDP ports; for a quoted ICMP echo both are the identifier; otherwise 0. */
  srcPort = 0
  dstPort = 0
  /** Quoted ICMP type and code, or -1. */
  icmpType = -1
  icmpCode = -1
  /** Absolute offset of the quoted transport checksum when it was quoted (and the protocol has one), else -1. */
  l4ChecksumOff = -1
  /** Absolute offset of the enclosing ICMP message's checksum, or -1 when there is none to maintain. */
  outerChecksumOff = -1

  /**
   * Parse the quote at `buf[off .. off+len)`. `version` is the family the
   * enclosing ICMP implies (4 for ICMPv4, 6 for ICMPv6; 0 accepts either).
   */
  reset(
    buf: Uint8Array,
    off: number,
    len: number,
    version: number,
    outerChecksumOff: number,
  ): DropReason | null {
    this.buf = buf
    this.off = off
    this.len = len
    this.outerChecksumOff = outerChecksumOff
    this.version = 0
    this.srcPort = 0
    this.dstPort = 0
    this.icmpType = -1
    this.icmpCode = -1
    this.l4ChecksumOff = -1
    this.src4 = 0
    this.dst4 = 0
    if (len < 1 || off < 0 || off + len > buf.length) return 'icmp-quote-truncated'
    const v = buf[off] >> 4
    if ((v !== 4 && v !== 6) || (version !== 0 && v !== version)) return 'icmp-quote-bad-version'
    if (v === 4) {
      const ip = this.ipv4.reset(buf, off, len)
      const r = ip.checkQuoted()
      if (r !== null) return r === 'ipv4-bad-ihl' ? 'icmp-quote-bad-ihl' : 'icmp-quote-truncated'
      if (ip.fragmentOffset !== 0) return 'icmp-quote-fragment'
      this.ipHeaderLen = ip.headerLen
      this.totalLen = ip.totalLen
      this.protocol = ip.protocol
      this.src4 = ip.srcAddr
      this.dst4 = ip.dstAddr
      this.srcAddrOff = ip.srcAddrOff
      this.dstAddrOff = ip.dstAddrOff
    } else {
      const ip = this.ipv6.reset(buf, off, len)
      const r = ip.checkQuoted()
      if (r === 'ipv6-fragment') return 'icmp-quote-fragment'
      if (r !== null) return 'icmp-quote-truncated'
      this.ipHeaderLen = ip.upperOff - off
      this.totalLen = ip.totalLen
      this.protocol = ip.upperProtocol
      this.srcAddrOff = ip.srcAddrOff
      this.dstAddrOff = ip.dstAddrOff
    }
    this.version = v
    this.l4Off = off + this.ipHeaderLen
    this.l4Len = len - this.ipHeaderLen
    const p = this.protocol
    const l4 = this.l4Off
    if (p === IP_PROTO_TCP || p === IP_PROTO_UDP) {
      if (this.l4Len < QUOTE_MIN_TRANSPORT) return 'icmp-quote-truncated'
      this.srcPort = get16(buf, l4)
      this.dstPort = get16(buf, l4 + 2)
      if (p === IP_PROTO_UDP) this.l4ChecksumOff = l4 + 6
      else if (this.l4Len >= 18) this.l4ChecksumOff = l4 + 16
    } else if ((p === IP_PROTO_ICMP && v === 4) || (p === IP_PROTO_ICMPV6 && v === 6)) {
      if (this.l4Len < QUOTE_MIN_TRANSPORT) return 'icmp-quote-truncated'
      const t = buf[l4]
      this.icmpType = t
      this.icmpCode = buf[l4 + 1]
      if (v === 4 ? t === 8 || t === 0 : t === 128 || t === 129) {
        this.srcPort = get16(buf, l4 + 4)
        this.dstPort = this.srcPort
      }
      this.l4ChecksumOff = l4 + 2
    }
    return null
  }

  /** Whether the quoted transport checksum covers the IP pseudo-header (TCP, UDP, ICMPv6). */
  private get pseudoCovered(): boolean {
    return this.protocol !== IP_PROTO_ICMP || this.version === 6
  }

  /** Write a 16-bit word of the quote and return the outer checksum's difference term. */
  private change16(o: number, v: number): number {
    const old = get16(this.buf, o)
    put16(this.buf, o, v)
    return diff16(old, v)
  }

  /** Update the quoted transport checksum by `d` (if quoted and covered) and return the outer difference. */
  private fixL4(d: number): number {
    const o = this.l4ChecksumOff
    if (o < 0) return 0
    const ck = get16(this.buf, o)
    // RFC 768: a zero UDP checksum means none; it stays zero.
    if (this.protocol === IP_PROTO_UDP && ck === 0) return 0
    let n = applyDiff(ck, d)
    if (this.protocol === IP_PROTO_UDP && n === 0) n = 0xffff
    return this.change16(o, n)
  }

  private fixOuter(d: number): void {
    const o = this.outerChecksumOff
    if (o >= 0) put16(this.buf, o, applyDiff(get16(this.buf, o), d))
  }

  private setAddr4(at: number, old: number, a: number): void {
    const b = this.buf
    let outer = this.change16(at, a >>> 16) + this.change16(at + 2, a & 0xffff)
    const d = diff32(old, a)
    // RFC 791: the quoted header checksum covers the addresses.
    const ipck = this.off + 10
    outer += this.change16(ipck, applyDiff(get16(b, ipck), d))
    if (this.pseudoCovered) outer += this.fixL4(d)
    this.fixOuter(outer)
  }

  /** Rewrite the quoted IPv4 source address. */
  setSrc4(a: number): void {
    this.setAddr4(this.srcAddrOff, this.src4, a)
    this.src4 = a
  }
  /** Rewrite the quoted IPv4 destination address. */
  setDst4(a: number): void {
    this.setAddr4(this.dstAddrOff, this.dst4, a)
    this.dst4 = a
  }

  private setAddr6(at: number, nb: Uint8Array, nOff: number): void {
    const d = diff128(this.buf, at, nb, nOff)
    for (let i = 0; i < 16; i++) this.buf[at + i] = nb[nOff + i]
    let outer = d
    outer += this.fixL4(d)
    this.fixOuter(outer)
  }
  /** Rewrite the quoted IPv6 source address from `b[off..off+16]`. */
  setSrc6(b: Uint8Array, off: number): void {
    this.setAddr6(this.srcAddrOff, b, off)
  }
  /** Rewrite the quoted IPv6 destination address from `b[off..off+16]`. */
  setDst6(b: Uint8Array, off: number): void {
    this.setAddr6(this.dstAddrOff, b, off)
  }

  private setWord(o: number, v: number): void {
    const d = this.change16(o, v)
    this.fixOuter(d + this.fixL4(d))
  }
  /** Rewrite the quoted TCP/UDP source port (no-op for other protocols). */
  setSrcPort(p: number): void {
    if (this.protocol !== IP_PROTO_TCP && this.protocol !== IP_PROTO_UDP) return
    this.setWord(this.l4Off, p)
    this.srcPort = p
  }
  /** Rewrite the quoted TCP/UDP destination port (no-op for other protocols). */
  setDstPort(p: number): void {
    if (this.protocol !== IP_PROTO_TCP && this.protocol !== IP_PROTO_UDP) return
    this.setWord(this.l4Off + 2, p)
    this.dstPort = p
  }
  /** Rewrite the quoted ICMP echo identifier (no-op unless the quote is an echo). */
  setEchoId(id: number): void {
    if (!this.isEcho) return
    this.setWord(this.l4Off + 4, id)
    this.srcPort = id
    this.dstPort = id
  }
  /** True when the quote is an ICMP echo request or reply. */
  get isEcho(): boolean {
    const t = this.icmpType
    return this.version === 4 ? t === 8 || t === 0 : t === 128 || t === 129
  }
}
