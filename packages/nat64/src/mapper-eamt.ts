/**
 * RFC 7757 Explicit Address Mappings (EAMT), with an optional RFC 6052 pool6
 * fallback: the classic SIIT address mapper.
 *
 * Each entry maps an IPv4 prefix to an IPv6 prefix with the same number of
 * suffix bits (RFC 7757 §3.2: the suffix is copied unchanged, at bit level,
 * so 192.0.2.8/29 = 2001:db8:c::/125 maps .9 to ::1). Entries work in both
 * directions; overlapping prefixes are allowed and the longest match wins
 * (RFC 7757 §3.3, as a routing table does). An address matched by no entry
 * falls back to the RFC 6052 prefix when one is configured (RFC 7757 §3.3
 * steps 1 and 2), else it cannot be mapped.
 *
 * Hairpinning (RFC 7757 §4.2): an IPv6 node with an EAM address that talks to
 * another EAM'd node through its IPv4-embedded (pool6) address makes an IPv4
 * packet whose source and destination both match EAM entries; the network
 * routes it back into the translator. Translated back to IPv6 by the EAMT
 * alone, its source would become the sender's EAM IPv6 address, which the
 * receiver never talked to. So when both IPv4 addresses match an entry and a
 * pool6 is configured, the source is mapped with the pool6 instead.
 *
 * Lookups allocate nothing. IPv4 lookups are one Map probe per distinct
 * prefix length; IPv6 lookups scan the entries longest prefix first (fine for
 * the tens of entries an SIIT-DC table holds; a trie would beat it at
 * thousands).
 */
import { get32, ipv4PrefixMask, ipv6InPrefix, parseCidr } from '@gatehouse/ip-packet'
import type { AddressMapper } from './mapper.ts'
import type { Rfc6052Mapper } from './mapper-rfc6052.ts'

/** One EAMT entry: IPv4 prefix <-> IPv6 prefix. */
export interface EamtEntry {
  /** IPv4 prefix, u32 with host bits zero. */
  readonly v4: number
  readonly v4Len: number
  /** IPv6 prefix, 16 bytes with host bits zero. */
  readonly v6: Uint8Array
  readonly v6Len: number
}

/** Options of `EamtMapper`. */
export interface EamtOptions {
  /** RFC 6052 fallback for addresses no entry matches (RFC 7757 §3.3). */
  pool6?: Rfc6052Mapper
  /** RFC 7757 §4.2 hairpinning (needs `pool6`); default true. */
  hairpinning?: boolean
}

