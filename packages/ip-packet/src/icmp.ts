/**
 * ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) header views. Both messages start
 * with type, code, checksum and a 4-byte "rest of header" word (echo
 * identifier + sequence, the MTU of Packet Too Big / Fragmentation Needed, the
 * pointer of Parameter Problem); an error quotes the offending packet from
 * byte 8 (`quoteOff`). ICMPv4's checksum covers the message only; ICMPv6's
 * adds the IPv6 pseudo-header (RFC 4443 §2.3).
 */
import { EMPTY, get16, get32, put16, put32 } from './bytes.ts'
import { finish, sum } from './checksum.ts'
import type { DropReason } from './drop.ts'

// RFC 792 / RFC 4443 §2.1 header layout.
const TYPE = 0
const CODE = 1
/** Offset of the checksum inside an ICMP header. */
export const ICMP_CHECKSUM = 2 // u16
const REST = 4 // u32: echo id (u16) + seq (u16), or MTU, or pointer
const ECHO_ID = 4
const ECHO_SEQ = 6
/** Header length: type, code, checksum, rest of header; an error's quote starts here. */
export const ICMP_HEADER_LEN = REST + 4

abstract class IcmpViewBase {
  buf: Uint8Array = EMPTY
  off = 0
  len = 0

  /** Point the view at a message `buf[off .. off+len)`. No validation. */
  reset(buf: Uint8Array, off: number, len: number): this {
    this.buf = buf
    this.off = off
    this.len = len
    return this
  }

  get type(): number {
    return this.buf[this.off + TYPE]
  }
  get code(): number {
    return this.buf[this.off + CODE]
  }
  get checksum(): number {
    return get16(this.buf, this.off + ICMP_CHECKSUM)
  }
  /** Echo identifier (valid for echo request/reply). */
  get echoId(): number {
    return get16(this.buf, this.off + ECHO_ID)
  }
  /** Echo sequence number (valid for echo request/reply). */
  get echoSeq(): number {
    return get16(this.buf, this.off + ECHO_SEQ)
  }
  /** The 32-bit rest-of-header word (bytes 4..8). */
  get restOfHeader(): number {
    return get32(this.buf, this.off + REST)
  }
  /** Absolute offset of the body: echo data, or the quoted packet in an error. */
  get quoteOff(): number {
    return this.off + ICMP_HEADER_LEN
  }
  /** Bytes after the 8-byte header. */
  get quoteLen(): number {
    return this.len - ICMP_HEADER_LEN
  }

  setType(v: number): void {
    this.buf[this.off + TYPE] = v
  }
  setCode(v: number): void {
    this.buf[this.off + CODE] = v
  }
  setChecksum(v: number): void {
    put16(this.buf, this.off + ICMP_CHECKSUM, v)
  }
  setEchoId(v: number): void {
    put16(this.buf, this.off + ECHO_ID, v)
  }
  setEchoSeq(v: number): void {
    put16(this.buf, this.off + ECHO_SEQ, v)
  }
  setRestOfHeader(v: number): void {
    put32(this.buf, this.off + REST, v)
  }
  /** True when the checksum over `pseudo` (0 for ICMPv4) and the message verifies. */
  verifyChecksum(pseudo: number): boolean {
    return finish(sum(this.buf, this.off, this.len, pseudo)) === 0
  }
  /** Compute and write the checksum (`pseudo` = 0 for ICMPv4, pseudoV6(..., 58, len) for ICMPv6). */
  fillChecksum(pseudo: number): void {
    put16(this.buf, this.off + ICMP_CHECKSUM, 0)
    put16(this.buf, this.off + ICMP_CHECKSUM, finish(sum(this.buf, this.off, this.len, pseudo)))
  }
}

/** ICMPv4 message view (RFC 792). */
export class Icmpv4View extends IcmpViewBase {
  /** RFC 792: the 8-byte header is present. */
  check(): DropReason | null {
    if (this.off < 0 || this.len < ICMP_HEADER_LEN || this.off + this.len > this.buf.length)
      return 'icmpv4-truncated'
    return null
  }
  /** Error messages that quote a packet: Destination Unreachable, Source Quench, Redirect, Time Exceeded, Parameter Problem. */
  get isError(): boolean {
    const t = this.type
    return t === 3 || t === 4 || t === 5 || t === 11 || t === 12
  }
  /** Echo Request (8) or Echo Reply (0). */
  get isEcho(): boolean {
    const t = this.type
    return t === 8 || t === 0
  }
  /** Next-hop MTU of Destination Unreachable code 4 (RFC 1191 §4): the low 16 bits of the rest word. */
  get mtu(): number {
    return get16(this.buf, this.off + ECHO_SEQ)
  }
  /** Parameter Problem pointer (RFC 792): byte 4. */
  get pointer(): number {
    return this.buf[this.off + REST]
  }
}

/** ICMPv6 message view (RFC 4443). */
export class Icmpv6View extends IcmpViewBase {
  /** RFC 4443 §2.1: the 8-byte header is present (every message we handle has one). */
  check(): DropReason | null {
    if (this.off < 0 || this.len < ICMP_HEADER_LEN || this.off + this.len > this.buf.length)
      return 'icmpv6-truncated'
    return null
  }
  /** RFC 4443 §2.1: types below 128 are errors. */
  get isError(): boolean {
    return this.type < 128
  }
  /** Echo Request (128) or Echo Reply (129). */
  get isEcho(): boolean {
    const t = this.type
    return t === 128 || t === 129
  }
  /** MTU of Packet Too Big (RFC 4443 §3.2): the whole rest word. */
  get mtu(): number {
    return this.restOfHeader
  }
  /** Parameter Problem pointer (RFC 4443 §3.4): the whole rest word. */
  get pointer(): number {
    return this.restOfHeader
  }
}
