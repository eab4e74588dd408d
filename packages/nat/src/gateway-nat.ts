/**
 * `GatewayNat`: the gateway's access decisions and stateful NAT, sans-IO.
 *
 * Method groups and call order (quinn's shape):
 *  (A) configuration: `addResource`, `addClient`, `removeClient`, `allow`, `revoke`,
 *      `setDomainMapping` — control path; may allocate; throw on bad input naming the field.
 *  (B) input: `handleOutbound(now, clientId, packet, flag)` for a packet the client sent
 *      through its tunnel; `handleInbound(now, packet)` for a packet read from the TUN
 *      device (replies, ICMP errors); `handleTimeout(now)` when the timer fires.
 *      Each returns a verdict (a string literal) and fills `result`.
 *  (C) output: `pollTimeout()` after any `handle*`: the earliest deadline for the
 *      shell's single timer (may be early; an early `handleTimeout` is a no-op).
 *  (D) getters: `drops`, `outbound`, `inbound`, `sessions` counters.
 *
 * `now` is a monotonic millisecond clock injected by the shell; nothing here reads a
 * clock, allocates, throws or makes a string on the packet path.
 *
 * The flag `icmp-unreachable-instead-of-nat64` is a plain boolean argument of
 * `handleOutbound`: the shell reads its current value (lock-free) and passes it in.
 */
import { get32, ipv4FromText, ipv6FromText } from '@gatehouse/ip-packet'
import { AccessTable, type ClientConfig, filterAllows, KIND_DNS, type ResourceConfig } from './access.ts'
import {
  CLASS_ICMP,
  CLASS_NONE,
  CLASS_TCP,
  CLASS_UDP,
  PROTO_TCP,
  PROTO_UDP,
  PROXY_RANGE_V4,
  PROXY_RANGE_V6,
  TCP_FIN,
  TCP_RST,
} from './constants.ts'
import { DnsResourceNat } from './dns-mappings.ts'
import { Flow, isIcmpEcho, isIcmpError, NatResult } from './flow.ts'
import {
  INBOUND_VERDICTS,
  type InboundAction,
  type InboundVerdict,
  NAT_DROP_REASONS,
  type NatDropReason,
  OUTBOUND_VERDICTS,
  type OutboundAction,
  type OutboundVerdict,
} from './reasons.ts'
import {
  CREATE_CLIENT_LIMIT,
  CREATE_PORTS_EXHAUSTED,
  type SessionCounters,
  SessionTable,
} from './sessions.ts'

/**
 * The fields of `@gatehouse/ip-packet`'s `IpPacket` that the NAT reads and the
 * setters it calls (a structural type: pass an `IpPacket` after a successful
 * `reset()`). The setters update the IP and transport checksums incrementally.
 */
export interface NatPacketView {
  readonly buf: Uint8Array
  readonly version: number
  readonly protocol: number
  readonly src4: number
  readonly dst4: number
  readonly srcAddrOff: number
  readonly dstAddrOff: number
  readonly srcPort: number
  readonly dstPort: number
  readonly icmpType: number
  readonly isIcmpEcho: boolean
  readonly isIcmpError: boolean
  readonly tcp: { readonly flags: number }
  /** The packet an ICMP error quotes (valid when `isIcmpError`). */
  readonly quote: NatQuoteView
  setSrc4(a: number): void
  setDst4(a: number): void
  setSrc6(src: Uint8Array, srcOff: number): void
  setDst6(src: Uint8Array, srcOff: number): void
  setSrcPort(p: number): void
  setDstPort(p: number): void
  setEchoId(id: number): void
}

/** The fields of `@gatehouse/ip-packet`'s `QuotedPacket` that the NAT reads. */
export interface NatQuoteView {
  readonly buf: Uint8Array
  readonly version: number
  readonly protocol: number
  readonly src4: number
  readonly dst4: number
  readonly srcAddrOff: number
  readonly dstAddrOff: number
  readonly srcPort: number
  readonly dstPort: number
  readonly icmpType: number
}

/** The answer for "domain D of resource R has proxy IPs P" (the control package's DomainStatus subset). */
export type DomainMappingStatus = 'active' | 'no-addresses' | 'not-allowed'

