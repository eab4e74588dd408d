/**
 * The access model: clients (with their tunnel IPs), resources (DNS, CIDR, the
 * Internet) with their filters, and which client may use which resource.
 *
 * Configuration-time methods validate and throw an Error naming the field; the
 * packet-path methods (`clientByTunnelIp`, `matchCidr`, `filterAllows`, ...) read
 * typed arrays and plain fields only.
 */
import { parseCidr } from '@gatehouse/ip-packet'
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from './constants.ts'
import { bytesToWords } from './flow.ts'
import { TupleIndex } from './tuple-index.ts'

/**
 * A traffic filter (Firezone's resource filters): TCP or UDP destination ports
 * `from`..`to` inclusive, or ICMP (echo and every other ICMP/ICMPv6 message).
 * A resource with no filters allows everything.
 */
export type Filter = { protocol: 'tcp' | 'udp'; from: number; to: number } | { protocol: 'icmp' }

/**
 * A resource. `dns`: reached through proxy IPs that `setDomainMapping` maps onto the
 * resolved addresses (NAT). `cidr`: the addresses in `address` (`a.b.c.d/n`,
 * `x::/n` or a bare address), reached without NAT. `internet`: every address, reached
 * without NAT.
 */
export type ResourceConfig =
  | { kind: 'dns'; id: string; filters?: readonly Filter[] }
  | { kind: 'cidr'; id: string; address: string; filters?: readonly Filter[] }
  | { kind: 'internet'; id: string; filters?: readonly Filter[] }

/** Tunnel IPs of a client, as text; at least one. */
export interface ClientConfig {
  ipv4?: string
  ipv6?: string
}

export const KIND_DNS = 0
export const KIND_CIDR = 1
export const KIND_INTERNET = 2

/** A compiled resource. */
export interface Resource {
  readonly index: number
  readonly id: string
  readonly kind: number
  /** CIDR: family, prefix words (IPv4 in word 3), prefix length. */
  readonly family: 4 | 6
  readonly prefix: Int32Array
  readonly prefixLen: number
  readonly allowAll: boolean
  readonly icmp: boolean
  /** [from, to] pairs. */
  readonly tcp: Uint16Array
  readonly udp: Uint16Array
}

/** A registered client. */
export interface Client {
  readonly id: number
  readonly hasV4: boolean
  readonly hasV6: boolean
  /** Tunnel IPv4 in word 3 (words 0..3), tunnel IPv6 in words 4..7. */
  readonly tunnel: Int32Array
  /** Indexes of the resources the client may use. */
  readonly allowed: Set<number>
  /** Allowed CIDR resources, longest prefix first. */
  cidrs: number[]
  /** An allowed Internet resource, or -1. */
  internet: number
}

function compileFilters(id: string, filters: readonly Filter[] | undefined) {
  const tcp: number[] = []
  const udp: number[] = []
  let icmp = false
  for (const [i, f] of (filters ?? []).entries()) {
    if (f.protocol === 'icmp') {
      icmp = true
      continue
    }
    if (f.protocol !== 'tcp' && f.protocol !== 'udp') {
      throw new Error(`resource ${id}: filters[${i}].protocol must be tcp, udp or icmp`)
    }
    const ok = (p: number) => Number.isInteger(p) && p >= 0 && p <= 0xffff
    if (!ok(f.from) || !ok(f.to) || f.from > f.to) {
      throw new Error(`resource ${id}: filters[${i}] needs 0 <= from <= to <= 65535`)
    }
    ;(f.protocol === 'tcp' ? tcp : udp).push(f.from, f.to)
  }
  return {
    allowAll: (filters ?? []).length === 0,
    icmp,
    tcp: Uint16Array.from(tcp),
    udp: Uint16Array.from(udp),
  }
}

/** True when the IPv4 (word 3) or IPv6 address at `a[aOff..]` lies in the resource's prefix. */
function prefixMatch(r: Resource, a: Int32Array, aOff: number): boolean {
  if (r.family === 4) {
    const len = r.prefixLen
    if (len === 0) return true
    const m = len >= 32 ? -1 : -1 << (32 - len)
    return (a[aOff + 3] & m) === (r.prefix[3] & m)
  }
  let bits = r.prefixLen
  for (let i = 0; i < 4 && bits > 0; i++, bits -= 32) {
    const m = bits >= 32 ? -1 : -1 << (32 - bits)
    if ((a[aOff + i] & m) !== (r.prefix[i] & m)) return false
  }
  return true
}

