/**
 * `GatewayState`: the gateway's sans-IO core. It composes the WireGuard device, the control
 * protocol, the NAT and access decisions, NAT64/46, the gateway's own ICMP errors and the
 * resolver's core; it opens no socket, arms no timer and reads no clock. The shell (main.ts)
 * feeds it datagrams, TUN packets, DNS responses and time, and drains what it produces.
 *
 * (A) Config and getters: `addClient`, `removeClient`, `clients`, `device`, `nat`, counters.
 * (B) Input: `handleDatagram(now, from, buf, len)` (UDP from clients), `handleTunPacket(now, buf, off,
 *     len)` (packets read from the TUN device), `handleDnsResponse(now, txId, bytes)` (answers to
 *     `pollDnsTransmit`), `handleTimeout(now)` (when `pollTimeout()` is reached; early calls are
 *     no-ops), `shutdown(now)` (Goodbye to every client with a session; then no new handshakes).
 * (C) Output, drained in this order after every input: `pollTransmit()` until null (datagrams to
 *     clients), `pollTunWrite()` until null (packets for the TUN device), `pollDnsTransmit()` until
 *     null (queries for the site's resolvers), then `pollTimeout()`, then `pollEvent()` until null.
 *
 * Buffers: a `'forward'` packet is rewritten in place in the caller's buffer, and `pollTunWrite`
 * may point into it (or into the core's own scratch buffers): everything polled is valid until the
 * next `handle*` call. Drops are values, counted once where decided: `device.drops` (WireGuard),
 * `nat.drops` (access and NAT), `translator.counts` (NAT64/46), `icmpDrops` (ICMP errors not
 * built or not routable), `drops` (everything else: malformed packets, control messages).
 *
 * Data path, client -> resource (`handleDatagram`): WireGuard decrypts in place -> a control
 * packet (IPv6 `::` -> `::`, next header 253) is handled as a message -> otherwise the packet is
 * parsed -> `nat.handleOutbound` checks the source (the client's own tunnel IPs), the destination
 * (an allowed resource) and the filters, and maps proxy IPs -> 'forward' to the TUN (rewritten,
 * or untouched for CIDR/Internet), 'translate' through NAT64/46, 'unreachable' (no mapping, or a
 * family mismatch with `icmp-unreachable-instead-of-nat64` on) and 'prohibited' (filtered) are
 * answered with ICMP errors from the gateway's tunnel IP, rate limited, back through the tunnel.
 * One exception: a packet to a proxy IP whose AssignedIps is still being resolved at the site
 * (the resync a restarted gateway receives staged just ahead of the client's first packets) is
 * held, up to MAX_HELD_PACKETS gateway-wide, and replayed when the name resolves.
 * Reverse (`handleTunPacket`): `nat.handleInbound` finds the client and session (a late packet of
 * an expired session is counted apart from one that never had a session); ICMP errors are routed
 * by their quoted packet and rewritten back (through NAT64 when the session crossed families).
 *
 * Idle clients (issue 9): a client that sent nothing authenticated (no data, control message,
 * keepalive or handshake: WireGuard's `peer.stats.lastReceived`) for `idleClientMs` has its
 * per-client state released: DNS name mappings, NAT sessions, pending lookups and held packets, as
 * a Goodbye would (its session keys are already erased by then, 3 x REJECT_AFTER_TIME after the
 * last handshake). The default, IDLE_CLIENT_MS = 3 h, exceeds the longest NAT session lifetime
 * (TCP, 2 h 4 min) so that nothing live is lost: a client with a live session, or with persistent
 * keepalives, is never idle this long. A client that comes back needs a new handshake, and after
 * such a silence it stages its AssignedIps ahead of the packet that starts it (apps/client), so
 * its first packet is held while the names resolve, then forwarded. Only clients that sent
 * something since the last release are looked at, on a timer at the earliest possible expiry.
 */
import type { Resource } from '@gatehouse/app-common'
import {
  buildControlPacket,
  CONTROL_DROP_REASONS,
  type ControlDropReason,
  type ControlMessage,
  type DomainStatus,
  decodeControlPacket,
  isControlPacket,
  MessageType,
} from '@gatehouse/control'
import {
  type Transmit as DnsTransmit,
  type GatewayOutput,
  MessageView,
  patternMatches,
  type ResolveResult,
  scanMessage,
  truncateForUdp,
} from '@gatehouse/dns-resolver'
import {
  buildV4AdminProhibited,
  buildV4NetUnreachable,
  buildV6AddressUnreachable,
  buildV6AdminProhibited,
  IcmpErrorView,
  IcmpRateLimiter,
  type IcmpRateLimiterConfig,
  type IcmpReason,
  icmpReasonCounters,
} from '@gatehouse/icmp-errors'
import {
  copyBytes,
  DROP_REASONS as IP_DROP_REASONS,
  IpPacket,
  ipFromText,
  ipToText,
  ipv4FromText,
  ipv4ToText,
  ipv6FromText,
  ipv6ToText,
} from '@gatehouse/ip-packet'
import { GatewayNat, isProxyIp, type Filter as NatFilter, type ResourceConfig } from '@gatehouse/nat'
import { NAT64_HEADROOM, type PacketBuf, PairMapper, Translator } from '@gatehouse/nat64'
import {
  type DatagramVerdict,
  Device,
  type Endpoint,
  INITIATION_LEN,
  type Peer,
  parseKey,
  type Transmit,
} from '@gatehouse/wireguard'

/** The part of `@gatehouse/dns-resolver`'s `GatewayResolver` the core drives (tests may fake it). */
export interface SiteResolver {
  resolve(now: number, name: string): ResolveResult | null
  forward(now: number, query: Uint8Array): number
  handleResponse(now: number, txId: number, bytes: Uint8Array): void
  handleTimeout(now: number): void
  pollTransmit(): DnsTransmit | null
  pollResult(): GatewayOutput | null
  pollTimeout(): number | null
}