function maskV6(b: Uint8Array, len: number): Uint8Array {
  const out = b.slice()
  for (let i = 0; i < 16; i++) {
    const bits = len - i * 8
    out[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff
  }
  return out
}

/**
 * Parse an entry from text, `192.0.2.0/24=2001:db8:2::/120` (either order).
 * @throws naming `eamt` when either side is not a prefix or the suffix lengths differ.
 */
export function parseEamtEntry(text: string): EamtEntry {
  const eq = text.indexOf('=')
  if (eq < 0) throw new Error(`eamt: expected V4PREFIX=V6PREFIX, got ${text}`)
  let a = parseCidr(text.slice(0, eq).trim())
  let b = parseCidr(text.slice(eq + 1).trim())
  if (a === null || b === null) throw new Error(`eamt: not a prefix pair: ${text}`)
  if (a.family === 6) [a, b] = [b, a]
  if (a.family !== 4 || b.family !== 6) throw new Error(`eamt: needs one IPv4 and one IPv6 prefix: ${text}`)
  return eamtEntry(a.addr4, a.prefixLen, b.addr6, b.prefixLen)
}

/**
 * Make an entry; host bits are cleared.
 * @throws naming `eamt` when the suffix lengths differ (RFC 7757 §3.2) or a length is out of range.
 */
export function eamtEntry(v4: number, v4Len: number, v6: Uint8Array, v6Len: number): EamtEntry {
  if (!(v4Len >= 0 && v4Len <= 32 && v6Len >= 0 && v6Len <= 128))
    throw new Error('eamt: prefix length out of range')
  if (32 - v4Len !== 128 - v6Len) {
    throw new Error(
      `eamt: RFC 7757 §3.2: suffix lengths differ (/${v4Len} has ${32 - v4Len} bits, /${v6Len} has ${128 - v6Len})`,
    )
  }
  return { v4: (v4 & ipv4PrefixMask(v4Len)) >>> 0, v4Len, v6: maskV6(v6, v6Len), v6Len }
}

/** The EAMT mapper (RFC 7757), optionally falling back to an RFC 6052 prefix. */
export class EamtMapper implements AddressMapper {
  /** Entries, longest IPv6 prefix first. */
  readonly entries: readonly EamtEntry[]
  private readonly v4Lengths: Int32Array
  private readonly v4Masks: Uint32Array
  private readonly v4Tables: Map<number, EamtEntry>[]
  private readonly pool6: Rfc6052Mapper | null
  private readonly hairpinning: boolean

  /** @throws naming `eamt` on a duplicate prefix. */
  constructor(entries: readonly (EamtEntry | string)[], options: EamtOptions = {}) {
    const list = entries.map((e) => (typeof e === 'string' ? parseEamtEntry(e) : e))
    this.entries = [...list].sort((x, y) => y.v6Len - x.v6Len)
    const byLen = new Map<number, Map<number, EamtEntry>>()
    for (const e of list) {
      let t = byLen.get(e.v4Len)
      if (t === undefined) {
        t = new Map()
        byLen.set(e.v4Len, t)
      }
      if (t.has(e.v4)) throw new Error(`eamt: duplicate IPv4 prefix in entry /${e.v4Len}`)
      t.set(e.v4, e)
    }
    const lengths = [...byLen.keys()].sort((x, y) => y - x)
    this.v4Lengths = Int32Array.from(lengths)
    this.v4Masks = Uint32Array.from(lengths.map(ipv4PrefixMask))
    this.v4Tables = lengths.map((l) => byLen.get(l)!)
    this.pool6 = options.pool6 ?? null
    this.hairpinning = options.hairpinning !== false && this.pool6 !== null
  }

  /** Longest-match entry for an IPv4 address, or undefined. */
  lookup4(a: number): EamtEntry | undefined {
    for (let i = 0; i < this.v4Lengths.length; i++) {
      const e = this.v4Tables[i].get((a & this.v4Masks[i]) >>> 0)
      if (e !== undefined) return e
    }
    return undefined
  }

  /** Longest-match entry for the IPv6 address at `buf[off..]`, or undefined. */
  lookup6(buf: Uint8Array, off: number): EamtEntry | undefined {
    const es = this.entries
    for (let i = 0; i < es.length; i++) {
      const e = es[i]
      if (ipv6InPrefix(buf, off, e.v6, 0, e.v6Len)) return e
    }
    return undefined
  }

  private to4(buf: Uint8Array, off: number): number {
    const e = this.lookup6(buf, off)
    if (e !== undefined) {
      // RFC 7757 §3.2: the suffix (the low 32 - v4Len bits) is copied unchanged.
      const low = get32(buf, off + 12)
      return (e.v4 | (low & ~ipv4PrefixMask(e.v4Len))) >>> 0
    }
    return this.pool6 === null ? -1 : this.pool6.extract(buf, off)
  }

  private write6(e: EamtEntry, a: number, out: Uint8Array, off: number): void {
    const p = e.v6
    for (let i = 0; i < 16; i++) out[off + i] = p[i]
    const host = (a & ~ipv4PrefixMask(e.v4Len)) >>> 0
    out[off + 12] |= host >>> 24
    out[off + 13] |= (host >>> 16) & 0xff
    out[off + 14] |= (host >>> 8) & 0xff
    out[off + 15] |= host & 0xff
  }

  private to6(a: number, out: Uint8Array, off: number): boolean {
    const e = this.lookup4(a)
    if (e !== undefined) {
      this.write6(e, a, out, off)
      return true
    }
    return this.pool6?.embed(a, out, off) === true
  }

  src6to4(buf: Uint8Array, off: number): number {
    return this.to4(buf, off)
  }
  dst6to4(buf: Uint8Array, off: number): number {
    return this.to4(buf, off)
  }
  src4to6(src: number, dst: number, out: Uint8Array, off: number): boolean {
    // RFC 7757 §4.2: a hairpinned packet's source takes the pool6 form.
    if (this.hairpinning && this.lookup4(dst) !== undefined && this.lookup4(src) !== undefined) {
      return this.pool6!.embed(src, out, off)
    }
    return this.to6(src, out, off)
  }
  dst4to6(dst: number, out: Uint8Array, off: number): boolean {
    return this.to6(dst, out, off)
  }
}
