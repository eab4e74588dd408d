/**
 * Building packets with correct checksums: for tests, ICMP errors and control
 * messages (smoltcp's Repr::emit, as functions). Each `build*` takes a plain
 * spec, writes the packet into `out` at `off` (or a new array of the exact
 * size) and returns the packet's bytes (`out.subarray(off, off + n)`). The
 * builders allocate (spec objects, the subarray) and may throw on an
 * impossible spec (a programmer error); they are not for per-packet use in a
 * hot loop. `*Len(spec)` functions give the size to reserve.
 */
import { put16, put32 } from './bytes.ts'
import { finish, pseudoV4, pseudoV6, sum } from './checksum.ts'
import {
  ICMPV4_ECHO_REPLY,
  ICMPV4_ECHO_REQUEST,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  IP_PROTO_FRAGMENT,
  IP_PROTO_ICMP,
  IP_PROTO_ICMPV6,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
} from './constants.ts'

/** IPv4 header fields (RFC 791 §3.1). Options are padded with zeros (End of Option List) to a multiple of 4. */
export interface Ipv4Spec {
  src: number
  dst: number
  ttl?: number
  tos?: number
  ident?: number
  dontFragment?: boolean
  moreFragments?: boolean
  /** Fragment offset in bytes (multiple of 8). */
  fragmentOffset?: number
  /** IPv4 options (named apart from TcpSpec.tcpOptions: the specs are merged). */
  ipOptions?: Uint8Array
}

/**
 * An IPv6 extension header (RFC 8200 §4). Options headers (0, 60) and Routing
 * (43) take `data`: the bytes after Next Header and Hdr Ext Len, zero-padded to
 * a multiple of 8 (zeros are Pad1 options; for Routing, default routing type 0
 * with segments left 0). Fragment (44) takes its fields.
 */
export type Ipv6ExtSpec =
  | { type: 0 | 43 | 60; data?: Uint8Array }
  | { type: 44; offset?: number; more?: boolean; id?: number }

/** IPv6 header fields (RFC 8200 §3) and an optional extension header chain, in order. */
export interface Ipv6Spec {
  src: Uint8Array
  dst: Uint8Array
  hopLimit?: number
  trafficClass?: number
  flowLabel?: number
  ext?: Ipv6ExtSpec[]
}

export interface UdpSpec {
  srcPort: number
  dstPort: number
  payload?: Uint8Array
  /** Send checksum 0 ("none", RFC 768); IPv4 only. */
  zeroChecksum?: boolean
}

export interface TcpSpec {
  srcPort: number
  dstPort: number
  seq?: number
  ack?: number
  /** Flag byte: TCP_SYN | TCP_ACK ... */
  flags?: number
  window?: number
  urgent?: number
  /** TCP options, zero-padded to a multiple of 4. */
  tcpOptions?: Uint8Array
  payload?: Uint8Array
}

/** Any ICMP message: `rest` is the 32-bit word at bytes 4..8 (echo id/seq, MTU, pointer); `payload` the body (an error's quote). */
export interface IcmpSpec {
  type: number
  code?: number
  rest?: number
  payload?: Uint8Array
}

export interface EchoSpec {
  id: number
  seq: number
  reply?: boolean
  payload?: Uint8Array
}

/** A raw IP payload with the given protocol / next header; no transport checksum is computed. */
export interface RawSpec {
  protocol: number
  payload: Uint8Array
}

const NONE = new Uint8Array(0)
const pad = (n: number, to: number) => (n + to - 1) & ~(to - 1)

function ipv4HeaderLen(s: Ipv4Spec): number {
  const hl = 20 + pad(s.ipOptions?.length ?? 0, 4)
  if (hl > 60) throw new RangeError('ipv4 options: at most 40 bytes')
  return hl
}

function extLen(e: Ipv6ExtSpec): number {
  return e.type === IP_PROTO_FRAGMENT ? 8 : pad(2 + (e.data?.length ?? 6), 8)
}

function ipv6HeaderLen(s: Ipv6Spec): number {
  let n = 40
  for (const e of s.ext ?? []) n += extLen(e)
  return n
}

function target(out: Uint8Array | undefined, off: number, n: number): Uint8Array {
  if (out === undefined) return new Uint8Array(off + n)
  if (off + n > out.length) throw new RangeError(`build: ${n} bytes do not fit at offset ${off}`)
  out.fill(0, off, off + n)
  return out
}

