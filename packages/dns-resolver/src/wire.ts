/// <reference path="./dns-packet-types.d.ts" />
/**
 * DNS wire format (RFC 1035 §4, EDNS(0) RFC 6891): the only module that touches bytes.
 *
 * Two layers, one boundary:
 *
 * - A hand-written **scanner** (`scanMessage`) walks a whole message once, checks its structure
 *   (every name, every RR length, the OPT record) and fills a reused {@link MessageView} with the
 *   header, the first question and the EDNS fields. Hand-written **writers** build the answers the
 *   stub gives on its hot path (addresses, PTR, empty answers with any RCODE, FORMERR) with name
 *   compression. Measured: dns-packet's decode + encode of a 4-record answer costs ~1.9 us on its
 *   own, the whole budget of an answer (issue 6: under 2 us), so the hot path does not use it.
 * - A wrapper over **dns-packet** (`decodeMessage`, `encodeMessage`) for the full decode of upstream
 *   answers (gateway resolver) and for tests. dns-packet's quirks stay here: it throws on malformed
 *   input (caught here, returned as a `WireDrop`), it reads and writes Node `Buffer`s (converted
 *   here), it keeps the byte count in a global (`encode.bytes`, never read), it does not bound an
 *   RR's data by its RDLENGTH and writes labels longer than 63 bytes silently (both checked here
 *   before it is called).
 *
 * Offsets in a {@link MessageView} are relative to the start of the message.
 * @module
 */
import { ipv4FromText, ipv4ToText, ipv6FromText, ipv6ToText } from '@gatehouse/ip-packet'
import dnsPacket from 'dns-packet'
import packetClasses from 'dns-packet/classes.js'
import packetTypes from 'dns-packet/types.js'

/** Why a message was not accepted, as a value (house style: drops are values, never throws). */
export const WIRE_DROPS = [
  'dns-short-header',
  'dns-truncated',
  'dns-bad-label',
  'dns-bad-pointer',
  'dns-name-too-long',
  'dns-bad-opt',
  'dns-malformed',
] as const
export type WireDrop = (typeof WIRE_DROPS)[number]

/** RFC 1035 §4.1.1 header length. */
export const HEADER_LEN = 12
/** RFC 1035 §4.2.1: a UDP message without EDNS is at most 512 bytes. */
export const UDP_PLAIN_MAX = 512
/** The EDNS UDP payload size we advertise and accept at most (DNS Flag Day 2020: 1232). */
export const EDNS_UDP_SIZE = 1232
/** RFC 1035 §3.1: a name is at most 255 bytes on the wire. */
export const NAME_MAX_WIRE = 255

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const
/** RFC 6891 §6.1.3: BADVERS is extended RCODE 16 (upper 8 bits 1 in the OPT TTL, lower 4 bits 0). */
export const RCODE_BADVERS = 16
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  SVCB: 64,
  HTTPS: 65,
} as const
export const CLASS_IN = 1

/** Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD/CD). */
export const FLAG_QR = 0x8000
export const FLAG_AA = 0x0400
export const FLAG_TC = 0x0200
export const FLAG_RD = 0x0100
export const FLAG_RA = 0x0080
export const FLAG_CD = 0x0010

/**
 * What `scanMessage` learnt about one message. Reused between calls: every field is written by
 * every successful scan. Valid until the next `scanMessage` into the same view.
 */
export class MessageView {
  id = 0
  /** The 16-bit flags word: QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE. */
  flags = 0
  qdcount = 0
  ancount = 0
  nscount = 0
  arcount = 0
  /** First question's name in presentation form, lower-cased, no trailing dot ('.' for the root). '' when qdcount is 0. */
  qname = ''
  /** First question's name, uncompressed wire form, original case (RFC 1035 §4.1.2; echoed for 0x20 randomisation). */
  readonly qnameWire = new Uint8Array(NAME_MAX_WIRE)
  qnameWireLen = 0
  qtype = 0
  qclass = 0
  /** Offset just after the question section. */
  questionEnd = 0
  /** Offset of the OPT RR in the additional section and just after it; -1 when there is none. */
  optStart = -1
  optEnd = -1
  /** RFC 6891 §6.1.2 OPT fields; 0 when absent. */
  ednsUdpSize = 0
  ednsVersion = 0
  ednsExtRcode = 0
  ednsFlags = 0

