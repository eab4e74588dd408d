/**
 * UDP header view (RFC 768). `check()` guarantees 8 ≤ length field ≤ `len`
 * (bytes past the length field are padding and ignored). A checksum of zero
 * means "none" on IPv4 (RFC 768) and is invalid on IPv6 (RFC 8200 §8.1); a
 * computed zero is sent as 0xffff.
 */
import { EMPTY, get16, put16 } from './bytes.ts'
import { finish, sum } from './checksum.ts'
import type { DropReason } from './drop.ts'

// RFC 768 header layout.
const SRC_PORT = 0 // u16
const DST_PORT = 2 // u16
const LENGTH = 4 // u16, header included
/** Offset of the checksum inside the UDP header. */
export const UDP_CHECKSUM = 6 // u16
export const UDP_HEADER_LEN = UDP_CHECKSUM + 2

export class UdpView {
  buf: Uint8Array = EMPTY
  off = 0
  len = 0

  /** Point the view at a datagram `buf[off .. off+len)` (len = the IP payload). No validation. */
  reset(buf: Uint8Array, off: number, len: number): this {
    this.buf = buf
    this.off = off
    this.len = len
    return this
  }

  /** RFC 768: an 8-byte header and 8 ≤ length ≤ the bytes the IP layer carries. */
  check(): DropReason | null {
    if (this.off < 0 || this.len < UDP_HEADER_LEN || this.off + this.len > this.buf.length)
      return 'udp-truncated'
    const l = this.length
    if (l < UDP_HEADER_LEN || l > this.len) return 'udp-bad-length'
    return null
  }

  get srcPort(): number {
    return get16(this.buf, this.off + SRC_PORT)
  }
  get dstPort(): number {
    return get16(this.buf, this.off + DST_PORT)
  }
  /** The length field: header plus payload. */
  get length(): number {
    return get16(this.buf, this.off + LENGTH)
  }
  get checksum(): number {
    return get16(this.buf, this.off + UDP_CHECKSUM)
  }
  get payloadOff(): number {
    return this.off + UDP_HEADER_LEN
  }
  get payloadLen(): number {
    return this.length - UDP_HEADER_LEN
  }

  /** True when the checksum verifies; a zero checksum verifies only when `zeroAllowed` (IPv4). */
  verifyChecksum(pseudo: number, zeroAllowed: boolean): boolean {
    if (this.checksum === 0) return zeroAllowed
    return finish(sum(this.buf, this.off, this.length, pseudo)) === 0
  }
  /** Compute and write the checksum over the length field's bytes; a computed 0 is written as 0xffff (RFC 768). */
  fillChecksum(pseudo: number): void {
    put16(this.buf, this.off + UDP_CHECKSUM, 0)
    const c = finish(sum(this.buf, this.off, this.length, pseudo))
    put16(this.buf, this.off + UDP_CHECKSUM, c === 0 ? 0xffff : c)
  }

  setSrcPort(v: number): void {
    put16(this.buf, this.off + SRC_PORT, v)
  }
  setDstPort(v: number): void {
    put16(this.buf, this.off + DST_PORT, v)
  }
  /** Invalidates `check()`. */
  setLength(v: number): void {
    put16(this.buf, this.off + LENGTH, v)
  }
  setChecksum(v: number): void {
    put16(this.buf, this.off + UDP_CHECKSUM, v)
  }
}
