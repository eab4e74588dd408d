/**
 * Configuration-time helpers of the client shell, kept pure so they are tested without devices:
 * what the TUN gets (addresses and routes), where the gateway is, which upstreams the sentinels
 * stand for. Errors throw naming the field.
 */
import type { ClientConfig } from '@gatehouse/app-common'
import { type DnsResource, parseResolvConf, parseUpstream, type Upstream } from '@gatehouse/dns-resolver'
import {
  ipFromText,
  ipv4InPrefix,
  ipv4PrefixMask,
  ipv4ToText,
  ipv6InPrefix,
  ipv6ToText,
  parseCidr,
} from '@gatehouse/ip-packet'
import { PROXY_RANGE_V4, PROXY_RANGE_V6, SENTINEL_RANGE_V4, SENTINEL_RANGE_V6 } from './constants.ts'

/** The Internet resource as routes: two halves per family, more specific than any default route. */
export const INTERNET_ROUTES = ['0.0.0.0/1', '128.0.0.0/1', '::/1', '8000::/1']

/** The TUN's own addresses: the client's tunnel IPs as host prefixes. */
export function tunAddresses(cfg: Pick<ClientConfig, 'ipv4' | 'ipv6'>): string[] {
  return [`${cfg.ipv4}/32`, `${cfg.ipv6}/128`]
}

/** Routes into the TUN: proxy ranges, sentinel ranges, CIDR resources, the Internet resource. */
export function tunRoutes(cfg: Pick<ClientConfig, 'resources'>): string[] {
  const routes = [PROXY_RANGE_V4, PROXY_RANGE_V6, SENTINEL_RANGE_V4, SENTINEL_RANGE_V6]
  for (const r of cfg.resources) {
    if (r.type === 'cidr') routes.push(canonicalCidr(r.address))
    else if (r.type === 'internet') routes.push(...INTERNET_ROUTES)
  }
  return [...new Set(routes)]
}

/** `10.0.0.7/24` -> `10.0.0.0/24`: `ip route` refuses host bits. */
export function canonicalCidr(text: string): string {
  const c = parseCidr(text)
  if (c === null) throw new Error(`resources: not a CIDR: ${text}`)
  if (c.family === 4) return `${ipv4ToText((c.addr4 & ipv4PrefixMask(c.prefixLen)) >>> 0)}/${c.prefixLen}`
  const b = c.addr6.slice()
  for (let i = 0; i < 16; i++) b[i] &= (0xff << (8 - Math.max(0, Math.min(8, c.prefixLen - i * 8)))) & 0xff
  return `${ipv6ToText(b)}/${c.prefixLen}`
}

/** True when `ip` (text) falls inside one of `routes`: traffic to it would loop into the TUN. */
export function routedIntoTun(ip: string, routes: readonly string[]): boolean {
  const a = ipFromText(ip)
  if (a === null) return false
  for (const r of routes) {
    const c = parseCidr(r)
    if (c === null || c.family !== a.family) continue
    if (
      a.family === 4
        ? ipv4InPrefix(a.addr4, c.addr4, c.prefixLen)
        : ipv6InPrefix(a.addr6, 0, c.addr6, 0, c.prefixLen)
    )
      return true
  }
  return false
}

/** The DNS resources of the config, for the stub resolver. */
export function dnsResources(cfg: Pick<ClientConfig, 'resources'>): DnsResource[] {
  const out: DnsResource[] = []
  for (const r of cfg.resources)
    if (r.type === 'dns') out.push({ id: r.id, address: r.address, ipStack: r.ipStack })
  return out
}

/** `host:port` / `[v6]:port` -> parts (the schema checked the shape). */
export function splitEndpoint(text: string): { host: string; port: number } {
  const c = text.lastIndexOf(':')
  return { host: text.slice(0, c).replace(/^\[|\]$/g, ''), port: Number(text.slice(c + 1)) }
}

/** The upstreams the sentinels stand for: the config's `upstreamDns`, else the nameservers of resolv.conf text. */
export function upstreamsFor(configured: readonly string[], resolvConfText: string): Upstream[] {
  if (configured.length > 0) {
    return configured.map((ip, i) => {
      const u = parseUpstream(ipFromText(ip)?.family === 6 ? `[${ip}]` : ip)
      if (u === null) throw new Error(`upstreamDns.${i}: not a resolver address: ${ip}`)
      return u
    })
  }
  return parseResolvConf(resolvConfText)
}