  get qr(): boolean {
    return (this.flags & FLAG_QR) !== 0
  }
  get opcode(): number {
    return (this.flags >> 11) & 0xf
  }
  get tc(): boolean {
    return (this.flags & FLAG_TC) !== 0
  }
  get rd(): boolean {
    return (this.flags & FLAG_RD) !== 0
  }
  /** The full RCODE: header's 4 bits plus OPT's upper 8 (RFC 6891 §6.1.3). */
  get rcode(): number {
    return (this.ednsExtRcode << 4) | (this.flags & 0xf)
  }
  get hasEdns(): boolean {
    return this.optStart >= 0
  }
  /** Largest UDP answer the sender accepts: 512 without EDNS, else its size clamped to [512, 1232]. */
  get udpLimit(): number {
    if (this.optStart < 0) return UDP_PLAIN_MAX
    const s = this.ednsUdpSize
    return s < UDP_PLAIN_MAX ? UDP_PLAIN_MAX : Math.min(s, EDNS_UDP_SIZE)
  }
}

const HEX = '0123456789abcdef'

/**
 * Skips (and checks) a name at `pos`; returns the offset after it in the message or -1..-4 for
 * an error (see `nameError`). When `view` is given, the name is also copied uncompressed into
 * `view.qnameWire` and rendered into `view.qname`.
 *
 * Loop protection (RFC 1035 §4.1.4 says a pointer refers to a *prior* occurrence): every pointer
 * must point strictly before the start of the labels it was found in, so each jump moves
 * backwards and the walk ends. Length protection: at most 255 bytes uncompressed (RFC 1035 §3.1).
 */
/** Scratch for rendering a name: at most 255 bytes, each at most 4 characters (`\\DDD`). */
const NAME_TEXT = new Uint8Array(NAME_MAX_WIRE * 4)
const LATIN1 = new TextDecoder('latin1')

function walkName(buf: Uint8Array, base: number, end: number, pos: number, view: MessageView | null): number {
  let segStart = pos
  let after = -1
  let wireLen = 0
  let t = 0
  const text = NAME_TEXT
  for (;;) {
    if (base + pos >= end) return -1
    const len = buf[base + pos]
    if (len === 0) {
      wireLen += 1
      if (after < 0) after = pos + 1
      break
    }
    const kind = len & 0xc0
    if (kind === 0xc0) {
      if (base + pos + 1 >= end) return -1
      const target = ((len & 0x3f) << 8) | buf[base + pos + 1]
      if (target >= segStart) return -3
      if (after < 0) after = pos + 2
      pos = target
      segStart = target
      continue
    }
    if (kind !== 0) return -2 // RFC 6891 §5: extended label types 0x40 and 0x80 are not in use
    if (base + pos + 1 + len > end) return -1
    wireLen += len + 1
    if (wireLen + 1 > NAME_MAX_WIRE) return -4
    if (view !== null) {
      const w = view.qnameWire
      let o = wireLen - len - 1
      w[o++] = len
      if (t > 0) text[t++] = 0x2e
      for (let i = base + pos + 1, e = i + len; i < e; i++) {
        let c = buf[i]
        w[o++] = c
        if (c >= 0x41 && c <= 0x5a) c |= 0x20
        if (c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c) text[t++] = c
        else if (c === 0x2e || c === 0x5c) {
          // RFC 1035 §5.1 presentation escapes: `\.` and `\\` for a dot or backslash inside a label
          text[t++] = 0x5c
          text[t++] = c
        } else {
          text[t++] = 0x5c
          text[t++] = 0x30 + Math.floor(c / 100)
          text[t++] = 0x30 + (Math.floor(c / 10) % 10)
          text[t++] = 0x30 + (c % 10)
        }
      }
    }
    pos += 1 + len
  }
  if (view !== null) {
    view.qnameWire[wireLen - 1] = 0
    view.qnameWireLen = wireLen
    view.qname = t === 0 ? '.' : LATIN1.decode(text.subarray(0, t))
  }
  return after
}

function nameError(code: number): WireDrop {
  return code === -2
    ? 'dns-bad-label'
    : code === -3
      ? 'dns-bad-pointer'
      : code === -4
        ? 'dns-name-too-long'
        : 'dns-truncated'
}