/** True when resource `r`'s filters let through a packet of `protocol` to `dstPort`. */
export function filterAllows(r: Resource, protocol: number, dstPort: number): boolean {
  if (r.allowAll) return true
  let ranges: Uint16Array
  if (protocol === PROTO_TCP) ranges = r.tcp
  else if (protocol === PROTO_UDP) ranges = r.udp
  else return (protocol === PROTO_ICMP || protocol === PROTO_ICMPV6) && r.icmp
  for (let i = 0; i < ranges.length; i += 2) {
    if (dstPort >= ranges[i] && dstPort <= ranges[i + 1]) return true
  }
  return false
}

export class AccessTable {
  readonly resources: Resource[] = []
  private readonly byId = new Map<string, number>()
  readonly clients = new Map<number, Client>()
  /** (tunnel address, 0, family << 24) -> client id. */
  private readonly tunnelIndex: TupleIndex

  constructor(seed: number) {
    this.tunnelIndex = new TupleIndex(64, seed ^ 0x27d4eb2f)
  }

  /** Add a resource; throws naming the field when the config is wrong. Returns its index. */
  addResource(cfg: ResourceConfig): number {
    if (typeof cfg.id !== 'string' || cfg.id.length === 0)
      throw new Error('resource.id must be a non-empty string')
    if (this.byId.has(cfg.id)) throw new Error(`resource.id ${cfg.id} is already defined`)
    const prefix = new Int32Array(4)
    let family: 4 | 6 = 4
    let prefixLen = 0
    let kind: number
    if (cfg.kind === 'dns') kind = KIND_DNS
    else if (cfg.kind === 'internet') kind = KIND_INTERNET
    else if (cfg.kind === 'cidr') {
      kind = KIND_CIDR
      const c = parseCidr(cfg.address)
      if (c === null)
        throw new Error(`resource ${cfg.id}: address ${JSON.stringify(cfg.address)} is not a CIDR`)
      family = c.family
      prefixLen = c.prefixLen
      if (c.family === 4) prefix[3] = c.addr4
      else bytesToWords(c.addr6, 0, prefix)
    } else {
      throw new Error(`resource ${(cfg as { id: string }).id}: kind must be dns, cidr or internet`)
    }
    const index = this.resources.length
    this.resources.push({
      index,
      id: cfg.id,
      kind,
      family,
      prefix,
      prefixLen,
      ...compileFilters(cfg.id, cfg.filters),
    })
    this.byId.set(cfg.id, index)
    return index
  }

  /** The index of resource `id`, or -1. */
  resourceIndex(id: string): number {
    return this.byId.get(id) ?? -1
  }