/** A client as the core needs it (the config's entry, keys still as text). */
export interface GatewayClient {
  name: string
  publicKey: string
  presharedKey?: string | undefined
  ipv4: string
  ipv6: string
  /** Resource ids this client may use. */
  resources: readonly string[]
}

export interface GatewayStateConfig {
  /** The gateway's WireGuard private key (base64, as `wg genkey` prints). */
  privateKey: string
  /** Fills its argument with secure random bytes (the shell: `crypto.getRandomValues`). */
  random: (out: Uint8Array) => void
  /** Wall clock in ms, read only for WireGuard's TAI64N timestamps. */
  unixMs: () => number
  /** The gateway's tunnel IPs: the source of the ICMP errors it builds. */
  tunIpv4: string
  tunIpv6: string
  resources: readonly Resource[]
  clients: readonly GatewayClient[]
  resolver: SiteResolver
  /** Read per packet (the feature-flags values object, updated in place by its poller). */
  flags: { readonly icmpUnreachableInsteadOfNat64: boolean }
  /** Hash seed for the NAT table (a random u32 from the shell). */
  seed: number
  icmpRateLimit?: IcmpRateLimiterConfig
  /** A client silent this long has its per-client state released (default IDLE_CLIENT_MS; see the module doc). */
  idleClientMs?: number
}

/** The gateway's own drop reasons (beside those of WireGuard, the NAT, NAT64 and ICMP). */
export const GATEWAY_DROP_REASONS = [
  ...IP_DROP_REASONS,
  ...CONTROL_DROP_REASONS,
  /** A control message only a gateway sends (DomainStatus, DnsAnswer) arrived from a client. */
  'control-unexpected-type',
  /** DnsQuery whose bytes are not one DNS query, or for a name that is no resource of the client: answered REFUSED. */
  'control-dns-query-refused',
  /** AssignedIps with a proxy IP outside the proxy ranges: answered not-allowed. */
  'control-bad-proxy-ip',
  /** A multicast or broadcast packet from the TUN device (the host's own IPv6 router solicitations, MLD): no client's. */
  'tun-not-unicast',
  /** More packets queued for the TUN device than the shell drained (a shell bug). */
  'tun-queue-full',
  /** An ICMP error from the resource side that icmp-errors could not parse after the NAT routed it. */
  'icmp-error-unparsable',
  /** A packet held while its proxy IP's name was resolving, discarded because its client was removed (or released as idle) meanwhile. */
  'held-packet-discarded',
  /**
   * A handshake initiation after `shutdown()` said Goodbye (the shell's drain time): not answered, so
   * the client's handshake reaches the gateway that replaces this one instead of a session with
   * one about to vanish (which only WireGuard's timers would notice, after 15 s).
   */
  'gateway-closing',
] as const
export type GatewayDropReason = (typeof GATEWAY_DROP_REASONS)[number]

/** ICMP errors the gateway sent to clients, by kind. */
export const ICMP_SENT_KINDS = [
  /** IPv4 3/0: no mapping, or NAT64 refused by the flag. */
  'v4-net-unreachable',
  /** IPv6 1/3: no mapping, or NAT64 refused by the flag. */
  'v6-address-unreachable',
  /** IPv4 3/13: filtered. */
  'v4-admin-prohibited',
  /** IPv6 1/1: filtered. */
  'v6-admin-prohibited',
  /** Built by the NAT64 translator (Packet Too Big, ...). */
  'translator',
  /** Errors from the resource side routed back to a client (rewritten, maybe translated). */
  'routed',
] as const
export type IcmpSentKind = (typeof ICMP_SENT_KINDS)[number]

/** Control-plane events, for the shell's logs. */
export type GatewayEvent =
  | { type: 'handshake'; client: string }
  | { type: 'handshake-failed'; client: string }
  | {
      type: 'domain-status'
      client: string
      resource: string
      domain: string
      status: DomainStatus
      ipv4: readonly string[]
      ipv6: readonly string[]
    }
  | { type: 'client-goodbye'; client: string; reason: string | undefined }
  /** A client silent for `idleMs` (>= idleClientMs): its mappings, sessions, lookups and `held` packets were released. */
  | { type: 'client-idle'; client: string; idleMs: number; held: number }
  | { type: 'dns-query'; client: string; resource: string; name: string; answered: boolean }
  /** A sample of the drops (at most one per reason per DROP_SAMPLE_INTERVAL_MS), with the flow, for debug logs. */
  | { type: 'drop'; reason: string; client: string | null; flow: string }

interface ClientSlot {
  readonly id: number
  readonly entry: GatewayClient
  readonly peer: Peer
  readonly allowed: ReadonlySet<string>
  /** AssignedIps of this client still resolving at the site (packets to their proxy IPs are held). */
  resolving: number
  /** It sent a packet or control message since it was added or last released as idle (it may hold state). */
  holdsState: boolean
}

interface PendingResolve {
  readonly client: ClientSlot
  readonly requestId: number
  readonly resource: string
  readonly domain: string
  readonly proxyIps: readonly string[]
  /** `proxyIps` in canonical text, to match a packet's destination. */
  readonly proxyCanonical: readonly string[]
  /** Packets to these proxy IPs that arrived while the name was resolving (copies), replayed after. */
  readonly held: Uint8Array[]
}

interface PendingForward {
  readonly client: ClientSlot
  readonly requestId: number
  readonly resource: string
  readonly name: string
}

/** Room in front of packets that NAT46 grows into (an ICMPv4 error grows by 48 bytes). */
const HEADROOM = 64
/** TUN writes one input may queue (a translated packet may become up to 3 fragments). */
const TUN_QUEUE = 16
/**
 * Packets held gateway-wide while the name of their proxy IP resolves (see the module doc). Half
 * the TUN queue, so that replaying them all after one DNS answer never overflows it.
 */