/**
 * Checks the structure of the whole message at `buf[off, off+len)` and fills `view`.
 * Returns null when the message is well formed, else the reason.
 *
 * Guarantees when it returns null: every name is well formed (no forward or self pointers, no
 * extended labels, at most 255 bytes), every RR fits with its RDLENGTH, there is at most one OPT
 * RR, whose owner is the root (RFC 6891 §6.1.1). Bytes after the last RR are ignored.
 * Invalidated by any change to the bytes.
 */
export function scanMessage(buf: Uint8Array, off: number, len: number, view: MessageView): WireDrop | null {
  const end = off + len
  if (len < HEADER_LEN || end > buf.length) return 'dns-short-header'
  view.id = (buf[off] << 8) | buf[off + 1]
  view.flags = (buf[off + 2] << 8) | buf[off + 3]
  view.qdcount = (buf[off + 4] << 8) | buf[off + 5]
  view.ancount = (buf[off + 6] << 8) | buf[off + 7]
  view.nscount = (buf[off + 8] << 8) | buf[off + 9]
  view.arcount = (buf[off + 10] << 8) | buf[off + 11]
  view.qname = ''
  view.qnameWireLen = 0
  view.qtype = 0
  view.qclass = 0
  view.optStart = -1
  view.optEnd = -1
  view.ednsUdpSize = 0
  view.ednsVersion = 0
  view.ednsExtRcode = 0
  view.ednsFlags = 0
  let pos = HEADER_LEN
  for (let i = 0; i < view.qdcount; i++) {
    const next = walkName(buf, off, end, pos, i === 0 ? view : null)
    if (next < 0) return nameError(next)
    if (off + next + 4 > end) return 'dns-truncated'
    if (i === 0) {
      view.qtype = (buf[off + next] << 8) | buf[off + next + 1]
      view.qclass = (buf[off + next + 2] << 8) | buf[off + next + 3]
    }
    pos = next + 4
  }
  view.questionEnd = pos
  const rrs = view.ancount + view.nscount + view.arcount
  const firstAdditional = view.ancount + view.nscount
  for (let i = 0; i < rrs; i++) {
    const start = pos
    const next = walkName(buf, off, end, pos, null)
    if (next < 0) return nameError(next)
    if (off + next + 10 > end) return 'dns-truncated'
    const type = (buf[off + next] << 8) | buf[off + next + 1]
    const rdlen = (buf[off + next + 8] << 8) | buf[off + next + 9]
    pos = next + 10 + rdlen
    if (off + pos > end) return 'dns-truncated'
    if (type === TYPE.OPT) {
      // RFC 6891 §6.1.1: only in the additional section, only once, owner is the root.
      if (i < firstAdditional || view.optStart >= 0 || next !== start + 1) return 'dns-bad-opt'
      view.optStart = start
      view.optEnd = pos
      view.ednsUdpSize = (buf[off + next + 2] << 8) | buf[off + next + 3]
      view.ednsExtRcode = buf[off + next + 4]
      view.ednsVersion = buf[off + next + 5]
      view.ednsFlags = (buf[off + next + 6] << 8) | buf[off + next + 7]
    } else if ((type === TYPE.A && rdlen !== 4) || (type === TYPE.AAAA && rdlen !== 16)) {
      return 'dns-malformed'
    }
  }
  return null
}

// ---------------------------------------------------------------------------------------------
// Writers (hot path): answers to a scanned query, written into the caller's buffer.
// ---------------------------------------------------------------------------------------------

/** Size of the buffer the writers need at most for the answers the stub gives (4 AAAA, a PTR with a 255-byte name). */
export const ANSWER_BUF_LEN = 1024

/** Writes the response header and the echoed question; returns the offset after the question. */
function writeHead(
  q: MessageView,
  out: Uint8Array,
  rcode: number,
  ancount: number,
  flagsExtra: number,
): number {
  out[0] = q.id >> 8
  out[1] = q.id & 0xff
  // RFC 1035 §4.1.1: QR set, opcode and RD copied; we recurse on the asker's behalf, so RA is set.
  const flags =
    FLAG_QR | (q.flags & 0x7800) | (q.flags & FLAG_RD) | FLAG_RA | (q.flags & FLAG_CD) | flagsExtra
  out[2] = flags >> 8
  out[3] = (flags & 0xf0) | (rcode & 0xf)
  const qd = q.qnameWireLen > 0 ? 1 : 0
  out[4] = 0
  out[5] = qd
  out[6] = ancount >> 8
  out[7] = ancount & 0xff
  out[8] = 0
  out[9] = 0
  out[10] = 0
  out[11] = q.hasEdns ? 1 : 0
  if (qd === 0) return HEADER_LEN
  out.set(q.qnameWire.subarray(0, q.qnameWireLen), HEADER_LEN)
  let p = HEADER_LEN + q.qnameWireLen
  out[p++] = q.qtype >> 8
  out[p++] = q.qtype & 0xff
  out[p++] = q.qclass >> 8
  out[p++] = q.qclass & 0xff
  return p
}

