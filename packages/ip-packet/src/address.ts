/**
 * IP addresses: the packet-path representation and text conversion.
 *
 * On the packet path an IPv4 address is a u32 `number` (network byte order
 * read big-endian, so 192.0.2.1 is 0xc0000201) and an IPv6 address is the 16
 * bytes where they lie, named by (buffer, offset): compared and copied in
 * place, never turned into a string or a fresh array. The text functions here
 * are for logs and configuration only; they allocate and may be slow.
 *
 * Text forms: IPv4 dotted quad (RFC 791 §3.2 / inet_pton's strict form:
 * four decimal parts 0..255, no leading zeros, so "010" is not read as octal);
 * IPv6 per RFC 4291 §2.2 on input and RFC 5952 §4 canonical form on output.
 */
import { get32 } from './bytes.ts'

/** An IP address of either family, as parsed from text. */
export type IpAddress = { family: 4; addr4: number } | { family: 6; addr6: Uint8Array }

/** A prefix: the address as written (host bits are kept) and its length. For family 4, `addr6` is all zeros; for family 6, `addr4` is 0. */
export interface Cidr {
  family: 4 | 6
  addr4: number
  addr6: Uint8Array
  prefixLen: number
}

/** Dotted-quad text of a u32 IPv4 address (RFC 791 §3.2). */
export function ipv4ToText(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`
}

/** Parse a strict dotted quad into a u32, or null. Rejects leading zeros (ambiguous octal), fewer or more than 4 parts, and whitespace. */
export function ipv4FromText(s: string): number | null {
  return parseV4(s, 0, s.length)
}

function parseV4(s: string, start: number, end: number): number | null {
  let value = 0
  let parts = 0
  let i = start
  while (parts < 4) {
    let part = 0
    let digits = 0
    const first = i
    while (i < end) {
      const c = s.charCodeAt(i)
      if (c < 0x30 || c > 0x39) break
      part = part * 10 + (c - 0x30)
      digits++
      i++
      if (digits > 3) return null
    }
    if (digits === 0 || part > 255) return null
    if (digits > 1 && s.charCodeAt(first) === 0x30) return null
    value = value * 256 + part
    parts++
    if (parts < 4) {
      if (i >= end || s.charCodeAt(i) !== 0x2e) return null
      i++
    }
  }
  return i === end ? value >>> 0 : null
}

/** The prefix mask of an IPv4 prefix length 0..32 as a u32 (0 for /0, 0xffffffff for /32). */
export function ipv4PrefixMask(prefixLen: number): number {
  return prefixLen <= 0 ? 0 : prefixLen >= 32 ? 0xffffffff : (0xffffffff << (32 - prefixLen)) >>> 0
}

/** True when IPv4 address `a` lies in `prefix`/`prefixLen`. */
export function ipv4InPrefix(a: number, prefix: number, prefixLen: number): boolean {
  const m = ipv4PrefixMask(prefixLen)
  return (a & m) >>> 0 === (prefix & m) >>> 0
}

const HEX = '0123456789abcdef'

function hex16(w: number): string {
  // RFC 5952 §4.1: leading zeros suppressed; §4.3: lowercase.
  if (w < 0x10) return HEX[w]
  if (w < 0x100) return HEX[w >> 4] + HEX[w & 15]
  if (w < 0x1000) return HEX[w >> 8] + HEX[(w >> 4) & 15] + HEX[w & 15]
  return HEX[w >> 12] + HEX[(w >> 8) & 15] + HEX[(w >> 4) & 15] + HEX[w & 15]
}

/**
 * RFC 5952 §4 canonical text of the 16 bytes at `b[off..off+16]`: lowercase hex,
 * no leading zeros (§4.1), the longest run of two or more zero groups shortened
 * to `::`, the first one on a tie (§4.2.1-4.2.3), a single zero group never
 * shortened (§4.2.2). IPv4-mapped addresses (::ffff:0:0/96) end in a dotted
 * quad (§5), as inet_ntop writes them.
 */
export function ipv6ToText(b: Uint8Array, off = 0): string {
  const g = [0, 0, 0, 0, 0, 0, 0, 0]
  for (let i = 0; i < 8; i++) g[i] = (b[off + 2 * i] << 8) | b[off + 2 * i + 1]
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`
  }
  let bestStart = -1
  let bestLen = 1 // §4.2.2: a run must be longer than one group
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  if (bestStart < 0) return g.map(hex16).join(':')
  const head = g.slice(0, bestStart).map(hex16).join(':')
  const tail = g
    .slice(bestStart + bestLen)
    .map(hex16)
    .join(':')
  return `${head}::${tail}`
}

/**
 * Parse RFC 4291 §2.2 IPv6 text: eight groups of 1-4 hex digits, at most one
 * `::`, optionally ending in a dotted quad (`::ffff:1.2.3.4`, `64:ff9b::192.0.2.1`).
 * Writes the 16 bytes into `out` at `off` (a new array when `out` is omitted)
 * and returns `out`, or returns null and leaves `out` untouched. Zone ids
 * (`%eth0`) and brackets are rejected.
 */