/** Write an IPv4 header for `l4Len` bytes of payload; returns the header length. */
function emitIpv4(s: Ipv4Spec, protocol: number, l4Len: number, b: Uint8Array, off: number): number {
  const hl = ipv4HeaderLen(s)
  const total = hl + l4Len
  if (total > 0xffff) throw new RangeError('ipv4: total length above 65535')
  b[off] = 0x40 | (hl >> 2)
  b[off + 1] = s.tos ?? 0
  put16(b, off + 2, total)
  put16(b, off + 4, s.ident ?? 0)
  put16(
    b,
    off + 6,
    (s.dontFragment ? 0x4000 : 0) |
      (s.moreFragments ? 0x2000 : 0) |
      (((s.fragmentOffset ?? 0) >> 3) & 0x1fff),
  )
  b[off + 8] = s.ttl ?? 64
  b[off + 9] = protocol
  put32(b, off + 12, s.src)
  put32(b, off + 16, s.dst)
  if (s.ipOptions) b.set(s.ipOptions, off + 20)
  put16(b, off + 10, 0)
  put16(b, off + 10, finish(sum(b, off, hl, 0)))
  return hl
}

/** Write an IPv6 header and its extension headers for `l4Len` bytes of upper layer; returns the bytes written. */
function emitIpv6(s: Ipv6Spec, protocol: number, l4Len: number, b: Uint8Array, off: number): number {
  const hl = ipv6HeaderLen(s)
  const payloadLen = hl - 40 + l4Len
  if (payloadLen > 0xffff) throw new RangeError('ipv6: payload length above 65535 (jumbograms unsupported)')
  if (s.src.length !== 16 || s.dst.length !== 16) throw new RangeError('ipv6: src and dst must be 16 bytes')
  put32(b, off, (0x60000000 | ((s.trafficClass ?? 0) << 20) | ((s.flowLabel ?? 0) & 0xfffff)) >>> 0)
  put16(b, off + 4, payloadLen)
  const ext = s.ext ?? []
  b[off + 6] = ext.length > 0 ? ext[0].type : protocol
  b[off + 7] = s.hopLimit ?? 64
  b.set(s.src, off + 8)
  b.set(s.dst, off + 24)
  let p = off + 40
  for (let i = 0; i < ext.length; i++) {
    const e = ext[i]
    const n = extLen(e)
    b[p] = i + 1 < ext.length ? ext[i + 1].type : protocol
    if (e.type === IP_PROTO_FRAGMENT) {
      put16(b, p + 2, ((e.offset ?? 0) & 0xfff8) | (e.more ? 1 : 0))
      put32(b, p + 4, e.id ?? 0)
    } else {
      b[p + 1] = n / 8 - 1
      if (e.data) b.set(e.data, p + 2)
    }
    p += n
  }
  return hl
}

function emitIp(
  ip: Ipv4Spec | Ipv6Spec,
  v6: boolean,
  protocol: number,
  l4Len: number,
  b: Uint8Array,
  off: number,
): number {
  return v6
    ? emitIpv6(ip as Ipv6Spec, protocol, l4Len, b, off)
    : emitIpv4(ip as Ipv4Spec, protocol, l4Len, b, off)
}

function pseudo(
  ip: Ipv4Spec | Ipv6Spec,
  v6: boolean,
  b: Uint8Array,
  off: number,
  protocol: number,
  len: number,
) {
  return v6
    ? pseudoV6(b, off + 8, off + 24, protocol, len)
    : pseudoV4((ip as Ipv4Spec).src, (ip as Ipv4Spec).dst, protocol, len)
}

function ipLen(ip: Ipv4Spec | Ipv6Spec, v6: boolean): number {
  return v6 ? ipv6HeaderLen(ip as Ipv6Spec) : ipv4HeaderLen(ip as Ipv4Spec)
}

function udp(s: (Ipv4Spec | Ipv6Spec) & UdpSpec, v6: boolean, out: Uint8Array | undefined, off: number) {
  const payload = s.payload ?? NONE
  const l4Len = 8 + payload.length
  const n = ipLen(s, v6) + l4Len
  const b = target(out, off, n)
  const l4 = off + emitIp(s, v6, IP_PROTO_UDP, l4Len, b, off)
  put16(b, l4, s.srcPort)
  put16(b, l4 + 2, s.dstPort)
  put16(b, l4 + 4, l4Len)
  b.set(payload, l4 + 8)
  if (!(s.zeroChecksum && !v6)) {
    const c = finish(sum(b, l4, l4Len, pseudo(s, v6, b, off, IP_PROTO_UDP, l4Len)))
    put16(b, l4 + 6, c === 0 ? 0xffff : c) // RFC 768: computed zero sent as all ones
  }
  return b.subarray(off, off + n)
}

function tcp(s: (Ipv4Spec | Ipv6Spec) & TcpSpec, v6: boolean, out: Uint8Array | undefined, off: number) {
  const payload = s.payload ?? NONE
  const hl = 20 + pad(s.tcpOptions?.length ?? 0, 4)
  if (hl > 60) throw new RangeError('tcp options: at most 40 bytes')
  const l4Len = hl + payload.length
  const n = ipLen(s, v6) + l4Len
  const b = target(out, off, n)
  const l4 = off + emitIp(s, v6, IP_PROTO_TCP, l4Len, b, off)
  put16(b, l4, s.srcPort)
  put16(b, l4 + 2, s.dstPort)
  put32(b, l4 + 4, s.seq ?? 0)
  put32(b, l4 + 8, s.ack ?? 0)
  b[l4 + 12] = (hl >> 2) << 4
  b[l4 + 13] = s.flags ?? 0
  put16(b, l4 + 14, s.window ?? 65535)
  put16(b, l4 + 18, s.urgent ?? 0)
  if (s.tcpOptions) b.set(s.tcpOptions, l4 + 20)
  b.set(payload, l4 + hl)
  put16(b, l4 + 16, finish(sum(b, l4, l4Len, pseudo(s, v6, b, off, IP_PROTO_TCP, l4Len))))
  return b.subarray(off, off + n)
}

