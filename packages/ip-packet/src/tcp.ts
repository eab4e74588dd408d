/**
 * TCP header view (RFC 9293 §3.1). Raw getters and setters; checksums are
 * computed from a pseudo-header sum the caller passes (see checksum.ts).
 * `check()` guarantees a 20-byte header and a data offset inside the segment.
 */
import { EMPTY, get16, get32, put16, put32 } from './bytes.ts'
import { finish, sum } from './checksum.ts'
import type { DropReason } from './drop.ts'

// RFC 9293 §3.1 header layout.
const SRC_PORT = 0 // u16
const DST_PORT = 2 // u16
const SEQ = 4 // u32
const ACK = 8 // u32
const DATA_OFF = 12 // high nibble, in 32-bit words
const FLAGS = 13
const WINDOW = 14 // u16
/** Offset of the checksum inside the TCP header. */
export const TCP_CHECKSUM = 16 // u16
const URGENT = 18 // u16
/** Length of a header without options. */
export const TCP_HEADER_LEN = URGENT + 2

export class TcpView {
  buf: Uint8Array = EMPTY
  off = 0
  len = 0

  /** Point the view at a segment `buf[off .. off+len)`. No validation. */
  reset(buf: Uint8Array, off: number, len: number): this {
    this.buf = buf
    this.off = off
    this.len = len
    return this
  }

  /** RFC 9293 §3.1: 20 ≤ data offset·4 ≤ segment length. */
  check(): DropReason | null {
    if (this.off < 0 || this.len < TCP_HEADER_LEN || this.off + this.len > this.buf.length)
      return 'tcp-truncated'
    const hl = this.headerLen
    if (hl < TCP_HEADER_LEN || hl > this.len) return 'tcp-bad-data-offset'
    return null
  }

  get srcPort(): number {
    return get16(this.buf, this.off + SRC_PORT)
  }
  get dstPort(): number {
    return get16(this.buf, this.off + DST_PORT)
  }
  get seq(): number {
    return get32(this.buf, this.off + SEQ)
  }
  get ack(): number {
    return get32(this.buf, this.off + ACK)
  }
  /** Header length in bytes (data offset × 4), options included. */
  get headerLen(): number {
    return (this.buf[this.off + DATA_OFF] >> 4) * 4
  }
  /** The flag byte (CWR ECE URG ACK PSH RST SYN FIN); see TCP_* constants. */
  get flags(): number {
    return this.buf[this.off + FLAGS]
  }
  get fin(): boolean {
    return (this.buf[this.off + FLAGS] & 0x01) !== 0
  }
  get syn(): boolean {
    return (this.buf[this.off + FLAGS] & 0x02) !== 0
  }
  get rst(): boolean {
    return (this.buf[this.off + FLAGS] & 0x04) !== 0
  }
  get psh(): boolean {
    return (this.buf[this.off + FLAGS] & 0x08) !== 0
  }
  get ackFlag(): boolean {
    return (this.buf[this.off + FLAGS] & 0x10) !== 0
  }
  get window(): number {
    return get16(this.buf, this.off + WINDOW)
  }
  get checksum(): number {
    return get16(this.buf, this.off + TCP_CHECKSUM)
  }
  get urgent(): number {
    return get16(this.buf, this.off + URGENT)
  }
  /** Absolute offset of the payload. */
  get payloadOff(): number {
    return this.off + this.headerLen
  }
  get payloadLen(): number {
    return this.len - this.headerLen
  }

  /** True when the checksum over `pseudo` (pseudoV4/pseudoV6 of this segment) and the segment verifies. */
  verifyChecksum(pseudo: number): boolean {
    return finish(sum(this.buf, this.off, this.len, pseudo)) === 0
  }
  /** Compute and write the checksum given the pseudo-header sum. */
  fillChecksum(pseudo: number): void {
    put16(this.buf, this.off + TCP_CHECKSUM, 0)
    put16(this.buf, this.off + TCP_CHECKSUM, finish(sum(this.buf, this.off, this.len, pseudo)))
  }

  setSrcPort(v: number): void {
    put16(this.buf, this.off + SRC_PORT, v)
  }
  setDstPort(v: number): void {
    put16(this.buf, this.off + DST_PORT, v)
  }
  setSeq(v: number): void {
    put32(this.buf, this.off + SEQ, v)
  }
  setAck(v: number): void {
    put32(this.buf, this.off + ACK, v)
  }
  /** Data offset from a header length in bytes (a multiple of 4). Invalidates `check()`. */
  setHeaderLen(bytes: number): void {
    this.buf[this.off + DATA_OFF] = (bytes >> 2) << 4
  }
  setFlags(v: number): void {
    this.buf[this.off + FLAGS] = v
  }
  setWindow(v: number): void {
    put16(this.buf, this.off + WINDOW, v)
  }
  setChecksum(v: number): void {
    put16(this.buf, this.off + TCP_CHECKSUM, v)
  }
  setUrgent(v: number): void {
    put16(this.buf, this.off + URGENT, v)
  }
}