export function ipv6FromText(s: string, out?: Uint8Array, off = 0): Uint8Array | null {
  const groups = [0, 0, 0, 0, 0, 0, 0, 0]
  let n = 0 // groups written
  let gap = -1 // index in `groups` where `::` stood
  const len = s.length
  let i = 0
  if (len < 2) return null
  if (s.charCodeAt(0) === 0x3a) {
    // A leading ':' is only valid as part of '::'.
    if (s.charCodeAt(1) !== 0x3a) return null
    gap = 0
    i = 2
    if (i === len) return write(groups, 0, gap, out, off)
  }
  while (i < len) {
    if (n >= 8) return null
    // Embedded IPv4: the rest of the string, when it contains a '.', is a dotted quad (RFC 4291 §2.2 form 3).
    let j = i
    let digits = 0
    let w = 0
    let dot = false
    while (j < len) {
      const c = s.charCodeAt(j)
      if (c === 0x2e) {
        dot = true
        break
      }
      const h = hexValue(c)
      if (h < 0) break
      w = (w << 4) | h
      digits++
      j++
    }
    if (dot) {
      if (n > 6) return null
      const v4 = parseV4(s, i, len)
      if (v4 === null) return null
      groups[n++] = v4 >>> 16
      groups[n++] = v4 & 0xffff
      i = len
      break
    }
    if (digits === 0 || digits > 4) return null
    groups[n++] = w
    i = j
    if (i === len) break
    if (s.charCodeAt(i) !== 0x3a) return null
    i++
    if (i === len) return null // trailing single ':'
    if (s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return null // a second '::'
      gap = n
      i++
      if (i === len) break
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return null
  return write(groups, n, gap, out, off)
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  return -1
}

function write(
  groups: number[],
  n: number,
  gap: number,
  out: Uint8Array | undefined,
  off: number,
): Uint8Array {
  const dst = out ?? new Uint8Array(16)
  const full = [0, 0, 0, 0, 0, 0, 0, 0]
  if (gap < 0) {
    for (let k = 0; k < 8; k++) full[k] = groups[k]
  } else {
    for (let k = 0; k < gap; k++) full[k] = groups[k]
    const tail = n - gap
    for (let k = 0; k < tail; k++) full[8 - tail + k] = groups[gap + k]
  }
  for (let k = 0; k < 8; k++) {
    dst[off + 2 * k] = full[k] >> 8
    dst[off + 2 * k + 1] = full[k] & 0xff
  }
  return dst
}

/** Parse an address of either family: IPv4 dotted quad first, then IPv6; null if neither. */
export function ipFromText(s: string): IpAddress | null {
  const a4 = ipv4FromText(s)
  if (a4 !== null) return { family: 4, addr4: a4 }
  const a6 = ipv6FromText(s)
  if (a6 !== null) return { family: 6, addr6: a6 }
  return null
}

/** Text of an address of either family. */
export function ipToText(a: IpAddress): string {
  return a.family === 4 ? ipv4ToText(a.addr4) : ipv6ToText(a.addr6, 0)
}

/**
 * Parse `addr/len` (RFC 4632 §3.1 for IPv4, RFC 4291 §2.3 for IPv6). A bare
 * address means a host prefix (/32 or /128). The address is kept as written:
 * host bits are not cleared (use `ipv4PrefixMask`/`ipv6InPrefix` to compare).
 */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/')
  const addrText = slash < 0 ? s : s.slice(0, slash)
  let prefixLen = -1
  if (slash >= 0) {
    const p = s.slice(slash + 1)
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null
    prefixLen = Number(p)
  }
  const a4 = ipv4FromText(addrText)
  if (a4 !== null) {
    if (prefixLen > 32) return null
    return { family: 4, addr4: a4, addr6: new Uint8Array(16), prefixLen: prefixLen < 0 ? 32 : prefixLen }
  }
  const a6 = ipv6FromText(addrText)
  if (a6 !== null) {
    if (prefixLen > 128) return null
    return { family: 6, addr4: 0, addr6: a6, prefixLen: prefixLen < 0 ? 128 : prefixLen }
  }
  return null
}

/**
 * True when the 16 bytes at `a[aOff..]` equal those at `b[bOff..]`: four
 * big-endian u32 words built from bytes, measured faster than a byte loop,
 * xor-or or (per call) DataView reads (bench/address.bench.ts). To look an
 * address up in a table, read it once with `ipv6Word` and keep the table as
 * u32 words instead: several times faster again (README).
 */
export function ipv6Equals(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  for (let i = 0; i < 16; i += 4) {
    if (
      ((a[aOff + i] << 24) | (a[aOff + i + 1] << 16) | (a[aOff + i + 2] << 8) | a[aOff + i + 3]) !==
      ((b[bOff + i] << 24) | (b[bOff + i + 1] << 16) | (b[bOff + i + 2] << 8) | b[bOff + i + 3])
    ) {
      return false
    }
  }
  return true
}

/** Copy the 16 bytes at `src[srcOff..]` to `dst[dstOff..]` without allocating (no subarray). Overlap-safe only when the ranges are equal or disjoint. */
export function ipv6Copy(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  for (let i = 0; i < 16; i++) dst[dstOff + i] = src[srcOff + i]
}

/** Big-endian u32 word `i` (0..3) of the IPv6 address at `b[off..]`, as an unsigned number. */
export function ipv6Word(b: Uint8Array, off: number, i: number): number {
  return get32(b, off + 4 * i)
}

/** True when the IPv6 address at `a[aOff..]` lies in the prefix at `prefix[pOff..]` of length `prefixLen` (0..128). */
export function ipv6InPrefix(
  a: Uint8Array,
  aOff: number,
  prefix: Uint8Array,
  pOff: number,
  prefixLen: number,
): boolean {
  let bits = prefixLen
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const m = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff
    if ((a[aOff + i] & m) !== (prefix[pOff + i] & m)) return false
  }
  return true
}

/** True when the IPv6 address at `b[off..]` is IPv4-mapped (::ffff:0:0/96, RFC 4291 §2.5.5.2). */
export function ipv6IsV4Mapped(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false
  return b[off + 10] === 0xff && b[off + 11] === 0xff
}