export interface GatewayNatOptions {
  /** Hash seed (inject randomness from the shell; default 0 for reproducible tests). */
  seed?: number
  /** Session slots allocated up front (default 1024; grows by doubling). */
  initialSessions?: number
  /** Live sessions plus remembered tuples never exceed this (default 1 048 576). */
  maxSessions?: number
  /** How long an ended session's tuple is remembered (default `EXPIRED_MEMORY_MS`). */
  expiredMemoryMs?: number
  /**
   * Live sessions one client may hold (default 16 384), so one client cannot fill the table for all,
   * nor exhaust the port space towards one real IP (which would make each new session search 65 535 ports).
   */
  maxSessionsPerClient?: number
}

/** Counters of the session table, by protocol. */
export interface NatSessionCounters {
  live: { tcp: number; udp: number; icmp: number }
  created: { tcp: number; udp: number; icmp: number }
  expired: { tcp: number; udp: number; icmp: number }
  /** Sessions removed by a TCP RST. */
  rst: number
  /** Tuples of ended sessions remembered to tell late packets apart. */
  remembered: number
}

function zeroRecord<K extends string>(keys: readonly K[]): Record<K, number> {
  const r = {} as Record<K, number>
  for (const k of keys) r[k] = 0
  return r
}

/** True when the address at `a[0..4)` of `family` lies in the proxy ranges (MISSION.md). */
export function isProxyIp(family: 4 | 6, a: Int32Array): boolean {
  // 100.96.0.0/11 (words are signed int32, see flow.ts)
  if (family === 4) return (a[3] & (0xffe00000 | 0)) === 0x64600000
  // fd00:2021:1111:8000::/107 = 96 bits of fd00:2021:1111:8000:0000:0000 and 11 zero bits
  return a[0] === (0xfd002021 | 0) && a[1] === 0x11118000 && a[2] === 0 && (a[3] & (0xffe00000 | 0)) === 0
}

function classOf(f: Flow): number {
  const p = f.protocol
  if (p === PROTO_TCP) return CLASS_TCP
  if (p === PROTO_UDP) return CLASS_UDP
  if (isIcmpEcho(f.family, p, f.icmpType)) return CLASS_ICMP
  return CLASS_NONE
}

export class GatewayNat {
  /** The tuple after the last decision; overwritten by every `handle*` call. */
  readonly result = new NatResult()
  /** Drops by reason, every key present. */
  readonly drops: Record<NatDropReason, number> = zeroRecord(NAT_DROP_REASONS)
  /** Outbound packets by non-drop verdict. */
  readonly outbound: Record<OutboundAction, number> = zeroRecord(OUTBOUND_VERDICTS)
  /** Inbound packets by non-drop verdict. */
  readonly inbound: Record<InboundAction, number> = zeroRecord(INBOUND_VERDICTS)

  private readonly access: AccessTable
  private readonly dns: DnsResourceNat
  private readonly table: SessionTable
  /** Scratch tuples for the view adapters. */
  private readonly flow = new Flow()
  private readonly quoted = new Flow()

  constructor(opts: GatewayNatOptions = {}) {
    const seed = opts.seed ?? 0
    this.access = new AccessTable(seed)
    this.dns = new DnsResourceNat(seed)
    this.table = new SessionTable(
      opts.initialSessions ?? 1024,
      opts.maxSessions ?? 1 << 20,
      seed,
      opts.expiredMemoryMs,
      opts.maxSessionsPerClient ?? 16_384,
    )
  }

  // ---- (A) configuration ---------------------------------------------------------------

  /** Define a resource. Throws naming the field when the config is wrong. */
  addResource(cfg: ResourceConfig): void {
    this.access.addResource(cfg)
  }

  /** Register client `clientId` (the shell's number for a WireGuard peer) with its tunnel IPs. */
  addClient(clientId: number, cfg: ClientConfig): void {
    this.access.addClient(clientId, cfg)
  }

  /** Forget a client with its name mappings and NAT sessions (it left or was removed). */
  removeClient(clientId: number): void {
    this.access.removeClient(clientId)
    this.dns.removeClient(clientId)
    this.table.removeClient(clientId)
  }

