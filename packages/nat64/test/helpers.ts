/**
 * Test helpers: an independent checksum verifier (full recomputation with
 * RFC 1071 sums, no incremental arithmetic), packet builders from
 * `@gatehouse/ip-packet`, and field readers. Tests only.
 */
import {
  finish,
  get16,
  get32,
  ipv4FromText,
  ipv6FromText,
  pseudoV4,
  pseudoV6,
  sum,
} from '@gatehouse/ip-packet'
import type { PacketBuf } from '../src/index.ts'

export const v4 = (s: string): number => {
  const a = ipv4FromText(s)
  if (a === null) throw new Error(s)
  return a
}
export const v6 = (s: string): Uint8Array => {
  const a = ipv6FromText(s)
  if (a === null) throw new Error(s)
  return a
}
export const hex = (b: Uint8Array, off = 0, len = b.length - off): string =>
  Buffer.from(b.buffer, b.byteOffset + off, len).toString('hex')

/** Copy `p` into a fresh buffer with `headroom` bytes before it and `tail` after; returns the PacketBuf. */
export function place(p: Uint8Array, headroom = 28, tail = 0): PacketBuf {
  const buf = new Uint8Array(headroom + p.length + tail)
  buf.set(p, headroom)
  return { buf, off: headroom, len: p.length }
}

/** The bytes of an output packet, copied. */
export function bytesOf(p: PacketBuf): Uint8Array<ArrayBufferLike> {
  return p.buf.slice(p.off, p.off + p.len)
}

const EXT = new Set([0, 43, 60, 51])

/** Upper-layer offset/protocol of an IPv6 packet (walks 0/43/60/51 and 44); fragment offset in bytes. */
export function v6Upper(
  b: Uint8Array,
  off: number,
): { up: number; proto: number; fragOff: number; frag: number } {
  let nh = b[off + 6]
  let p = off + 40
  let fragOff = 0
  let frag = -1
  for (let i = 0; i < 10; i++) {
    if (nh === 44) {
      frag = p
      fragOff = get16(b, p + 2) & 0xfff8
      nh = b[p]
      p += 8
      if (fragOff !== 0) break
    } else if (EXT.has(nh)) {
      const l = nh === 51 ? (b[p + 1] + 2) * 4 : (b[p + 1] + 1) * 8
      nh = b[p]
      p += l
    } else break
  }
  return { up: p, proto: nh, fragOff, frag }
}

/**
 * Every checksum of the packet, recomputed from scratch: IPv4 header,
 * transport (TCP/UDP/ICMP/ICMPv6, unfragmented only), and inside an ICMP
 * error the quoted IPv4 header and, when the quote is whole, its transport.
 * Returns the list of failures (empty = all good).
 */
export function checksumFailures(b: Uint8Array, off: number, len: number, inner = false): string[] {
  const bad: string[] = []
  const ver = b[off] >> 4
  if (ver === 4) {
    const ihl = (b[off] & 15) * 4
    const total = get16(b, off + 2)
    if (finish(sum(b, off, ihl, 0)) !== 0) bad.push(`${inner ? 'inner ' : ''}ipv4 header`)
    const frag = (get16(b, off + 6) & 0x3fff) !== 0
    const proto = b[off + 9]
    const up = off + ihl
    const upLen = total - ihl
    const have = off + len - up
    if (frag) return bad
    if (proto === 1 && have >= 8) {
      if (!inner || have >= upLen) {
        if (!inner && finish(sum(b, up, upLen, 0)) !== 0) bad.push('icmpv4')
        if (inner && finish(sum(b, up, upLen, 0)) !== 0) bad.push('inner icmpv4')
      }
      const t = b[up]
      if (!inner && (t === 3 || t === 11 || t === 12))
        bad.push(...checksumFailures(b, up + 8, have - 8, true))
    } else if ((proto === 6 || proto === 17) && have >= upLen && upLen >= 8) {
      const ps = pseudoV4(get32(b, off + 12), get32(b, off + 16), proto, upLen)
      if (!(proto === 17 && get16(b, up + 6) === 0) && finish(sum(b, up, upLen, ps)) !== 0) {
        bad.push(`${inner ? 'inner ' : ''}${proto === 6 ? 'tcp' : 'udp'}4`)
      }
    }
  } else if (ver === 6) {
    const { up, proto, fragOff, frag } = v6Upper(b, off)
    const total = 40 + get16(b, off + 4)
    const upLen = total - (up - off)
    const have = off + len - up
    const fragmented = frag >= 0 && (fragOff !== 0 || (get16(b, frag + 2) & 1) === 1)
    if (fragmented) return bad
    if (proto === 58 && have >= 8) {
      if (have >= upLen && finish(sum(b, up, upLen, pseudoV6(b, off + 8, off + 24, 58, upLen))) !== 0) {
        bad.push(`${inner ? 'inner ' : ''}icmpv6`)
      }
      if (!inner && b[up] < 128) bad.push(...checksumFailures(b, up + 8, have - 8, true))
    } else if ((proto === 6 || proto === 17) && have >= upLen && upLen >= 8) {
      if (finish(sum(b, up, upLen, pseudoV6(b, off + 8, off + 24, proto, upLen))) !== 0) {
        bad.push(`${inner ? 'inner ' : ''}${proto === 6 ? 'tcp' : 'udp'}6`)
      }
      if (proto === 17 && get16(b, up + 6) === 0) bad.push('udp6 zero checksum')
    }
  }
  return bad
}

export function allFailures(p: PacketBuf): string[] {
  return checksumFailures(p.buf, p.off, p.len)
}

export const payload = (n: number, seed = 1): Uint8Array<ArrayBuffer> => {
  const a = new Uint8Array(n)
  for (let i = 0; i < n; i++) a[i] = (i * 31 + seed * 7) & 0xff
  return a
}
