/**
 * `DnsResourceNat`: per client, which real IP each proxy IP of a DNS resource
 * stands for (MISSION.md "Gateway, NAT" / Firezone).
 *
 * The client says "domain D of resource R has proxy IPs P" (4 IPv4 + 4 IPv6);
 * the gateway resolves D and calls `set` with the answer. Proxy IPv4s map
 * round-robin onto the resolved IPv4s and proxy IPv6s onto the resolved IPv6s.
 * Where D has no address of a family, that family's proxy IPs map round-robin
 * onto the other family's addresses and are marked as needing translation
 * (NAT64/NAT46, or ICMP unreachable when the flag says so). Asking again
 * (re-resolution) replaces every mapping of (client, R, D).
 *
 * Lookups on the packet path go through a `TupleIndex` keyed by
 * (proxy address, client, family): numbers only.
 */
import { ipFromText } from '@gatehouse/ip-packet'
import { bytesToWords } from './flow.ts'
import { TupleIndex } from './tuple-index.ts'

/** The answer for a "domain D of resource R has proxy IPs P" message. */
export type DomainNatStatus = 'active' | 'no-addresses'

/** One proxy IP's mapping. */
export interface Mapping {
  readonly client: number
  readonly resource: number
  readonly proxyFamily: 4 | 6
  readonly proxy: Int32Array
  readonly realFamily: 4 | 6
  readonly real: Int32Array
  /** True when the families differ: NAT64/46 (or ICMP unreachable with the flag on). */
  readonly needsTranslation: boolean
  readonly group: string
}

interface Parsed {
  family: 4 | 6
  words: Int32Array
}

function parseIp(text: string, field: string): Parsed {
  const a = ipFromText(text)
  if (a === null) throw new Error(`${field}: ${JSON.stringify(text)} is not an IP address`)
  const words = new Int32Array(4)
  if (a.family === 4) words[3] = a.addr4
  else bytesToWords(a.addr6, 0, words)
  return { family: a.family, words }
}

export class DnsResourceNat {
  private readonly index: TupleIndex
  private readonly mappings: (Mapping | null)[] = []
  private readonly freeIds: number[] = []
  /** group key -> mapping ids. */
  private readonly groups = new Map<string, number[]>()
  /** client -> its group keys. */
  private readonly clientGroups = new Map<number, Set<string>>()

  constructor(seed: number) {
    this.index = new TupleIndex(256, seed ^ 0x165667b1)
  }

  /** Number of proxy IPs mapped, over all clients. */
  get size(): number {
    return this.index.size
  }

  /**
   * Install the mappings of (client, resource, domain), replacing earlier ones of the same
   * triple and any earlier mapping of the same proxy IPs for this client. `proxyIps` and
   * `resolvedIps` are address text; a malformed one throws naming the field. Returns
   * 'no-addresses' (and installs nothing) when `resolvedIps` is empty.
   */
  set(
    client: number,
    resource: number,
    domain: string,
    proxyIps: readonly string[],
    resolvedIps: readonly string[],
  ): DomainNatStatus {
    const proxies = proxyIps.map((t, i) => parseIp(t, `proxyIps[${i}]`))
    const resolved = resolvedIps.map((t, i) => parseIp(t, `resolvedIps[${i}]`))
    const group = `${client}\u0000${resource}\u0000${domain.toLowerCase()}`
    this.removeGroup(client, group)
    const real4 = resolved.filter((a) => a.family === 4)
    const real6 = resolved.filter((a) => a.family === 6)
    if (real4.length === 0 && real6.length === 0) return 'no-addresses'
    const ids: number[] = []
    let n4 = 0
    let n6 = 0
    for (const p of proxies) {
      // Round robin within the family (MISSION.md / Firezone); the other family where this one is empty.
      const i = p.family === 4 ? n4++ : n6++
      const same = p.family === 4 ? real4 : real6
      const other = p.family === 4 ? real6 : real4
      const pool = same.length > 0 ? same : other
      const real = pool[i % pool.length]
      const existing = this.index.get(p.words[0], p.words[1], p.words[2], p.words[3], client, p.family << 24)
      if (existing >= 0) this.removeMapping(existing)
      const id = this.freeIds.pop() ?? this.mappings.length
      this.mappings[id] = {
        client,
        resource,
        proxyFamily: p.family,
        proxy: p.words,
        realFamily: real.family,
        real: real.words,
        needsTranslation: real.family !== p.family,
        group,
      }
      this.index.set(p.words[0], p.words[1], p.words[2], p.words[3], client, p.family << 24, id)
      ids.push(id)
    }
    this.groups.set(group, ids)
    let set = this.clientGroups.get(client)
    if (set === undefined) {
      set = new Set()
      this.clientGroups.set(client, set)
    }
    set.add(group)
    return 'active'
  }

  /** The mapping id of the proxy address at `a[aOff..]` for this client, or -1. Packet path. */
  find(client: number, family: 4 | 6, a: Int32Array, aOff: number): number {
    return this.index.get(a[aOff], a[aOff + 1], a[aOff + 2], a[aOff + 3], client, family << 24)
  }

  /** The mapping with id `id` (from `find`). */
  get(id: number): Mapping {
    return this.mappings[id] as Mapping
  }

  /** Forget every mapping of a client. */
  removeClient(client: number): void {
    const set = this.clientGroups.get(client)
    if (set === undefined) return
    for (const g of [...set]) this.removeGroup(client, g)
    this.clientGroups.delete(client)
  }

  private removeGroup(client: number, group: string): void {
    const ids = this.groups.get(group)
    if (ids === undefined) return
    for (const id of [...ids]) {
      const m = this.mappings[id]
      if (m !== null && m.group === group) this.removeMapping(id)
    }
    this.groups.delete(group)
    this.clientGroups.get(client)?.delete(group)
  }

  private removeMapping(id: number): void {
    const m = this.mappings[id]
    if (m === null) return
    const w = m.proxy
    this.index.delete(w[0], w[1], w[2], w[3], m.client, m.proxyFamily << 24)
    this.mappings[id] = null
    this.freeIds.push(id)
    const ids = this.groups.get(m.group)
    if (ids !== undefined) {
      const k = ids.indexOf(id)
      if (k >= 0) ids.splice(k, 1)
    }
  }
}
