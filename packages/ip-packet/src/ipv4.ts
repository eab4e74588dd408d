/**
 * IPv4 header view (RFC 791 §3.1). Addresses are u32 numbers.
 *
 * `reset()` costs nothing and checks nothing; `check()` is the only
 * validation. Once `check()` returns null every accessor reads inside
 * `[off, off + len)`. `setHeaderLen` and `setTotalLen` invalidate it.
 */
import { EMPTY, get16, get32, put16, put32 } from './bytes.ts'
import { finish, sum } from './checksum.ts'
import { IPV4_OPT_END, IPV4_OPT_LSRR, IPV4_OPT_NOP, IPV4_OPT_SSRR } from './constants.ts'
import type { DropReason } from './drop.ts'

// RFC 791 §3.1 header layout (byte offsets).
const VER_IHL = 0
const TOS = 1
const TOTAL_LEN = 2 // u16
const IDENT = 4 // u16
const FLAGS_FRAG = 6 // u16: 3 flag bits, 13-bit offset in 8-byte units
const TTL = 8
const PROTOCOL = 9
const CHECKSUM = 10 // u16
const SRC_ADDR = 12 // u32
const DST_ADDR = 16 // u32
/** Length of a header without options: the end of the last fixed field. */
export const IPV4_HEADER_LEN = DST_ADDR + 4
const FLAG_DF = 0x4000
const FLAG_MF = 0x2000
const FRAG_MASK = 0x1fff

export class Ipv4View {
  buf: Uint8Array = EMPTY
  off = 0
  len = 0

  /** Point the view at `buf[off .. off+len)`. No validation. */
  reset(buf: Uint8Array, off: number, len: number): this {
    this.buf = buf
    this.off = off
    this.len = len
    return this
  }

  /** RFC 791 §3.1: version 4, 20 ≤ IHL·4 ≤ total length ≤ `len`. Null when every accessor is in bounds. */
  check(): DropReason | null {
    const r = this.checkQuoted()
    if (r !== null) return r
    const total = this.totalLen
    if (total < this.headerLen || total > this.len) return 'ipv4-bad-total-len'
    return null
  }

  /** The check for a header quoted in an ICMP error: the header fits, the total length may exceed what was quoted. */
  checkQuoted(): DropReason | null {
    const b = this.buf
    if (this.off < 0 || this.len < IPV4_HEADER_LEN || this.off + this.len > b.length) return 'ipv4-truncated'
    if (b[this.off] >> 4 !== 4) return 'ip-bad-version'
    const hl = (b[this.off] & 0x0f) * 4
    if (hl < IPV4_HEADER_LEN || hl > this.len) return 'ipv4-bad-ihl'
    return null
  }

  /** The version nibble. */
  get version(): number {
    return this.buf[this.off + VER_IHL] >> 4
  }
  /** Header length in bytes (IHL × 4), options included. */
  get headerLen(): number {
    return (this.buf[this.off + VER_IHL] & 0x0f) * 4
  }
  /** Type of service / DSCP+ECN byte. */
  get tos(): number {
    return this.buf[this.off + TOS]
  }
  /** Total length of the datagram in bytes, header included. */
  get totalLen(): number {
    return get16(this.buf, this.off + TOTAL_LEN)
  }
  /** Identification. */
  get ident(): number {
    return get16(this.buf, this.off + IDENT)
  }
  /** Don't Fragment flag. */
  get dontFragment(): boolean {
    return (get16(this.buf, this.off + FLAGS_FRAG) & FLAG_DF) !== 0
  }
  /** More Fragments flag. */
  get moreFragments(): boolean {
    return (get16(this.buf, this.off + FLAGS_FRAG) & FLAG_MF) !== 0
  }
  /** Fragment offset in bytes (the field × 8). */
  get fragmentOffset(): number {
    return (get16(this.buf, this.off + FLAGS_FRAG) & FRAG_MASK) * 8
  }
  /** True for any fragment: MF set or offset non-zero. */
  get isFragment(): boolean {
    return (get16(this.buf, this.off + FLAGS_FRAG) & (FLAG_MF | FRAG_MASK)) !== 0
  }
  /** Time to live. */
  get ttl(): number {
    return this.buf[this.off + TTL]
  }
  /** Upper-layer protocol number. */
  get protocol(): number {
    return this.buf[this.off + PROTOCOL]
  }
  /** Header checksum field. */
  get checksum(): number {
    return get16(this.buf, this.off + CHECKSUM)
  }
  /** Source address as u32. */
  get srcAddr(): number {
    return get32(this.buf, this.off + SRC_ADDR)
  }
  /** Destination address as u32. */
  get dstAddr(): number {
    return get32(this.buf, this.off + DST_ADDR)
  }
  /** Absolute offset of the source address in `buf`. */
  get srcAddrOff(): number {
    return this.off + SRC_ADDR
  }
  /** Absolute offset of the destination address in `buf`. */
  get dstAddrOff(): number {
    return this.off + DST_ADDR
  }
  /** Absolute offset of the payload (after options). */
  get payloadOff(): number {
    return this.off + this.headerLen
  }
  /** Payload length from the total length field. */
  get payloadLen(): number {
    return this.totalLen - this.headerLen
  }