export const MAX_HELD_PACKETS = TUN_QUEUE / 2
/** Largest DNS answer carried back in a DnsAnswer; larger ones are truncated with TC (RFC 2181 §9). */
export const MAX_DNS_ANSWER_LEN = 1200
/** Drops of one reason are reported as events at most this often (Firezone logs unroutable packets sampled). */
export const DROP_SAMPLE_INTERVAL_MS = 1000
/**
 * Default idle time after which a silent client's state is released: 3 h, comfortably beyond the
 * longest NAT session lifetime (TCP established, 2 h 4 min; MISSION.md), so that no live session
 * goes, and beyond any NAT binding a client sits behind (its persistent keepalive, 25 s by
 * default, keeps the client from ever being idle while it runs).
 */
export const IDLE_CLIENT_MS = 3 * 60 * 60_000
/** Control message reason sent with Goodbye on shutdown. */
const GOODBYE_REASON = 'gateway shutting down'

const MAP_STATUS: Record<ResolveResult['status'], DomainStatus> = {
  ok: 'active',
  'no-records': 'no-addresses',
  nxdomain: 'nxdomain',
  servfail: 'servfail',
  timeout: 'timeout',
}

/** The gateway core. See the module doc for the call order. */
export class GatewayState {
  readonly device: Device
  readonly nat: GatewayNat
  readonly translator: Translator
  readonly limiter: IcmpRateLimiter
  readonly drops: Record<GatewayDropReason, number>
  /** ICMP errors not built (rate limited, never-send rules) or not rewritten. */
  readonly icmpDrops: Record<IcmpReason, number> = icmpReasonCounters()
  readonly icmpSent: Record<IcmpSentKind, number>
  readonly stats = {
    /** Packets decrypted from clients (control packets included). */
    rxPackets: 0,
    /** Control messages handled. */
    controlMessages: 0,
    /** Packets handed to WireGuard for a client. */
    txPackets: 0,
    /** Packets queued for the TUN device. */
    tunWrites: 0,
    /** Packets read from the TUN device. */
    tunReads: 0,
    /** Packets to a proxy IP held while its name resolved (replayed after; see MAX_HELD_PACKETS). */
    heldWhileResolving: 0,
    /** Clients whose per-client state was released after idleClientMs of silence. */
    idleClientsReleased: 0,
  }

  private readonly resolver: SiteResolver
  private readonly flags: { readonly icmpUnreachableInsteadOfNat64: boolean }
  private readonly tun4: number
  private readonly tun6: Uint8Array
  private readonly resources = new Map<string, Resource>()
  private readonly byPeer = new Map<Peer, ClientSlot>()
  private readonly byId: (ClientSlot | undefined)[] = [undefined]
  private readonly byName = new Map<string, ClientSlot>()
  private readonly outPkt = new IpPacket()
  private readonly inPkt = new IpPacket()
  private readonly errView = new IcmpErrorView()
  private readonly mapper: PairMapper
  private readonly xbuf: PacketBuf = { buf: new Uint8Array(0), off: 0, len: 0 }
  /** Scratch with headroom for NAT46 (IPv4 grows into IPv6 in place). */
  private readonly work = new Uint8Array(HEADROOM + 65536)
  /** Scratch for the ICMP errors the gateway builds (1280: a full IPv6 quote, RFC 4443 §2.4(c)). */
  private readonly errBuf = new Uint8Array(1280)
  private readonly tunQueue: PacketBuf[] = []
  private tunHead = 0
  private tunCount = 0
  private now = 0
  private readonly events: GatewayEvent[] = []
  private readonly pendingResolves = new Map<string, PendingResolve[]>()
  /** Packets held in `PendingResolve.held`, all clients together (at most MAX_HELD_PACKETS). */
  private heldCount = 0
  private readonly pendingForwards = new Map<number, PendingForward>()
  private readonly dnsView = new MessageView()
  private readonly dropSampledAt = new Map<string, number>()
  private readonly idleClientMs: number
  /** When the next client may have been silent for idleClientMs (Infinity: none holds state). */
  private nextIdleCheck = Number.POSITIVE_INFINITY
  /** `shutdown()` said Goodbye: new handshakes are refused (see 'gateway-closing'). */
  private closing = false

  constructor(cfg: GatewayStateConfig) {
    const t4 = ipv4FromText(cfg.tunIpv4)
    if (t4 === null) throw new Error(`tun.ipv4: not an IPv4 address: ${cfg.tunIpv4}`)
    const t6 = ipv6FromText(cfg.tunIpv6)
    if (t6 === null) throw new Error(`tun.ipv6: not an IPv6 address: ${cfg.tunIpv6}`)
    this.tun4 = t4
    this.tun6 = t6
    this.resolver = cfg.resolver
    this.flags = cfg.flags
    this.idleClientMs = cfg.idleClientMs ?? IDLE_CLIENT_MS
    if (!(this.idleClientMs > 0)) throw new Error('idleClientMs: must be positive')
    this.device = new Device({
      privateKey: parseKey(cfg.privateKey, 'privateKey'),
      random: cfg.random,
      unixMs: cfg.unixMs,
    })
    this.nat = new GatewayNat({ seed: cfg.seed >>> 0 })
    this.mapper = new PairMapper('::', 0, '::', 0)
    this.translator = new Translator(this.mapper, {})
    this.limiter = new IcmpRateLimiter(cfg.icmpRateLimit ?? {})
    const d = {} as Record<GatewayDropReason, number>
    for (const r of GATEWAY_DROP_REASONS) d[r] = 0
    this.drops = d
    const s = {} as Record<IcmpSentKind, number>
    for (const k of ICMP_SENT_KINDS) s[k] = 0
    this.icmpSent = s
    for (let i = 0; i < TUN_QUEUE; i++) this.tunQueue.push({ buf: this.work, off: 0, len: 0 })
    for (const r of cfg.resources) {
      this.resources.set(r.id, r)
      this.nat.addResource(natResource(r))
    }
    for (const c of cfg.clients) this.addClient(c)
  }