function icmp(s: (Ipv4Spec | Ipv6Spec) & IcmpSpec, v6: boolean, out: Uint8Array | undefined, off: number) {
  const payload = s.payload ?? NONE
  const l4Len = 8 + payload.length
  const n = ipLen(s, v6) + l4Len
  const b = target(out, off, n)
  const proto = v6 ? IP_PROTO_ICMPV6 : IP_PROTO_ICMP
  const l4 = off + emitIp(s, v6, proto, l4Len, b, off)
  b[l4] = s.type
  b[l4 + 1] = s.code ?? 0
  put32(b, l4 + 4, s.rest ?? 0)
  b.set(payload, l4 + 8)
  // RFC 4443 §2.3: ICMPv6 covers the pseudo-header; RFC 792: ICMPv4 does not.
  put16(b, l4 + 2, finish(sum(b, l4, l4Len, v6 ? pseudo(s, v6, b, off, proto, l4Len) : 0)))
  return b.subarray(off, off + n)
}

function raw(s: (Ipv4Spec | Ipv6Spec) & RawSpec, v6: boolean, out: Uint8Array | undefined, off: number) {
  const n = ipLen(s, v6) + s.payload.length
  const b = target(out, off, n)
  const l4 = off + emitIp(s, v6, s.protocol, s.payload.length, b, off)
  b.set(s.payload, l4)
  return b.subarray(off, off + n)
}

/** UDP over IPv4 (RFC 768). */
export function buildUdp4(s: Ipv4Spec & UdpSpec, out?: Uint8Array, off = 0): Uint8Array {
  return udp(s, false, out, off)
}
/** UDP over IPv6 (RFC 768, RFC 8200 §8.1: checksum mandatory). */
export function buildUdp6(s: Ipv6Spec & UdpSpec, out?: Uint8Array, off = 0): Uint8Array {
  return udp(s, true, out, off)
}
/** TCP over IPv4 (RFC 9293 §3.1). */
export function buildTcp4(s: Ipv4Spec & TcpSpec, out?: Uint8Array, off = 0): Uint8Array {
  return tcp(s, false, out, off)
}
/** TCP over IPv6. */
export function buildTcp6(s: Ipv6Spec & TcpSpec, out?: Uint8Array, off = 0): Uint8Array {
  return tcp(s, true, out, off)
}
/** Any ICMPv4 message (RFC 792), e.g. an error with `payload` = the quote. */
export function buildIcmp4(s: Ipv4Spec & IcmpSpec, out?: Uint8Array, off = 0): Uint8Array {
  return icmp(s, false, out, off)
}
/** Any ICMPv6 message (RFC 4443), e.g. an error with `payload` = the quote. */
export function buildIcmp6(s: Ipv6Spec & IcmpSpec, out?: Uint8Array, off = 0): Uint8Array {
  return icmp(s, true, out, off)
}
/** ICMPv4 Echo Request (8) or Reply (0) (RFC 792). */
export function buildIcmp4Echo(s: Ipv4Spec & EchoSpec, out?: Uint8Array, off = 0): Uint8Array {
  const type = s.reply ? ICMPV4_ECHO_REPLY : ICMPV4_ECHO_REQUEST
  return icmp({ ...s, type, code: 0, rest: ((s.id << 16) | s.seq) >>> 0 }, false, out, off)
}
/** ICMPv6 Echo Request (128) or Reply (129) (RFC 4443 §4). */
export function buildIcmp6Echo(s: Ipv6Spec & EchoSpec, out?: Uint8Array, off = 0): Uint8Array {
  const type = s.reply ? ICMPV6_ECHO_REPLY : ICMPV6_ECHO_REQUEST
  return icmp({ ...s, type, code: 0, rest: ((s.id << 16) | s.seq) >>> 0 }, true, out, off)
}
/** IPv4 with any protocol and a payload copied as is (fragments, options, unknown protocols). */
export function buildIpv4(s: Ipv4Spec & RawSpec, out?: Uint8Array, off = 0): Uint8Array {
  return raw(s, false, out, off)
}
/** IPv6 with extension headers and a payload copied as is. */
export function buildIpv6(s: Ipv6Spec & RawSpec, out?: Uint8Array, off = 0): Uint8Array {
  return raw(s, true, out, off)
}