  /**
   * RFC 791 §3.1 options walk: true when the options hold a Loose or Strict Source Route (131/137) whose pointer
   * is not past its length, i.e. addresses remain to visit (RFC 791: "If the pointer is greater than the length,
   * the source route is empty"). RFC 7915 §4.1 answers such a packet with ICMPv4 3/5 instead of translating it.
   * End of Option List ends the walk; a malformed option (length < 2 or past the header) ends it with false.
   * Needs `check()` or `checkQuoted()` to have passed (the header lies inside the buffer).
   */
  hasUnexpiredSourceRoute(): boolean {
    const b = this.buf
    const end = this.off + this.headerLen
    let p = this.off + IPV4_HEADER_LEN
    while (p < end) {
      const t = b[p]
      if (t === IPV4_OPT_END) return false
      if (t === IPV4_OPT_NOP) {
        p++
        continue
      }
      // Every other option is type, length (type and length bytes included), data.
      if (p + 1 >= end) return false
      const l = b[p + 1]
      if (l < 2 || p + l > end) return false
      if ((t === IPV4_OPT_LSRR || t === IPV4_OPT_SSRR) && l >= 3 && b[p + 2] <= l) return true
      p += l
    }
    return false
  }

  /** True when the header checksum verifies (RFC 791 §3.1; RFC 1071). */
  verifyChecksum(): boolean {
    return finish(sum(this.buf, this.off, this.headerLen, 0)) === 0
  }
  /** Compute and write the header checksum. */
  fillChecksum(): void {
    put16(this.buf, this.off + CHECKSUM, 0)
    put16(this.buf, this.off + CHECKSUM, finish(sum(this.buf, this.off, this.headerLen, 0)))
  }

  // Raw setters: none of them touches a checksum (IpPacket's setters do).
  /** Write version 4 and IHL = `bytes` / 4. Invalidates `check()`. */
  setHeaderLen(bytes: number): void {
    this.buf[this.off + VER_IHL] = 0x40 | ((bytes >> 2) & 0x0f)
  }
  setTos(v: number): void {
    this.buf[this.off + TOS] = v
  }
  /** Invalidates `check()`. */
  setTotalLen(v: number): void {
    put16(this.buf, this.off + TOTAL_LEN, v)
  }
  setIdent(v: number): void {
    put16(this.buf, this.off + IDENT, v)
  }
  /** Flags and fragment offset (offset in bytes, a multiple of 8). */
  setFragment(dontFragment: boolean, moreFragments: boolean, offsetBytes: number): void {
    put16(
      this.buf,
      this.off + FLAGS_FRAG,
      (dontFragment ? FLAG_DF : 0) | (moreFragments ? FLAG_MF : 0) | ((offsetBytes >> 3) & FRAG_MASK),
    )
  }
  setTtl(v: number): void {
    this.buf[this.off + TTL] = v
  }
  setProtocol(v: number): void {
    this.buf[this.off + PROTOCOL] = v
  }
  setChecksum(v: number): void {
    put16(this.buf, this.off + CHECKSUM, v)
  }
  setSrcAddr(a: number): void {
    put32(this.buf, this.off + SRC_ADDR, a)
  }
  setDstAddr(a: number): void {
    put32(this.buf, this.off + DST_ADDR, a)
  }
}