  // ---- (A) configuration --------------------------------------------------------------------

  /** Adds a client: its WireGuard peer, its tunnel IPs and its resources. Throws naming the field. */
  addClient(c: GatewayClient): void {
    if (this.byName.has(c.name)) throw new Error(`clients: '${c.name}' added twice`)
    for (const id of c.resources)
      if (!this.resources.has(id)) throw new Error(`clients.${c.name}.resources: no resource '${id}'`)
    // Every source is accepted by WireGuard; the NAT checks it is the client's own tunnel IP,
    // so the drop is counted there as 'spoofed-source' (and control packets come from '::').
    const peer = this.device.addPeer({
      publicKey: parseKey(c.publicKey, `clients.${c.name}.publicKey`),
      presharedKey: c.presharedKey ? parseKey(c.presharedKey, `clients.${c.name}.presharedKey`) : null,
      allowedIps: ['0.0.0.0/0', '::/0'],
    })
    const slot: ClientSlot = {
      id: this.byId.length,
      entry: c,
      peer,
      allowed: new Set(c.resources),
      resolving: 0,
      holdsState: false,
    }
    this.byId.push(slot)
    this.byPeer.set(peer, slot)
    this.byName.set(c.name, slot)
    this.natAdd(slot)
  }

  /** Removes a client with its peer, NAT mappings and sessions. */
  removeClient(name: string): void {
    const slot = this.byName.get(name)
    if (slot === undefined) return
    this.nat.removeClient(slot.id)
    this.device.removePeer(slot.peer)
    this.byPeer.delete(slot.peer)
    this.byName.delete(name)
    this.byId[slot.id] = undefined
  }

  /** Client names. */
  get clients(): string[] {
    return [...this.byName.keys()]
  }

  /** The WireGuard peer of a client (tests, logs). */
  peerOf(name: string): Peer | undefined {
    return this.byName.get(name)?.peer
  }

  // ---- (B) input ------------------------------------------------------------------------------

  /** A UDP datagram `buf[0..len)` from `from`. Decrypts in place. Returns WireGuard's verdict. */
  handleDatagram(
    now: number,
    from: Endpoint,
    buf: Uint8Array,
    len = buf.length,
  ): DatagramVerdict | 'gateway-closing' {
    this.begin(now)
    // WireGuard message type 1 (paper §5.4.2): type byte, three reserved zero bytes, 148 bytes in all.
    if (
      this.closing &&
      len === INITIATION_LEN &&
      buf[0] === 1 &&
      buf[1] === 0 &&
      buf[2] === 0 &&
      buf[3] === 0
    ) {
      this.drops['gateway-closing']++
      return 'gateway-closing'
    }
    const v = this.device.handleDatagram(now, from, buf, len)
    if (v !== 'forward' && v !== 'consumed') this.sampleDrop(now, v, null, null, from)
    else if (v === 'forward') {
      const rx = this.device.rx
      const client = rx.peer === null ? undefined : this.byPeer.get(rx.peer)
      if (client !== undefined) {
        this.stats.rxPackets++
        if (!client.holdsState) this.holdsState(now, client)
        if (isControlPacket(buf, rx.off, rx.len)) this.handleControl(now, client, buf, rx.off, rx.len)
        else this.outbound(now, client, buf, rx.off, rx.len)
      }
    }
    this.drainDeviceEvents()
    return v
  }

  /** A packet `buf[off..off+len)` read from the TUN device (towards a client). May rewrite it in place. */
  handleTunPacket(now: number, buf: Uint8Array, off: number, len: number): void {
    this.begin(now)
    this.stats.tunReads++
    const pkt = this.inPkt
    const d = pkt.reset(buf, off, len)
    if (d !== null) {
      this.drops[d]++
      this.sampleDrop(now, d, null, null, null)
      return
    }
    if (
      pkt.version === 4 ? pkt.dst4 >>> 28 === 0xe || pkt.dst4 === 0xffffffff : buf[pkt.dstAddrOff] === 0xff
    ) {
      this.drops['tun-not-unicast']++
      return
    }
    const nat = this.nat
    const v = nat.handleInbound(now, pkt)
    const r = nat.result
    if (v === 'forward') {
      const c = this.byId[r.clientId]
      if (c !== undefined) this.toClient(now, c, buf, off, pkt.ipLen)
    } else if (v === 'translate') {
      const c = this.byId[r.clientId]
      if (c === undefined) return
      const x = this.xbuf
      if (pkt.version === 4) {
        // Reply from an IPv4 real IP to a client that used an IPv6 proxy IP: a = client, b = real/proxy.
        this.mapper.set(r.dst6, 0, pkt.dst4, r.src6, 0, pkt.src4)
        this.withHeadroom(buf, off, pkt.ipLen)
      } else {
        this.mapper.set(buf, pkt.dstAddrOff, r.dst4, buf, pkt.srcAddrOff, r.src4)
        x.buf = buf
        x.off = off
        x.len = pkt.ipLen
      }
      this.translateToClient(now, c)
    } else if (v === 'icmp-error') {
      this.routeIcmpError(now, buf, off, pkt.ipLen)
    } else this.sampleDrop(now, v, this.byId[r.clientId] ?? null, pkt, null) // counted in nat.drops
  }

  /** The answer to `pollDnsTransmit`'s query `txId`. */
  handleDnsResponse(now: number, txId: number, bytes: Uint8Array): void {
    this.begin(now)
    this.resolver.handleResponse(now, txId, bytes)
    this.drainResolver(now)
  }