  /** Let a client use a resource. */
  allow(clientId: number, resourceId: string): void {
    this.access.allow(clientId, resourceId)
  }

  /** Withdraw a client's access to a resource; its packets there are dropped from now on. */
  revoke(clientId: number, resourceId: string): void {
    this.access.revoke(clientId, resourceId)
  }

  /**
   * The client said "domain D of resource R has proxy IPs P" and the gateway resolved D to
   * `resolvedIps`: install (or, on re-resolution, replace) the mappings. 'not-allowed' when R
   * is not a DNS resource this client may use; 'no-addresses' when nothing resolved.
   * Throws naming the field for malformed IP text or a proxy IP outside the proxy ranges.
   */
  setDomainMapping(
    clientId: number,
    resourceId: string,
    domain: string,
    proxyIps: readonly string[],
    resolvedIps: readonly string[],
  ): DomainMappingStatus {
    const c = this.access.clients.get(clientId)
    const r = this.access.resourceIndex(resourceId)
    if (c === undefined || r < 0 || !c.allowed.has(r) || this.access.resources[r].kind !== KIND_DNS)
      return 'not-allowed'
    const probe = new Flow()
    for (const [i, ip] of proxyIps.entries()) {
      if (!parseInto(ip, probe) || !isProxyIp(probe.family, probe.dst)) {
        throw new Error(
          `proxyIps[${i}]: ${JSON.stringify(ip)} is not in ${PROXY_RANGE_V4} or ${PROXY_RANGE_V6}`,
        )
      }
    }
    return this.dns.set(clientId, r, domain, proxyIps, resolvedIps)
  }

  /** The id of resource index `i` (as in `result.resource`), for logs. */
  resourceId(i: number): string | undefined {
    return this.access.resources[i]?.id
  }

  // ---- (B) input: packet views -----------------------------------------------------------

  /**
   * A packet from client `clientId` (already decrypted; `pkt` reset without error). On
   * 'forward' to a DNS resource of the same family the packet was rewritten in place
   * (destination → real IP, source port/echo id → the session's). On 'translate' only the
   * source port/echo id was rewritten: NAT64/46 maps the addresses (client tunnel IPs ↔
   * each other, proxy IP ↔ `result.dst*`). See `OutboundVerdict`.
   */
  handleOutbound(
    now: number,
    clientId: number,
    pkt: NatPacketView,
    icmpUnreachableInsteadOfNat64: boolean,
  ): OutboundVerdict {
    const f = this.flow
    readView(pkt, f)
    const v = this.handleOutboundFlow(now, clientId, f, icmpUnreachableInsteadOfNat64)
    const r = this.result
    if (r.nat) {
      // 'forward': the whole rewrite. 'translate': the port only; NAT64/46 maps the addresses.
      if (v === 'forward') {
        if (r.family === 4) pkt.setDst4(r.dst4)
        else pkt.setDst6(r.dst6, 0)
      }
      if (f.icmpType >= 0) pkt.setEchoId(r.srcPort)
      else if (r.srcPort !== f.srcPort) pkt.setSrcPort(r.srcPort)
    }
    return v
  }

  /**
   * A packet read from the TUN device (towards a client). On 'forward' from a DNS
   * resource of the same family the packet was rewritten in place (source → proxy IP,
   * destination port/echo id → the client's). On 'translate' only the destination port/echo
   * id was rewritten: NAT46/64 maps the addresses. On 'icmp-error' the error was routed by its
   * quoted packet: rewrite it with icmp-errors per `result` (and hand it to NAT64 first
   * when `result.translate`). See `InboundVerdict`.
   */
  handleInbound(now: number, pkt: NatPacketView): InboundVerdict {
    const f = this.flow
    readView(pkt, f)
    if (pkt.isIcmpError) {
      const client = this.access.clientByTunnelIp(f.family, f.dst, 0)
      if (client < 0) return this.drop('nat-not-a-client')
      readQuote(pkt.quote, this.quoted)
      return this.handleInboundIcmpErrorFlow(now, client, this.quoted)
    }
    const v = this.handleInboundFlow(now, f)
    const r = this.result
    if (r.nat) {
      // 'forward': the whole rewrite. 'translate': the port only; NAT46/64 maps the addresses.
      if (v === 'forward') {
        if (r.family === 4) pkt.setSrc4(r.src4)
        else pkt.setSrc6(r.src6, 0)
      }
      if (f.icmpType >= 0) pkt.setEchoId(r.dstPort)
      else if (r.dstPort !== f.dstPort) pkt.setDstPort(r.dstPort)
    }
    return v
  }