/** RFC 6891 §6.1.1: a responder answers a request that had an OPT with an OPT of its own. */
function writeOpt(q: MessageView, out: Uint8Array, p: number, rcode: number): number {
  if (!q.hasEdns) return p
  out[p++] = 0 // root owner
  out[p++] = 0
  out[p++] = TYPE.OPT
  out[p++] = EDNS_UDP_SIZE >> 8
  out[p++] = EDNS_UDP_SIZE & 0xff
  out[p++] = rcode >> 4 // extended RCODE, upper 8 bits
  out[p++] = 0 // version 0
  out[p++] = q.ednsFlags & 0x80 // DO bit echoed (RFC 3225 §3), the rest zero
  out[p++] = 0
  out[p++] = 0 // RDLENGTH 0: no options
  out[p++] = 0
  return p
}

function writeRrHead(out: Uint8Array, p: number, type: number, ttl: number, rdlen: number): number {
  out[p++] = 0xc0 // RFC 1035 §4.1.4: pointer to the question's name at offset 12
  out[p++] = HEADER_LEN
  out[p++] = type >> 8
  out[p++] = type & 0xff
  out[p++] = 0
  out[p++] = CLASS_IN
  out[p++] = ttl >>> 24
  out[p++] = (ttl >>> 16) & 0xff
  out[p++] = (ttl >>> 8) & 0xff
  out[p++] = ttl & 0xff
  out[p++] = rdlen >> 8
  out[p++] = rdlen & 0xff
  return p
}

/**
 * Writes a response to `q` with `count` address records of `type` (A: 4 bytes each, AAAA: 16)
 * taken from `addrs` (concatenated), owner = the question's name, into `out` (at least
 * `ANSWER_BUF_LEN` bytes). Returns the length written. Requires qdcount 1.
 */
export function writeAddressAnswer(
  q: MessageView,
  out: Uint8Array,
  type: number,
  addrs: Uint8Array,
  count: number,
  ttl: number,
): number {
  const size = type === TYPE.A ? 4 : 16
  let p = writeHead(q, out, RCODE.NOERROR, count, 0)
  for (let i = 0; i < count; i++) {
    p = writeRrHead(out, p, type, ttl, size)
    for (let j = 0; j < size; j++) out[p + j] = addrs[i * size + j]
    p += size
  }
  return writeOpt(q, out, p, RCODE.NOERROR)
}

/** Writes a response with one PTR record whose target is `targetWire` (uncompressed wire name). */
export function writePtrAnswer(
  q: MessageView,
  out: Uint8Array,
  targetWire: Uint8Array,
  targetLen: number,
  ttl: number,
): number {
  let p = writeHead(q, out, RCODE.NOERROR, 1, 0)
  p = writeRrHead(out, p, TYPE.PTR, ttl, targetLen)
  out.set(targetWire.subarray(0, targetLen), p)
  return writeOpt(q, out, p + targetLen, RCODE.NOERROR)
}

/**
 * Writes a response with no records and `rcode` (NOERROR for "no records of this type",
 * NXDOMAIN, SERVFAIL, REFUSED, NOTIMP, or BADVERS, which goes into the OPT record).
 */
export function writeEmptyAnswer(q: MessageView, out: Uint8Array, rcode: number): number {
  const p = writeHead(q, out, rcode & 0xf, 0, 0)
  return writeOpt(q, out, p, rcode)
}

/**
 * FORMERR for bytes that did not scan (RFC 1035 §4.1.1 RCODE 1): the id, opcode and RD copied,
 * no question (it could not be read), no OPT. Returns 0 when there is no header to answer to.
 */