  /** Runs what is due: WireGuard timers, NAT expiry, resolver timeouts. Early calls are no-ops. */
  handleTimeout(now: number): void {
    this.begin(now)
    this.device.handleTimeout(now)
    this.nat.handleTimeout(now)
    this.resolver.handleTimeout(now)
    this.drainResolver(now)
    this.drainDeviceEvents()
    if (now >= this.nextIdleCheck) this.releaseIdleClients(now)
  }

  /**
   * Says Goodbye to every client with a usable session (MISSION.md: a gateway that shuts down
   * tells its clients, so they do not blackhole traffic until a timeout), and from then on answers
   * no handshake initiation ('gateway-closing'). Returns how many.
   */
  shutdown(now: number): number {
    this.begin(now)
    // From now on handshakes are refused: a client that heard our Goodbye must handshake with our
    // successor, not with us during the shell's last milliseconds.
    this.closing = true
    let n = 0
    for (const c of this.byName.values()) {
      if (c.peer.sendingKeypair(now) === null) continue
      this.sendControl(now, c, { type: MessageType.Goodbye, requestId: 0, reason: GOODBYE_REASON })
      n++
    }
    return n
  }

  // ---- (C) output -----------------------------------------------------------------------------

  /** The next datagram for a client, or null. Valid until the next `handle*` call. */
  pollTransmit(): Transmit | null {
    return this.device.pollTransmit()
  }

  /** The next packet for the TUN device, or null. Valid until the next `handle*` call. */
  pollTunWrite(): PacketBuf | null {
    if (this.tunCount === 0) return null
    const p = this.tunQueue[this.tunHead]
    this.tunHead = (this.tunHead + 1) % TUN_QUEUE
    this.tunCount--
    return p
  }

  /** The next DNS query for the site's resolvers; answer with `handleDnsResponse(now, txId, bytes)`. */
  pollDnsTransmit(): DnsTransmit | null {
    return this.resolver.pollTransmit()
  }

  /** The earliest deadline of WireGuard, the NAT and the resolver, or null. */
  pollTimeout(): number | null {
    let m = Number.POSITIVE_INFINITY
    const a = this.device.pollTimeout()
    if (a !== null && a < m) m = a
    const b = this.nat.pollTimeout()
    if (b !== null && b < m) m = b
    const c = this.resolver.pollTimeout()
    if (c !== null && c < m) m = c
    if (this.nextIdleCheck < m) m = this.nextIdleCheck
    return m === Number.POSITIVE_INFINITY ? null : m
  }

  /** The next control-plane event, or null. */
  pollEvent(): GatewayEvent | null {
    return this.events.shift() ?? null
  }

  // ---- idle clients -----------------------------------------------------------------------------

  /** `client` sent something: it may now hold state, so it is watched for idleness. */
  private holdsState(now: number, client: ClientSlot): void {
    client.holdsState = true
    const at = now + this.idleClientMs
    if (at < this.nextIdleCheck) this.nextIdleCheck = at
  }

  /** Releases every client silent for idleClientMs; the next check is the earliest time another can be. */
  private releaseIdleClients(now: number): void {
    let next = Number.POSITIVE_INFINITY
    for (const c of this.byName.values()) {
      if (!c.holdsState) continue
      const last = c.peer.stats.lastReceived
      const idle = now - last
      if (idle >= this.idleClientMs) this.releaseClientState(c, idle)
      else if (last + this.idleClientMs < next) next = last + this.idleClientMs
    }
    this.nextIdleCheck = next
  }

  /** Forgets what `c` left behind (the client itself, its peer and addresses stay configured). */
  private releaseClientState(c: ClientSlot, idleMs: number): void {
    c.holdsState = false
    this.nat.removeClient(c.id)
    this.natAdd(c)
    let held = 0
    for (const [name, list] of this.pendingResolves) {
      const keep = list.filter((p) => p.client !== c)
      if (keep.length === list.length) continue
      for (const p of list) if (p.client === c) held += p.held.length
      if (keep.length === 0) this.pendingResolves.delete(name)
      else this.pendingResolves.set(name, keep)
    }
    c.resolving = 0
    this.heldCount -= held
    this.drops['held-packet-discarded'] += held
    for (const [handle, p] of this.pendingForwards) if (p.client === c) this.pendingForwards.delete(handle)
    this.stats.idleClientsReleased++
    this.events.push({ type: 'client-idle', client: c.entry.name, idleMs, held })
  }

  // ---- client -> resource -----------------------------------------------------------------------