  /** Register a client with its tunnel IPs; throws naming the field when wrong. */
  addClient(id: number, cfg: ClientConfig): Client {
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff)
      throw new Error('clientId must be an integer 0..2^31-1')
    if (this.clients.has(id)) throw new Error(`clientId ${id} is already registered`)
    const tunnel = new Int32Array(8)
    let hasV4 = false
    let hasV6 = false
    if (cfg.ipv4 !== undefined) {
      const c = parseCidr(cfg.ipv4)
      if (c === null || c.family !== 4 || c.prefixLen !== 32)
        throw new Error(`client ${id}: ipv4 is not an IPv4 address`)
      tunnel[3] = c.addr4
      hasV4 = true
    }
    if (cfg.ipv6 !== undefined) {
      const c = parseCidr(cfg.ipv6)
      if (c === null || c.family !== 6 || c.prefixLen !== 128)
        throw new Error(`client ${id}: ipv6 is not an IPv6 address`)
      bytesToWords(c.addr6, 0, tunnel.subarray(4))
      hasV6 = true
    }
    if (!hasV4 && !hasV6) throw new Error(`client ${id}: needs ipv4 or ipv6`)
    if (hasV4 && this.tunnelIndex.get(0, 0, 0, tunnel[3], 0, 4 << 24) >= 0) {
      throw new Error(`client ${id}: ipv4 ${cfg.ipv4} belongs to another client`)
    }
    if (hasV6 && this.tunnelIndex.get(tunnel[4], tunnel[5], tunnel[6], tunnel[7], 0, 6 << 24) >= 0) {
      throw new Error(`client ${id}: ipv6 ${cfg.ipv6} belongs to another client`)
    }
    if (hasV4) this.tunnelIndex.set(0, 0, 0, tunnel[3], 0, 4 << 24, id)
    if (hasV6) this.tunnelIndex.set(tunnel[4], tunnel[5], tunnel[6], tunnel[7], 0, 6 << 24, id)
    const client: Client = { id, hasV4, hasV6, tunnel, allowed: new Set(), cidrs: [], internet: -1 }
    this.clients.set(id, client)
    return client
  }

  /** Forget a client. Returns false when it was not registered. */
  removeClient(id: number): boolean {
    const c = this.clients.get(id)
    if (c === undefined) return false
    const t = c.tunnel
    if (c.hasV4) this.tunnelIndex.delete(0, 0, 0, t[3], 0, 4 << 24)
    if (c.hasV6) this.tunnelIndex.delete(t[4], t[5], t[6], t[7], 0, 6 << 24)
    this.clients.delete(id)
    return true
  }

  /** Let client `clientId` use resource `resourceId`; throws when either is unknown. */
  allow(clientId: number, resourceId: string): void {
    const c = this.clients.get(clientId)
    if (c === undefined) throw new Error(`clientId ${clientId} is not registered`)
    const r = this.resourceIndex(resourceId)
    if (r < 0) throw new Error(`resource ${resourceId} is not defined`)
    c.allowed.add(r)
    this.reindex(c)
  }

  /** Withdraw client `clientId`'s access to `resourceId` (no-op when it had none). */
  revoke(clientId: number, resourceId: string): void {
    const c = this.clients.get(clientId)
    const r = this.resourceIndex(resourceId)
    if (c === undefined || r < 0) return
    c.allowed.delete(r)
    this.reindex(c)
  }

  private reindex(c: Client): void {
    const cidrs: number[] = []
    let internet = -1
    for (const r of c.allowed) {
      const res = this.resources[r]
      if (res.kind === KIND_CIDR) cidrs.push(r)
      else if (res.kind === KIND_INTERNET) internet = r
    }
    // Most specific first, so the first match is the longest prefix (Firezone picks the most specific resource).
    cidrs.sort((a, b) => this.resources[b].prefixLen - this.resources[a].prefixLen)
    c.cidrs = cidrs
    c.internet = internet
  }

  // ---- packet path -----------------------------------------------------------------------

  /** The client whose tunnel IP of `family` is the address at `a[aOff..]`, or -1. */
  clientByTunnelIp(family: 4 | 6, a: Int32Array, aOff: number): number {
    return family === 4
      ? this.tunnelIndex.get(0, 0, 0, a[aOff + 3], 0, 4 << 24)
      : this.tunnelIndex.get(a[aOff], a[aOff + 1], a[aOff + 2], a[aOff + 3], 0, 6 << 24)
  }

  /** True when the address at `a[aOff..]` is client `c`'s own tunnel IP of `family`. */
  isOwnTunnelIp(c: Client, family: 4 | 6, a: Int32Array, aOff: number): boolean {
    const t = c.tunnel
    if (family === 4)
      return c.hasV4 && a[aOff + 3] === t[3] && a[aOff] === 0 && a[aOff + 1] === 0 && a[aOff + 2] === 0
    return c.hasV6 && a[aOff] === t[4] && a[aOff + 1] === t[5] && a[aOff + 2] === t[6] && a[aOff + 3] === t[7]
  }

  /**
   * The resource the client may reach at this address without NAT: its most specific
   * allowed CIDR resource containing it, else its Internet resource, else -1.
   */
  matchDirect(c: Client, family: 4 | 6, a: Int32Array, aOff: number): number {
    const cidrs = c.cidrs
    for (let i = 0; i < cidrs.length; i++) {
      const r = this.resources[cidrs[i]]
      if (r.family === family && prefixMatch(r, a, aOff)) return cidrs[i]
    }
    return c.internet
  }
}
