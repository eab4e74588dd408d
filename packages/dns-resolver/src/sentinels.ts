/**
 * Sentinel DNS addresses (MISSION.md "Client, DNS"): the client points the host's DNS at
 * addresses in 100.100.111.0/24 and fd00:2021:1111:8000:100:100:111:0/120, one per upstream
 * resolver of the host. A query to a sentinel that is not for a resource is forwarded to the
 * upstream that sentinel stands for.
 *
 * An IPv4 upstream gets the next IPv4 sentinel, an IPv6 upstream the next IPv6 sentinel, from
 * host number 1 on. Upstreams come from `/etc/resolv.conf` text or are given explicitly; an
 * upstream that is itself a sentinel (the host already points at us) is left out, or queries
 * would loop back to us.
 *
 * Configuration code: parse errors throw, naming the field.
 * @module
 */
import {
  ipv4FromText,
  ipv4InPrefix,
  ipv4ToText,
  ipv6FromText,
  ipv6InPrefix,
  ipv6ToText,
} from '@gatehouse/ip-packet'

/** 100.100.111.0, the IPv4 sentinel prefix (/24). */
export const SENTINEL_V4_BASE = 0x64646f00
export const SENTINEL_V4_PREFIX_LEN = 24
/** fd00:2021:1111:8000:100:100:111:0, the IPv6 sentinel prefix (/120). */
export const SENTINEL_V6_BASE = Uint8Array.of(
  0xfd,
  0x00,
  0x20,
  0x21,
  0x11,
  0x11,
  0x80,
  0x00,
  0x01,
  0x00,
  0x01,
  0x00,
  0x01,
  0x11,
  0x00,
  0x00,
)
export const SENTINEL_V6_PREFIX_LEN = 120
/** Host numbers 1..254 of each sentinel prefix. */
export const MAX_SENTINELS_PER_FAMILY = 254

/** A DNS server to forward to: canonical address text, port, family. */
export interface Upstream {
  readonly address: string
  readonly port: number
  readonly family: 4 | 6
}

/** A sentinel address and the upstream it stands for. */
export interface Sentinel {
  /** Canonical text (RFC 5952 for IPv6). */
  readonly address: string
  readonly family: 4 | 6
  readonly upstream: Upstream
}

/**
 * Parses `1.2.3.4`, `1.2.3.4:5353`, `2001:db8::1`, `[2001:db8::1]:5353`. Null when it is none
 * of these. A zone index (`fe80::1%eth0`) is not accepted.
 */
export function parseUpstream(text: string): Upstream | null {
  const s = text.trim()
  let host = s
  let port = 53
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s)
  if (bracket !== null) {
    host = bracket[1]
    if (bracket[2] !== undefined) port = Number(bracket[2])
  } else if (s.indexOf(':') === s.lastIndexOf(':') && s.includes(':')) {
    const i = s.indexOf(':')
    host = s.slice(0, i)
    port = Number(s.slice(i + 1))
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null
  const v4 = ipv4FromText(host)
  if (v4 !== null) return { address: ipv4ToText(v4), port, family: 4 }
  const v6 = ipv6FromText(host)
  if (v6 !== null) return { address: ipv6ToText(v6), port, family: 6 }
  return null
}

/** Is this address (text) inside one of the sentinel prefixes? */
export function isSentinelAddress(text: string): boolean {
  const v4 = ipv4FromText(text)
  if (v4 !== null) return ipv4InPrefix(v4, SENTINEL_V4_BASE, SENTINEL_V4_PREFIX_LEN)
  const v6 = ipv6FromText(text)
  return v6 !== null && ipv6InPrefix(v6, 0, SENTINEL_V6_BASE, 0, SENTINEL_V6_PREFIX_LEN)
}

/**
 * The `nameserver` lines of resolv.conf(5) text, in order, without duplicates, without
 * sentinels and without link-local addresses that need a zone index.
 */
export function parseResolvConf(text: string): Upstream[] {
  const out: Upstream[] = []
  const seen = new Set<string>()
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim()
    const m = /^nameserver\s+(\S+)$/.exec(line)
    if (m === null || m[1].includes('%')) continue
    const host = ipv4FromText(m[1]) !== null ? m[1] : ipv6FromText(m[1]) !== null ? `[${m[1]}]` : null
    if (host === null) continue
    const u = parseUpstream(host)
    if (u === null || isSentinelAddress(u.address)) continue
    const key = `${u.address}#${u.port}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push(u)
  }
  return out
}

/**
 * One sentinel per upstream, same family: 100.100.111.1, .2, ... and
 * fd00:2021:1111:8000:100:100:111:1, :2, ... Throws (naming `field[i]`) on an upstream that
 * does not parse, or on more than 254 of one family.
 */
export function buildSentinels(upstreams: readonly (string | Upstream)[], field = 'upstreams'): Sentinel[] {
  let n4 = 0
  let n6 = 0
  return upstreams.map((u, i) => {
    const up = typeof u === 'string' ? parseUpstream(u) : u
    if (up === null) throw new Error(`${field}[${i}]: not an address or address:port: ${JSON.stringify(u)}`)
    if (up.family === 4) {
      if (++n4 > MAX_SENTINELS_PER_FAMILY) throw new Error(`${field}[${i}]: more than 254 IPv4 upstreams`)
      return { address: ipv4ToText(SENTINEL_V4_BASE + n4), family: 4, upstream: up }
    }
    if (++n6 > MAX_SENTINELS_PER_FAMILY) throw new Error(`${field}[${i}]: more than 254 IPv6 upstreams`)
    const a = SENTINEL_V6_BASE.slice()
    a[15] = n6
    return { address: ipv6ToText(a), family: 6, upstream: up }
  })
}

/** Sentinels from resolv.conf text (see {@link parseResolvConf}). */
export function sentinelsFromResolvConf(text: string): Sentinel[] {
  return buildSentinels(parseResolvConf(text), 'resolv.conf nameserver')
}

/**
 * Finds the upstream a sentinel address stands for. Canonical text is a Map read; any other
 * spelling of the same address is canonicalised first.
 */
export class SentinelTable {
  private readonly byAddress = new Map<string, Upstream>()

  constructor(readonly sentinels: readonly Sentinel[]) {
    for (const s of sentinels) this.byAddress.set(s.address, s.upstream)
  }

  /** The upstream behind a sentinel address, or undefined when it is not one of ours. */
  upstream(address: string): Upstream | undefined {
    const hit = this.byAddress.get(address)
    if (hit !== undefined) return hit
    const v4 = ipv4FromText(address)
    if (v4 !== null) return this.byAddress.get(ipv4ToText(v4))
    const v6 = ipv6FromText(address)
    return v6 === null ? undefined : this.byAddress.get(ipv6ToText(v6))
  }
}