  private outbound(now: number, client: ClientSlot, buf: Uint8Array, off: number, len: number): void {
    const pkt = this.outPkt
    const d = pkt.reset(buf, off, len)
    if (d !== null) {
      this.drops[d]++
      this.sampleDrop(now, d, client, null, null)
      return
    }
    const nat = this.nat
    const v = nat.handleOutbound(now, client.id, pkt, this.flags.icmpUnreachableInsteadOfNat64)
    if (v === 'forward') this.toTun(buf, off, pkt.ipLen)
    else if (v === 'translate') {
      const r = nat.result
      const x = this.xbuf
      if (pkt.version === 4) {
        // NAT46: a = the client's tunnel IPs (source, r.src6), b = proxy IPv4 <-> real IPv6.
        this.mapper.set(r.src6, 0, pkt.src4, r.dst6, 0, pkt.dst4)
        this.withHeadroom(buf, off, pkt.ipLen)
      } else {
        // NAT64: a = client tunnel IPv6 (source) <-> r.src4, b = proxy IPv6 (destination) <-> real r.dst4.
        this.mapper.set(buf, pkt.srcAddrOff, r.src4, buf, pkt.dstAddrOff, r.dst4)
        x.buf = buf
        x.off = off
        x.len = pkt.ipLen
      }
      const res = this.translator.translate(x)
      if (res.action === 'translated') {
        for (let i = 0; i < res.count; i++) {
          const p = res.packets[i]
          this.toTun(p.buf, p.off, p.len)
        }
      } else if (res.action === 'icmp-error') {
        const p = res.packets[0]
        this.icmpSent.translator++
        this.toClient(now, client, p.buf, p.off, p.len)
      }
      // 'drop': counted in translator.counts.
    } else if (v === 'unreachable') {
      // No mapping at all (the NAT matched no resource) because the name is still resolving (a
      // resync after a gateway restart): hold the packet and replay it when the status is known,
      // instead of failing the first try. A family mismatch (flag on) is answered at once.
      if (client.resolving > 0 && nat.result.resource < 0 && this.hold(client, buf, off, pkt)) return
      // MISSION.md: IPv4 Destination Unreachable 0 (network), IPv6 1/3 (address), from the
      // gateway's tunnel IP of the packet's family, to its source.
      const e = this.errBuf
      const n =
        pkt.version === 4
          ? buildV4NetUnreachable(buf, off, pkt.ipLen, this.tun4, e, 0, this.limiter, now)
          : buildV6AddressUnreachable(buf, off, pkt.ipLen, this.tun6, 0, e, 0, this.limiter, now)
      this.sendError(now, client, n, pkt.version === 4 ? 'v4-net-unreachable' : 'v6-address-unreachable')
    } else if (v === 'prohibited') {
      // MISSION.md / Firezone: a filtered packet gets "administratively prohibited" (3/13, 1/1).
      const e = this.errBuf
      const n =
        pkt.version === 4
          ? buildV4AdminProhibited(buf, off, pkt.ipLen, this.tun4, e, 0, this.limiter, now)
          : buildV6AdminProhibited(buf, off, pkt.ipLen, this.tun6, 0, e, 0, this.limiter, now)
      this.sendError(now, client, n, pkt.version === 4 ? 'v4-admin-prohibited' : 'v6-admin-prohibited')
    } else this.sampleDrop(now, v, client, pkt, null) // a NAT drop, counted in nat.drops
  }

  /**
   * Holds a copy of `pkt` for the pending resolution of `client` that assigned its destination;
   * false when there is none or MAX_HELD_PACKETS are held already. Off the fast path: only packets
   * that would otherwise be answered unreachable, for a client with a resolution outstanding.
   */
  private hold(client: ClientSlot, buf: Uint8Array, off: number, pkt: IpPacket): boolean {
    if (this.heldCount >= MAX_HELD_PACKETS) return false
    const dst = pkt.version === 4 ? ipv4ToText(pkt.dst4) : ipv6ToText(buf, pkt.dstAddrOff)
    for (const list of this.pendingResolves.values()) {
      for (const p of list) {
        if (p.client !== client || !p.proxyCanonical.includes(dst)) continue
        p.held.push(buf.slice(off, off + pkt.ipLen))
        this.heldCount++
        this.stats.heldWhileResolving++
        return true
      }
    }
    return false
  }

  private sendError(now: number, client: ClientSlot, n: number | IcmpReason, kind: IcmpSentKind): void {
    if (typeof n === 'number') {
      this.icmpSent[kind]++
      this.toClient(now, client, this.errBuf, 0, n)
    } else this.icmpDrops[n]++
  }

  // ---- resource -> client -----------------------------------------------------------------------

  /**
   * An ICMP error the NAT routed by its quote (`nat.result` describes the rewrite). Same family:
   * quoted destination -> proxy IP, quoted source port -> the client's, outer source -> proxy IP
   * (the error then names the address the client used). Across families: the quoted port first,
   * the outer source = the quoted real IP, then NAT64 maps real <-> proxy and the client's tunnel
   * IPs and translates the whole error (RFC 7915 §4.2, §5.2).
   */
  private routeIcmpError(now: number, buf: Uint8Array, off: number, len: number): void {
    const r = this.nat.result
    const c = this.byId[r.clientId]
    if (c === undefined) return
    const ev = this.errView
    const bad = ev.reset(buf, off, len)
    if (bad !== null) {
      this.drops['icmp-error-unparsable']++
      return
    }
    const q = ev.quote
    if (!r.translate) {
      if (r.nat) {
        if (ev.version === 4) {
          ev.setQuotedDst4(r.src4)
          ev.setOuterSrc4(r.src4)
        } else {
          ev.setQuotedDst6(r.src6, 0)
          ev.setOuterSrc6(r.src6, 0)
        }
        ev.setQuotedSrcPort(r.dstPort)
      }
      this.icmpSent.routed++
      this.toClient(now, c, buf, off, len)
      return
    }
    ev.setQuotedSrcPort(r.dstPort)
    const x = this.xbuf
    if (ev.version === 4) {
      ev.setOuterSrc4(q.dst4)
      this.mapper.set(r.dst6, 0, ev.pkt.dst4, r.src6, 0, q.dst4)
      this.withHeadroom(buf, off, len)
    } else {
      ev.setOuterSrc6(buf, q.dstAddrOff)
      this.mapper.set(buf, ev.pkt.dstAddrOff, r.dst4, buf, q.dstAddrOff, r.src4)
      x.buf = buf
      x.off = off
      x.len = len
    }
    const res = this.translator.translate(x)
    if (res.action === 'translated') {
      this.icmpSent.routed++
      this.toClient(now, c, res.packets[0].buf, res.packets[0].off, res.packets[0].len)
    }
  }

  private translateToClient(now: number, c: ClientSlot): void {
    const res = this.translator.translate(this.xbuf)
    if (res.action === 'translated') {
      for (let i = 0; i < res.count; i++) {
        const p = res.packets[i]
        this.toClient(now, c, p.buf, p.off, p.len)
      }
    } else if (res.action === 'icmp-error') {
      // The translator's own error about a reply goes back towards the resource.
      const p = res.packets[0]
      this.toTun(p.buf, p.off, p.len)
    }
  }

  // ---- control messages ---------------------------------------------------------------------------