export function writeFormErr(buf: Uint8Array, off: number, len: number, out: Uint8Array): number {
  if (len < HEADER_LEN || off + len > buf.length) return 0
  out[0] = buf[off]
  out[1] = buf[off + 1]
  const flags = FLAG_QR | (((buf[off + 2] << 8) | buf[off + 3]) & (0x7800 | FLAG_RD)) | FLAG_RA
  out[2] = flags >> 8
  out[3] = (flags & 0xf0) | RCODE.FORMERR
  out.fill(0, 4, HEADER_LEN)
  return HEADER_LEN
}

/**
 * Truncation for UDP (RFC 1035 §4.2.1, RFC 2181 §9, RFC 6891 §7): a message longer than `limit`
 * becomes its header with TC set, its question and its OPT RR; the asker retries over TCP.
 * `view` must hold the scan of the same bytes. Returns `msg` itself when it fits.
 */
export function truncateForUdp(msg: Uint8Array, view: MessageView, limit: number): Uint8Array {
  if (msg.length <= limit) return msg
  const optLen = view.optStart >= 0 ? view.optEnd - view.optStart : 0
  const out = new Uint8Array(view.questionEnd + optLen)
  out.set(msg.subarray(0, view.questionEnd), 0)
  if (optLen > 0) out.set(msg.subarray(view.optStart, view.optEnd), view.questionEnd)
  out[2] |= FLAG_TC >> 8
  out[6] = 0
  out[7] = 0
  out[8] = 0
  out[9] = 0
  out[10] = 0
  out[11] = optLen > 0 ? 1 : 0
  return out
}

/** Sets a 16-bit message id in place (RFC 1035 §4.1.1). */
export function setId(msg: Uint8Array, id: number): void {
  msg[0] = (id >> 8) & 0xff
  msg[1] = id & 0xff
}

/**
 * Converts a presentation name (as `MessageView.qname` renders it: `\\.` and `\\DDD` escapes, an
 * optional trailing dot) to uncompressed wire form in `out`. Returns the length, or -1 when the
 * name is not valid (empty label, label over 63 bytes, name over 255 bytes, non-ASCII).
 */
export function nameToWire(name: string, out: Uint8Array): number {
  let n = name.length
  if (n > 1 && name.charCodeAt(n - 1) === 0x2e && name.charCodeAt(n - 2) !== 0x5c) n--
  if (n === 0 || (n === 1 && name.charCodeAt(0) === 0x2e)) {
    out[0] = 0
    return 1
  }
  let lenPos = 0
  let p = 1
  let i = 0
  while (i < n) {
    let c = name.charCodeAt(i)
    if (c === 0x2e) {
      const l = p - lenPos - 1
      if (l === 0 || l > 63) return -1
      out[lenPos] = l
      lenPos = p++
      i++
      continue
    }
    if (c === 0x5c) {
      const d = name.charCodeAt(i + 1)
      if (d >= 0x30 && d <= 0x39) {
        c = Number(name.slice(i + 1, i + 4))
        if (!Number.isInteger(c) || c > 255 || i + 4 > n) return -1
        i += 4
      } else if (i + 1 < n) {
        c = d
        i += 2
      } else return -1
    } else if (c > 0x7e) return -1
    else i++
    if (p >= NAME_MAX_WIRE - 1) return -1
    out[p++] = c
  }
  const l = p - lenPos - 1
  if (l === 0 || l > 63) return -1
  out[lenPos] = l
  out[p++] = 0
  return p
}

/** Renders an IPv4 reverse name (RFC 1035 §3.5) for a 32-bit address. */
export function reverseNameV4(addr: number): string {
  return `${addr & 0xff}.${(addr >>> 8) & 0xff}.${(addr >>> 16) & 0xff}.${addr >>> 24}.in-addr.arpa`
}

/** Renders an IPv6 reverse name (RFC 3596 §2.5) for 16 address bytes. */
export function reverseNameV6(addr: Uint8Array): string {
  let s = ''
  for (let i = 15; i >= 0; i--) s += `${HEX[addr[i] & 0xf]}.${HEX[addr[i] >> 4]}.`
  return `${s}ip6.arpa`
}

// ---------------------------------------------------------------------------------------------
// TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): a 2-byte length before every message.
// ---------------------------------------------------------------------------------------------

/** Prefixes a message with its 2-byte length for TCP. */
export function frameTcp(msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(msg.length + 2)
  out[0] = msg.length >> 8
  out[1] = msg.length & 0xff
  out.set(msg, 2)
  return out
}

