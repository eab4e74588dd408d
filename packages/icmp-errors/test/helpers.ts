/**
 * Test-only packet construction and verification. Uses ip-packet's checksum;
 * replace `ipv4Packet`/`ipv6Packet` with @gatehouse/ip-packet's builder once it lands.
 */
import { finish, get16, get32, pseudoV4, pseudoV6, put16, put32, sum } from '@gatehouse/ip-packet'

export interface V4Opts {
  src?: number
  dst?: number
  proto?: number
  ttl?: number
  tos?: number
  fragOff?: number
  mf?: boolean
  ihl?: number
}

/** An IPv4 packet with `payload` after the header; the transport checksum (TCP/UDP/ICMP) is filled in. */
export function ipv4Packet(payload: Uint8Array, o: V4Opts = {}): Uint8Array {
  const ihl = o.ihl ?? 20
  const b = new Uint8Array(ihl + payload.length)
  b[0] = 0x40 | (ihl >> 2)
  b[1] = o.tos ?? 0
  b[2] = b.length >> 8
  b[3] = b.length & 0xff
  b[4] = 0x12
  b[5] = 0x34
  const fo = o.fragOff ?? 0
  b[6] = ((o.mf ? 0x20 : 0) | (fo >> 8)) & 0xff
  b[7] = fo & 0xff
  b[8] = o.ttl ?? 64
  b[9] = o.proto ?? 17
  const src = (o.src ?? 0x0a000001) >>> 0
  const dst = (o.dst ?? 0x0a000002) >>> 0
  put32(b, 12, src)
  put32(b, 16, dst)
  b.set(payload, ihl)
  fillTransportV4(b, ihl)
  const c = finish(sum(b, 0, ihl, 0))
  b[10] = c >> 8
  b[11] = c & 0xff
  return b
}

function fillTransportV4(b: Uint8Array, ihl: number): void {
  const proto = b[9]
  const len = b.length - ihl
  const src = get32(b, 12)
  const dst = get32(b, 16)
  if (proto === 17 && len >= 8) {
    b[ihl + 6] = 0
    b[ihl + 7] = 0
    let c = finish(sum(b, ihl, len, pseudoV4(src, dst, 17, len)))
    if (c === 0) c = 0xffff
    put16(b, ihl + 6, c)
  } else if (proto === 6 && len >= 20) {
    b[ihl + 16] = 0
    b[ihl + 17] = 0
    put16(b, ihl + 16, finish(sum(b, ihl, len, pseudoV4(src, dst, 6, len))))
  } else if (proto === 1 && len >= 4) {
    b[ihl + 2] = 0
    b[ihl + 3] = 0
    put16(b, ihl + 2, finish(sum(b, ihl, len, 0)))
  }
}

export interface V6Opts {
  src?: Uint8Array
  dst?: Uint8Array
  next?: number
  hopLimit?: number
  /** Extension headers placed before the payload; their next-header bytes are chained. */
  ext?: { type: number; bytes: Uint8Array }[]
  proto?: number
}

export function v6(s: string): Uint8Array {
  const out = new Uint8Array(16)
  const [head, tail] = s.includes('::') ? s.split('::') : [s, '']
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16)
    out[2 * i] = v >> 8
    out[2 * i + 1] = v & 0xff
  })
  return out
}

/** An IPv6 packet; the upper-layer checksum (TCP/UDP/ICMPv6) is filled in. */
export function ipv6Packet(payload: Uint8Array, o: V6Opts = {}): Uint8Array {
  const ext = o.ext ?? []
  const extLen = ext.reduce((n, e) => n + e.bytes.length, 0)
  const b = new Uint8Array(40 + extLen + payload.length)
  b[0] = 0x60
  put16(b, 4, extLen + payload.length)
  const proto = o.proto ?? 17
  b[6] = ext.length > 0 ? ext[0].type : proto
  b[7] = o.hopLimit ?? 64
  b.set(o.src ?? v6('fd00::1'), 8)
  b.set(o.dst ?? v6('fd00::2'), 24)
  let p = 40
  ext.forEach((e, i) => {
    b.set(e.bytes, p)
    b[p] = i + 1 < ext.length ? ext[i + 1].type : proto
    p += e.bytes.length
  })
  b.set(payload, p)
  const len = payload.length
  const ck = proto === 17 ? 6 : proto === 6 ? 16 : proto === 58 ? 2 : -1
  if (ck >= 0 && len >= ck + 2) {
    b[p + ck] = 0
    b[p + ck + 1] = 0
    let c = finish(sum(b, p, len, pseudoV6(b, 8, 24, proto, len)))
    if (c === 0 && proto === 17) c = 0xffff
    put16(b, p + ck, c)
  }
  return b
}

export function udp(sport: number, dport: number, data: Uint8Array | number = 8): Uint8Array {
  const d = typeof data === 'number' ? new Uint8Array(data).map((_, i) => i & 0xff) : data
  const b = new Uint8Array(8 + d.length)
  put16(b, 0, sport)
  put16(b, 2, dport)
  put16(b, 4, b.length)
  b.set(d, 8)
  return b
}

export function tcp(sport: number, dport: number, dataLen = 0): Uint8Array {
  const b = new Uint8Array(20 + dataLen)
  put16(b, 0, sport)
  put16(b, 2, dport)
  put32(b, 4, 0x01020304)
  b[12] = 0x50
  b[13] = 0x02 // SYN
  put16(b, 14, 65535)
  for (let i = 0; i < dataLen; i++) b[20 + i] = (i * 7) & 0xff
  return b
}

/** An ICMP/ICMPv6 message: type, code, 4 bytes of rest, then `body`. Checksum left 0 (the packet builder fills it). */
export function icmp(type: number, code: number, rest = 0, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const b = new Uint8Array(8 + body.length)
  b[0] = type
  b[1] = code
  put32(b, 4, rest)
  b.set(body, 8)
  return b
}

/** True when the IPv4 header checksum at `o` verifies. */
export function ipv4HeaderOk(b: Uint8Array, o = 0): boolean {
  return finish(sum(b, o, (b[o] & 15) * 4, 0)) === 0
}

/** True when the ICMPv4 message of the IPv4 packet at `o` verifies. */
export function icmpv4Ok(b: Uint8Array, o = 0): boolean {
  const ihl = (b[o] & 15) * 4
  return finish(sum(b, o + ihl, get16(b, o + 2) - ihl, 0)) === 0
}

/** True when the ICMPv6 message (directly after the fixed header) verifies with its pseudo-header. */
export function icmpv6Ok(b: Uint8Array, o = 0): boolean {
  const len = get16(b, o + 4)
  return finish(sum(b, o + 40, len, pseudoV6(b, o + 8, o + 24, 58, len))) === 0
}

/** True when a whole TCP/UDP segment of the IPv4 packet verifies. */
export function transportV4Ok(b: Uint8Array, o = 0): boolean {
  const ihl = (b[o] & 15) * 4
  const len = get16(b, o + 2) - ihl
  const proto = b[o + 9]
  if (proto === 1) return finish(sum(b, o + ihl, len, 0)) === 0
  if (proto === 17 && get16(b, o + ihl + 6) === 0) return true
  return finish(sum(b, o + ihl, len, pseudoV4(get32(b, o + 12), get32(b, o + 16), proto, len))) === 0
}

/** True when a whole upper layer directly after an IPv6 fixed header verifies. */
export function transportV6Ok(b: Uint8Array, o = 0): boolean {
  const len = get16(b, o + 4)
  return finish(sum(b, o + 40, len, pseudoV6(b, o + 8, o + 24, b[o + 6], len))) === 0
}