  private handleControl(now: number, client: ClientSlot, buf: Uint8Array, off: number, len: number): void {
    const msg = decodeControlPacket(buf, off, len)
    if (typeof msg === 'string') {
      this.drops[msg as ControlDropReason]++
      return
    }
    this.stats.controlMessages++
    switch (msg.type) {
      case MessageType.AssignedIps:
        this.handleAssignedIps(now, client, msg.requestId, msg.resource, msg.domain, msg.proxyIps)
        break
      case MessageType.DnsQuery:
        this.handleDnsQuery(now, client, msg.requestId, msg.resource, msg.query)
        break
      case MessageType.Goodbye:
        // The client is going away: forget its mappings and sessions now, not at a timeout.
        this.nat.removeClient(client.id)
        this.natAdd(client)
        this.events.push({ type: 'client-goodbye', client: client.entry.name, reason: msg.reason })
        break
      default:
        this.drops['control-unexpected-type']++
    }
  }

  private handleAssignedIps(
    now: number,
    client: ClientSlot,
    requestId: number,
    resourceId: string,
    domain: string,
    proxyIps: readonly string[],
  ): void {
    const res = this.resources.get(resourceId)
    const name = normaliseName(domain)
    // Firezone: the gateway resolves only names of a DNS resource the client may use.
    if (
      res === undefined ||
      res.type !== 'dns' ||
      !client.allowed.has(resourceId) ||
      !patternMatches(res.address, name)
    ) {
      this.answerStatus(client, requestId, resourceId, domain, 'not-allowed', [], [])
      return
    }
    for (const ip of proxyIps) {
      if (!isProxyText(ip)) {
        this.drops['control-bad-proxy-ip']++
        this.answerStatus(client, requestId, resourceId, domain, 'not-allowed', [], [])
        return
      }
    }
    const p: PendingResolve = {
      client,
      requestId,
      resource: resourceId,
      domain,
      proxyIps,
      proxyCanonical: proxyIps.map((ip) => ipToText(ipFromText(ip)!)),
      held: [],
    }
    client.resolving++
    const result = this.resolver.resolve(now, name)
    if (result !== null) {
      this.finishResolve(p, result)
      return
    }
    const list = this.pendingResolves.get(name)
    if (list === undefined) this.pendingResolves.set(name, [p])
    else list.push(p)
    this.drainResolver(now)
  }

  private finishResolve(p: PendingResolve, result: ResolveResult): void {
    p.client.resolving--
    this.heldCount -= p.held.length
    if (this.byId[p.client.id] !== p.client) {
      this.drops['held-packet-discarded'] += p.held.length
      return // removed meanwhile
    }
    let status = MAP_STATUS[result.status]
    if (status === 'active') {
      status = this.nat.setDomainMapping(p.client.id, p.resource, p.domain, p.proxyIps, [
        ...result.ipv4,
        ...result.ipv6,
      ])
    }
    this.answerStatus(p.client, p.requestId, p.resource, p.domain, status, result.ipv4, result.ipv6)
    // The status travels first, then what was held: forwarded now, or answered unreachable as it
    // would have been (no mapping: NXDOMAIN, SERVFAIL, ...).
    for (const pkt of p.held) this.outbound(this.now, p.client, pkt, 0, pkt.length)
  }

  private answerStatus(
    client: ClientSlot,
    requestId: number,
    resource: string,
    domain: string,
    status: DomainStatus,
    ipv4: readonly string[],
    ipv6: readonly string[],
  ): void {
    this.sendControl(this.now, client, {
      type: MessageType.DomainStatus,
      requestId,
      resource,
      domain,
      status,
    })
    this.events.push({
      type: 'domain-status',
      client: client.entry.name,
      resource,
      domain,
      status,
      ipv4,
      ipv6,
    })
  }

  private handleDnsQuery(
    now: number,
    client: ClientSlot,
    requestId: number,
    resourceId: string,
    query64: string,
  ): void {
    const query = fromBase64(query64)
    const v = this.dnsView
    const res = this.resources.get(resourceId)
    const ok =
      scanMessage(query, 0, query.length, v) === null &&
      !v.qr &&
      v.qdcount === 1 &&
      res !== undefined &&
      res.type === 'dns' &&
      client.allowed.has(resourceId) &&
      patternMatches(res.address, v.qname)
    if (!ok) {
      // Only names of the client's own resources are resolved at the site: the gateway is no open resolver.
      this.drops['control-dns-query-refused']++
      const refused = refusedAnswer(query, v)
      if (refused !== null) this.sendDnsAnswer(client, requestId, resourceId, refused)
      this.events.push({
        type: 'dns-query',
        client: client.entry.name,
        resource: resourceId,
        name: v.qname,
        answered: false,
      })
      return
    }
    const handle = this.resolver.forward(now, query)
    this.pendingForwards.set(handle, { client, requestId, resource: resourceId, name: v.qname })
    this.drainResolver(now)
  }

  private sendDnsAnswer(client: ClientSlot, requestId: number, resource: string, answer: Uint8Array): void {
    let bytes = answer
    if (bytes.length > MAX_DNS_ANSWER_LEN && scanMessage(bytes, 0, bytes.length, this.dnsView) === null) {
      bytes = truncateForUdp(bytes, this.dnsView, MAX_DNS_ANSWER_LEN)
    }
    this.sendControl(this.now, client, {
      type: MessageType.DnsAnswer,
      requestId,
      resource,
      answer: toBase64(bytes),
    })
  }

  private drainResolver(now: number): void {
    for (let o = this.resolver.pollResult(); o !== null; o = this.resolver.pollResult()) {
      if (o.kind === 'resolved') {
        const list = this.pendingResolves.get(o.result.name)
        if (list === undefined) continue
        this.pendingResolves.delete(o.result.name)
        for (const p of list) this.finishResolve(p, o.result)
      } else {
        const p = this.pendingForwards.get(o.handle)
        if (p === undefined) continue
        this.pendingForwards.delete(o.handle)
        if (this.byId[p.client.id] !== p.client) continue
        this.sendDnsAnswer(p.client, p.requestId, p.resource, o.bytes)
        this.events.push({
          type: 'dns-query',
          client: p.client.entry.name,
          resource: p.resource,
          name: p.name,
          answered: true,
        })
      }
    }
    void now
  }