  // ---- (B) input: tuples (the core; the view methods above wrap these) -------------------

  /** `handleOutbound` on a tuple: decides and fills `result`, changes no packet. */
  handleOutboundFlow(
    now: number,
    clientId: number,
    f: Flow,
    icmpUnreachableInsteadOfNat64: boolean,
  ): OutboundVerdict {
    const r = this.result
    r.begin(clientId)
    const c = this.access.clients.get(clientId)
    if (c === undefined) return this.drop('unknown-client')
    const fam = f.family
    // MISSION.md / Firezone: only the client's own tunnel IPs may be sources.
    if (!this.access.isOwnTunnelIp(c, fam, f.src, 0)) return this.drop('spoofed-source')

    const m = this.dns.find(clientId, fam, f.dst, 0)
    if (m < 0) {
      // MISSION.md: a proxy IP with no mapping at all is answered "unreachable", flag or not.
      if (isProxyIp(fam, f.dst)) return this.out('unreachable')
      // MISSION.md / Firezone: CIDR and Internet resources pass without NAT.
      const res = this.access.matchDirect(c, fam, f.dst, 0)
      if (res < 0) return this.drop('resource-not-allowed')
      r.resource = res
      if (!filterAllows(this.access.resources[res], f.protocol, f.dstPort)) return this.out('prohibited')
      return this.out('forward')
    }

    const map = this.dns.get(m)
    if (!c.allowed.has(map.resource)) return this.drop('resource-not-allowed')
    r.resource = map.resource
    // MISSION.md / Firezone: per-resource filters; a filtered packet gets "administratively prohibited".
    if (!filterAllows(this.access.resources[map.resource], f.protocol, f.dstPort))
      return this.out('prohibited')
    const realFam = map.realFamily
    if (map.needsTranslation) {
      // MISSION.md: with `icmp-unreachable-instead-of-nat64` on, a family mismatch is answered, not translated.
      if (icmpUnreachableInsteadOfNat64) return this.out('unreachable')
      // NAT64/46 needs a source of the real IP's family: the client's tunnel IP of that family.
      if (realFam === 4 ? !c.hasV4 : !c.hasV6) return this.out('unreachable')
    }
    const cls = classOf(f)
    if (cls === CLASS_NONE) return this.drop('nat-unsupported-protocol')

    const t = this.table
    let s = t.findInside(clientId, cls, f.srcPort, fam, f.dst, 0)
    // Re-resolution moved this proxy IP to another real IP: the old session ends.
    if (s >= 0 && !t.realEquals(s, realFam, map.real, 0)) {
      t.end(now, s)
      s = -1
    }
    if (s < 0) {
      s = t.create(now, clientId, cls, f.srcPort, fam, f.dst, 0, realFam, map.real, 0, map.resource)
      if (s < 0) {
        return this.drop(
          s === CREATE_PORTS_EXHAUSTED
            ? 'nat-ports-exhausted'
            : s === CREATE_CLIENT_LIMIT
              ? 'nat-client-limit'
              : 'nat-table-full',
        )
      }
    }
    const port = t.outsidePort(s)
    t.touch(now, s, false, cls === CLASS_TCP ? f.tcpFlags : 0)
    r.nat = true
    r.family = realFam
    r.setSrc(realFam, c.tunnel, realFam === 4 ? 0 : 4)
    r.setDst(realFam, map.real, 0)
    r.srcPort = port
    r.dstPort = cls === CLASS_ICMP ? port : f.dstPort
    if (map.needsTranslation) {
      r.translate = true
      return this.out('translate')
    }
    return this.out('forward')
  }