/**
 * Reassembles length-prefixed messages from a TCP byte stream that arrives in arbitrary chunks
 * (RFC 7766 §8: a message may be split across segments, several may share one).
 */
export class TcpDeframer {
  private pending = new Uint8Array(0)

  /** Appends a chunk; returns the complete messages it finished, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    let data: Uint8Array
    if (this.pending.length === 0) data = chunk
    else {
      data = new Uint8Array(this.pending.length + chunk.length)
      data.set(this.pending, 0)
      data.set(chunk, this.pending.length)
    }
    const out: Uint8Array[] = []
    let p = 0
    while (data.length - p >= 2) {
      const len = (data[p] << 8) | data[p + 1]
      if (data.length - p - 2 < len) break
      out.push(data.slice(p + 2, p + 2 + len))
      p += 2 + len
    }
    this.pending = p === data.length ? new Uint8Array(0) : data.slice(p)
    return out
  }

  /** Bytes received that do not yet form a whole message. */
  get buffered(): number {
    return this.pending.length
  }
}

// ---------------------------------------------------------------------------------------------
// Full decode and encode through dns-packet (not on the hot path).
// ---------------------------------------------------------------------------------------------

/** One resource record, decoded. Names are presentation form, lower-cased, no trailing dot. */
export type DnsRecord =
  | { name: string; ttl: number; type: 'A'; address: string }
  | { name: string; ttl: number; type: 'AAAA'; address: string }
  | { name: string; ttl: number; type: 'CNAME' | 'PTR' | 'NS'; target: string }
  | { name: string; ttl: number; type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { name: string; ttl: number; type: 'TXT'; strings: Uint8Array[] }
  | { name: string; ttl: number; type: 'SOA'; mname: string; rname: string; serial: number; minimum: number }
  | { name: string; ttl: number; type: 'OTHER'; code: number }

/** A whole message, decoded. The OPT record is not among `additionals`: it is `edns`. */
export interface DnsMessage {
  id: number
  flags: number
  rcode: number
  questions: { name: string; type: number; class: number }[]
  answers: DnsRecord[]
  authorities: DnsRecord[]
  additionals: DnsRecord[]
  edns: { udpSize: number; version: number; flags: number } | null
}

function classCode(c: string | undefined): number {
  if (c === undefined) return CLASS_IN
  return c.startsWith('UNKNOWN_') ? Number(c.slice(8)) : packetClasses.toClass(c)
}

function typeCode(t: string): number {
  return t.startsWith('UNKNOWN_') ? Number(t.slice(8)) : packetTypes.toType(t)
}

const lower = (s: string): string => {
  const n = s.toLowerCase()
  return n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n
}

function convertRecord(a: dnsPacket.Answer): DnsRecord {
  const name = lower(a.name)
  const ttl = (a as { ttl?: number }).ttl ?? 0
  const data = (a as { data?: unknown }).data
  switch (a.type) {
    case 'A': {
      // Canonical text through ip-packet, whatever dns-packet's ip codec renders.
      const v4 = ipv4FromText(data as string)
      return { name, ttl, type: 'A', address: v4 === null ? (data as string) : ipv4ToText(v4) }
    }
    case 'AAAA': {
      const v6 = ipv6FromText(data as string)
      return { name, ttl, type: 'AAAA', address: v6 === null ? (data as string) : ipv6ToText(v6) }
    }
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return { name, ttl, type: a.type, target: lower(data as string) }
    case 'SRV': {
      const d = data as dnsPacket.SrvData
      return {
        name,
        ttl,
        type: 'SRV',
        priority: d.priority ?? 0,
        weight: d.weight ?? 0,
        port: d.port ?? 0,
        target: lower(d.target),
      }
    }
    case 'TXT': {
      const list = Array.isArray(data) ? data : [data]
      return {
        name,
        ttl,
        type: 'TXT',
        strings: list.map((s) =>
          typeof s === 'string' ? new TextEncoder().encode(s) : new Uint8Array(s as Buffer),
        ),
      }
    }
    case 'SOA': {
      const d = data as dnsPacket.SoaData
      return {
        name,
        ttl,
        type: 'SOA',
        mname: lower(d.mname),
        rname: lower(d.rname),
        serial: d.serial ?? 0,
        minimum: d.minimum ?? 0,
      }
    }
    default:
      return { name, ttl, type: 'OTHER', code: typeCode(a.type) }
  }
}

const scratchView = new MessageView()

/**
 * Decodes a whole message. Never throws: structure is checked by `scanMessage` first, and any
 * exception dns-packet still raises is caught here and answered with 'dns-malformed'.
 */
export function decodeMessage(bytes: Uint8Array): DnsMessage | WireDrop {
  const bad = scanMessage(bytes, 0, bytes.length, scratchView)
  if (bad !== null) return bad
  const flags = scratchView.flags
  const rcode = scratchView.rcode
  let p: dnsPacket.DecodedPacket
  try {
    p = dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch {
    return 'dns-malformed'
  }
  let edns: DnsMessage['edns'] = null
  const additionals: DnsRecord[] = []
  for (const a of p.additionals ?? []) {
    if (a.type === 'OPT') {
      const o = a as dnsPacket.OptAnswer & { flags?: number; ednsVersion?: number }
      edns = { udpSize: o.udpPayloadSize ?? 0, version: o.ednsVersion ?? 0, flags: o.flags ?? 0 }
    } else additionals.push(convertRecord(a))
  }
  return {
    id: p.id ?? 0,
    flags,
    rcode,
    questions: (p.questions ?? []).map((q) => ({
      name: lower(q.name),
      type: typeCode(q.type),
      class: classCode(q.class),
    })),
    answers: (p.answers ?? []).map(convertRecord),
    authorities: (p.authorities ?? []).map(convertRecord),
    additionals,
    edns,
  }
}

/** A record to encode: the decoded shape without the 'OTHER' and 'SOA' kinds. */
export type EncodableRecord = Exclude<DnsRecord, { type: 'OTHER' } | { type: 'SOA' }>

/** What `encodeMessage` takes. */
export interface MessageSpec {
  id: number
  flags: number
  rcode?: number
  questions: { name: string; type: number }[]
  answers?: EncodableRecord[]
  /** Adds an OPT record advertising this UDP size (RFC 6891 §6.2.3). */
  ednsUdpSize?: number
}

const NAME_SCRATCH = new Uint8Array(NAME_MAX_WIRE)

function checkName(field: string, name: string): void {
  // dns-packet writes labels of 64+ bytes without complaint, corrupting the message.
  if (nameToWire(name, NAME_SCRATCH) < 0) throw new Error(`${field}: not a valid DNS name: ${name}`)
}

function toPacketAnswer(a: EncodableRecord, i: number): dnsPacket.Answer {
  checkName(`answers[${i}].name`, a.name)
  switch (a.type) {
    case 'A':
    case 'AAAA':
      return { name: a.name, ttl: a.ttl, type: a.type, data: a.address }
    case 'CNAME':
    case 'PTR':
    case 'NS':
      checkName(`answers[${i}].target`, a.target)
      return { name: a.name, ttl: a.ttl, type: a.type, data: a.target }
    case 'SRV':
      checkName(`answers[${i}].target`, a.target)
      return {
        name: a.name,
        ttl: a.ttl,
        type: 'SRV',
        data: { priority: a.priority, weight: a.weight, port: a.port, target: a.target },
      }
    case 'TXT':
      return { name: a.name, ttl: a.ttl, type: 'TXT', data: a.strings.map((s) => Buffer.from(s)) }
  }
}

/**
 * Encodes a message through dns-packet (no name compression on this path). Config/control-path
 * code: throws on a name that cannot be encoded, naming the field.
 */
export function encodeMessage(spec: MessageSpec): Uint8Array {
  const questions = spec.questions.map((q, i) => {
    checkName(`questions[${i}].name`, q.name)
    return { name: q.name, type: packetTypes.toString(q.type) as dnsPacket.RecordType }
  })
  const answers = (spec.answers ?? []).map(toPacketAnswer)
  const additionals: dnsPacket.Answer[] =
    spec.ednsUdpSize === undefined
      ? []
      : [{ type: 'OPT', name: '.', udpPayloadSize: spec.ednsUdpSize } as dnsPacket.OptAnswer]
  const buf = dnsPacket.encode({
    id: spec.id,
    type: (spec.flags & FLAG_QR) !== 0 ? 'response' : 'query',
    flags: (spec.flags & 0x7ff0) | ((spec.rcode ?? 0) & 0xf),
    questions,
    answers,
    additionals,
  })
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice()
}