  private sendControl(now: number, client: ClientSlot, msg: ControlMessage): void {
    const pkt = buildControlPacket(msg)
    this.toClient(now, client, pkt, 0, pkt.length)
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private begin(now: number): void {
    this.now = now
  }

  private toClient(now: number, c: ClientSlot, buf: Uint8Array, off: number, len: number): void {
    this.stats.txPackets++
    this.device.handlePacket(now, c.peer, buf, off, len) // drops counted in device.drops
  }

  private toTun(buf: Uint8Array, off: number, len: number): void {
    if (this.tunCount === TUN_QUEUE) {
      this.drops['tun-queue-full']++
      return
    }
    const p = this.tunQueue[(this.tunHead + this.tunCount) % TUN_QUEUE]
    p.buf = buf
    p.off = off
    p.len = len
    this.tunCount++
    this.stats.tunWrites++
  }

  /** Copies a packet into the scratch buffer behind HEADROOM bytes and points `xbuf` at it. */
  private withHeadroom(buf: Uint8Array, off: number, len: number): void {
    const w = this.work
    copyBytes(buf, off, w, HEADROOM, len)
    const x = this.xbuf
    x.buf = w
    x.off = HEADROOM
    x.len = len
  }

  private natAdd(slot: ClientSlot): void {
    this.nat.addClient(slot.id, { ipv4: slot.entry.ipv4, ipv6: slot.entry.ipv6 })
    for (const id of slot.allowed) this.nat.allow(slot.id, id)
  }

  /** Reports a drop as an event, at most once per reason per DROP_SAMPLE_INTERVAL_MS (control path: allocates). */
  private sampleDrop(
    now: number,
    reason: string,
    client: ClientSlot | null,
    pkt: IpPacket | null,
    from: Endpoint | null,
  ): void {
    const last = this.dropSampledAt.get(reason)
    if (last !== undefined && now - last < DROP_SAMPLE_INTERVAL_MS) return
    this.dropSampledAt.set(reason, now)
    const flow = pkt !== null ? flowText(pkt) : from !== null ? `udp from ${from.address}:${from.port}` : ''
    this.events.push({ type: 'drop', reason, client: client === null ? null : client.entry.name, flow })
  }

  private drainDeviceEvents(): void {
    for (let e = this.device.pollEvent(); e !== null; e = this.device.pollEvent()) {
      const c = this.byPeer.get(e.peer)
      if (c === undefined) continue
      if (e.type === 'handshake-complete') this.events.push({ type: 'handshake', client: c.entry.name })
      else if (e.type === 'handshake-failed')
        this.events.push({ type: 'handshake-failed', client: c.entry.name })
    }
  }
}

if (HEADROOM < NAT64_HEADROOM) throw new Error('HEADROOM must cover NAT64_HEADROOM')

/** app-common's resource (config) -> the NAT's resource. */
export function natResource(r: Resource): ResourceConfig {
  if (r.type === 'internet') return { kind: 'internet', id: r.id }
  const filters: NatFilter[] = []
  for (const f of r.filters) {
    if (f.protocol === 'icmp') filters.push({ protocol: 'icmp' })
    else if (f.ports === undefined) filters.push({ protocol: f.protocol, from: 1, to: 65535 })
    else
      for (const range of f.ports) {
        const [lo, hi = lo] = range.split('-').map(Number)
        filters.push({ protocol: f.protocol, from: lo, to: hi })
      }
  }
  return r.type === 'dns'
    ? { kind: 'dns', id: r.id, filters }
    : { kind: 'cidr', id: r.id, address: r.address, filters }
}

/** `proto src:port -> dst:port` of a parsed packet, for sampled drop logs. */
function flowText(p: IpPacket): string {
  const b = p.buf
  const src = p.version === 4 ? ipv4ToText(p.src4) : `[${ipv6ToText(b, p.srcAddrOff)}]`
  const dst = p.version === 4 ? ipv4ToText(p.dst4) : `[${ipv6ToText(b, p.dstAddrOff)}]`
  return `${p.protocol} ${src}:${p.srcPort} -> ${dst}:${p.dstPort}`
}

function normaliseName(name: string): string {
  const n = name.toLowerCase()
  return n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n
}

const probe = new Int32Array(4)
function isProxyText(ip: string): boolean {
  const v4 = ipv4FromText(ip)
  if (v4 !== null) {
    probe.fill(0)
    probe[3] = v4 | 0
    return isProxyIp(4, probe)
  }
  const v6 = ipv6FromText(ip)
  if (v6 === null) return false
  for (let i = 0; i < 4; i++)
    probe[i] = (v6[4 * i] << 24) | (v6[4 * i + 1] << 16) | (v6[4 * i + 2] << 8) | v6[4 * i + 3]
  return isProxyIp(6, probe)
}

/** A REFUSED answer echoing the query's header and question; null when there is no header. */
function refusedAnswer(query: Uint8Array, v: MessageView): Uint8Array | null {
  if (query.length < 12) return null
  const end = v.qdcount === 1 && v.questionEnd > 12 && v.questionEnd <= query.length ? v.questionEnd : 12
  const out = query.slice(0, end)
  out[2] = (out[2] | 0x80) & ~0x02 // QR, not TC
  out[3] = (out[3] & 0xf0) | 5 // RCODE 5 REFUSED (RFC 1035 §4.1.1)
  out[4] = 0
  out[5] = end > 12 ? 1 : 0
  for (let i = 6; i < 12; i++) out[i] = 0
  return out
}

function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64')
}

function fromBase64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'))
}