  /**
   * `handleInbound` on a tuple that is not an ICMP error (for those, find the client by
   * the outer destination and call `handleInboundIcmpErrorFlow` with the quote's tuple).
   */
  handleInboundFlow(now: number, f: Flow): InboundVerdict {
    const r = this.result
    const fam = f.family
    const client = this.access.clientByTunnelIp(fam, f.dst, 0)
    r.begin(client)
    if (client < 0) return this.drop('nat-not-a-client')
    // Not counted here: the caller routes it through `handleInboundIcmpErrorFlow`, which counts it.
    if (isIcmpError(fam, f.protocol, f.icmpType)) return 'icmp-error'
    const c = this.access.clients.get(client)!
    const cls = classOf(f)
    let expired = false
    if (cls !== CLASS_NONE) {
      const t = this.table
      const s = t.findOutside(client, cls, f.dstPort, fam, f.src, 0)
      if (s >= 0) {
        if (t.isLive(s)) {
          // Access revoked since the session began: its replies stop too.
          if (!c.allowed.has(t.resourceOf(s))) return this.drop('resource-not-allowed')
          t.touch(now, s, true, cls === CLASS_TCP ? f.tcpFlags : 0)
          // The same fill as handleInboundIcmpErrorFlow's, kept inline on purpose: one shared
          // helper (method or function) measured 7-14% slower per reply (+3-6 ns, A/B, 2026-11-25).
          const pf = t.proxyFamily(s)
          const inPort = t.insidePort(s)
          r.nat = true
          r.resource = t.resourceOf(s)
          r.family = pf
          r.setSrc(pf, t.proxyWords, s * 4)
          r.setDst(pf, c.tunnel, pf === 4 ? 0 : 4)
          r.srcPort = cls === CLASS_ICMP ? inPort : f.srcPort
          r.dstPort = inPort
          if (pf !== fam) {
            r.translate = true
            return this.in('translate')
          }
          return this.in('forward')
        }
        expired = true
      }
    }
    // MISSION.md: a late packet of an ended session is told apart and dropped quietly.
    if (expired) return this.drop('nat-expired-session')
    // Replies from CIDR and Internet resources pass unchanged.
    const res = this.access.matchDirect(c, fam, f.src, 0)
    if (res >= 0) {
      r.resource = res
      return this.in('forward')
    }
    return this.drop('nat-no-session')
  }

  /**
   * An ICMP error from the resource side towards client `clientId`, routed by the tuple of
   * the packet it quotes (`q`: the packet the gateway sent, so src = client tunnel IP,
   * src port = the session's port, dst = real IP). Filters do not apply (MISSION.md:
   * Happy Eyeballs depends on these errors). 'icmp-error': rewrite per `result` (see
   * `NatResult`); 'forward': an error about a CIDR/Internet flow, pass unchanged.
   * A session is neither refreshed nor confirmed by an error.
   */
  handleInboundIcmpErrorFlow(_now: number, clientId: number, q: Flow): InboundVerdict {
    const r = this.result
    r.begin(clientId)
    const c = this.access.clients.get(clientId)
    if (c === undefined) return this.drop('nat-not-a-client')
    const fam = q.family
    const cls = classOf(q)
    if (cls !== CLASS_NONE) {
      const t = this.table
      const s = t.findOutside(clientId, cls, q.srcPort, fam, q.dst, 0)
      if (s >= 0) {
        if (!t.isLive(s)) return this.drop('nat-expired-session')
        if (!c.allowed.has(t.resourceOf(s))) return this.drop('resource-not-allowed')
        // As for a reply in handleInboundFlow (inline there for speed), the quote's dst port
        // being the resource's port.
        const pf = t.proxyFamily(s)
        const inPort = t.insidePort(s)
        r.nat = true
        r.resource = t.resourceOf(s)
        r.family = pf
        r.setSrc(pf, t.proxyWords, s * 4)
        r.setDst(pf, c.tunnel, pf === 4 ? 0 : 4)
        r.srcPort = cls === CLASS_ICMP ? inPort : q.dstPort
        r.dstPort = inPort
        r.translate = pf !== fam
        return this.in('icmp-error')
      }
    }
    const res = this.access.matchDirect(c, fam, q.dst, 0)
    if (res >= 0) {
      r.resource = res
      return this.in('forward')
    }
    return this.drop('nat-no-session')
  }

  // ---- (B)/(C) time ------------------------------------------------------------------------

  /** Expire idle sessions and forget old remembered tuples. An early or extra call is a no-op. */
  handleTimeout(now: number): void {
    this.table.handleTimeout(now)
  }

  /** The earliest session deadline (ms, same clock as `now`), or null when there are no sessions. */
  pollTimeout(): number | null {
    return this.table.pollTimeout()
  }

  // ---- (D) getters -----------------------------------------------------------------------

  /** Session counters by protocol (a fresh object: for metrics scrapes, not per packet). */
  get sessions(): NatSessionCounters {
    const k: SessionCounters = this.table.counters
    const by = (a: readonly number[]) => ({ tcp: a[CLASS_TCP], udp: a[CLASS_UDP], icmp: a[CLASS_ICMP] })
    return {
      live: by(k.live),
      created: by(k.created),
      expired: by(k.expired),
      rst: k.rst,
      remembered: k.remembered,
    }
  }

  /** Live sessions client `clientId` holds (against `maxSessionsPerClient`). */
  sessionsOf(clientId: number): number {
    return this.table.liveOf(clientId)
  }

  /** Bytes held by the session table's typed arrays (for the memory report). */
  get sessionTableBytes(): number {
    return this.table.byteLength
  }

  private drop(reason: NatDropReason): NatDropReason {
    this.drops[reason]++
    return reason
  }

  private out(v: OutboundAction): OutboundAction {
    this.outbound[v]++
    return v
  }

  private in(v: InboundAction): InboundAction {
    this.inbound[v]++
    return v
  }
}

/** Fill a Flow from a packet view (numbers only; IPv6 addresses as four words). */
function readView(p: NatPacketView, f: Flow): void {
  const v6 = p.version === 6
  f.family = v6 ? 6 : 4
  f.protocol = p.protocol
  readAddrs(p.buf, v6, p.src4, p.dst4, p.srcAddrOff, p.dstAddrOff, f)
  f.srcPort = p.srcPort
  f.dstPort = p.dstPort
  f.tcpFlags = p.protocol === PROTO_TCP ? p.tcp.flags & (TCP_FIN | TCP_RST) : 0
  f.icmpType = p.isIcmpEcho || p.isIcmpError ? p.icmpType : -1
}

function readQuote(q: NatQuoteView, f: Flow): void {
  const v6 = q.version === 6
  f.family = v6 ? 6 : 4
  f.protocol = q.protocol
  readAddrs(q.buf, v6, q.src4, q.dst4, q.srcAddrOff, q.dstAddrOff, f)
  f.srcPort = q.srcPort
  f.dstPort = q.dstPort
  f.tcpFlags = 0
  f.icmpType = q.icmpType
}

function readAddrs(
  b: Uint8Array,
  v6: boolean,
  src4: number,
  dst4: number,
  srcOff: number,
  dstOff: number,
  f: Flow,
): void {
  const s = f.src
  const d = f.dst
  if (!v6) {
    s[0] = 0
    s[1] = 0
    s[2] = 0
    s[3] = src4
    d[0] = 0
    d[1] = 0
    d[2] = 0
    d[3] = dst4
    return
  }
  // flow.ts's bytesToWords does the same per address; this packet-path copy stays apart from
  // that config-path helper on purpose: calling it here measured ~13% slower per outbound IPv6
  // packet (p50 141 vs 123 ns, 5 alternating runs of bench/nat.bench.ts, 2026-11-25).
  // `| 0`: words stay signed ints (see flow.ts).
  for (let i = 0; i < 4; i++) {
    s[i] = get32(b, srcOff + 4 * i) | 0
    d[i] = get32(b, dstOff + 4 * i) | 0
  }
}

/** Parse address text into `probe.dst` (config path); false when it is no address. */
function parseInto(text: string, probe: Flow): boolean {
  const v4 = ipv4FromText(text)
  if (v4 !== null) {
    probe.setV4(0, 0, v4, 0, 0)
    return true
  }
  const v6 = ipv6FromText(text)
  if (v6 === null) return false
  probe.setV6(0, new Uint8Array(16), v6, 0, 0)
  return true
}
