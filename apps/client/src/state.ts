/**
 * `ClientState`: the client's sans-IO core (STYLE.md §4). It composes the WireGuard device (one
 * peer: the gateway), the stub resolver and the control protocol, and performs no I/O: no
 * sockets, no timers, no clock reads. The shell (main.ts) feeds it and drains it.
 *
 * Method groups and call order (quinn's):
 * - (A) getters: `stats`, `drops`, `device`, `stub`, `rx`, `names()`;
 * - (B) inputs: `handleTunPacket(now, buf, off, len)` (a packet the host routed into the TUN),
 *   `handleDatagram(now, from, buf, len)` (a UDP datagram from the gateway),
 *   `handleDnsQuery(now, bytes, transport, sentinel, handle)` (a query the shell received on a
 *   socket, e.g. DNS over TCP), `handleUpstreamResponse(now, token, bytes)` (the upstream's answer
 *   to a `pollDnsForward`), `handleTimeout(now)`, `shutdown(now)` (Goodbye to the gateway);
 * - (D) outputs, drained in this order after every input: `pollTransmit()` (datagrams to the
 *   gateway), `pollTunWrite()` (packets the core made for the TUN: DNS answers),
 *   `pollDnsReply()` (answers for the shell's sockets), `pollDnsForward()` (queries to send
 *   upstream), then `pollTimeout()` (re-arm the single timer), then `pollEvent()` (for logs).
 *
 * Data path, host -> gateway (`handleTunPacket`): a UDP packet to a sentinel's port 53 is a DNS
 * query for the stub resolver; anything else (proxy IPs, CIDR resources, the Internet resource) is
 * encrypted to the gateway. Multicast and other non-DNS packets to a sentinel are dropped and
 * counted.
 *
 * DNS (MISSION.md "Client, DNS"): the stub answers A/AAAA for a resource name with proxy IPs; each
 * new (name, resource) assignment becomes an AssignedIps control message, and the answer is held
 * until the gateway's DomainStatus arrives: `active` releases it, `nxdomain` becomes NXDOMAIN,
 * `no-addresses` NOERROR without records, `not-allowed` REFUSED, `servfail`/`timeout` and no status
 * within STATUS_TIMEOUT_MS SERVFAIL. A later query for an active name is answered at once (and the
 * name re-announced when the last announcement is older than REFRESH_AFTER_MS); one for a failed
 * name is announced again and waits again. Other query types for a resource name go to the
 * gateway as DnsQuery and come back as DnsAnswer. Everything else is forwarded to the upstream the
 * queried sentinel stands for (`pollDnsForward`, answered through `handleUpstreamResponse`).
 *
 * Data path, gateway -> host (`handleDatagram`): decrypted in place; a control packet (IPv6 `::` to
 * `::`, next header 253) is handled here (DomainStatus, DnsAnswer, Goodbye); any other packet
 * must be addressed to one of our tunnel IPs and is returned as `'forward'`: the shell writes
 * `buf[rx.off, rx.off + rx.len)` to the TUN before reusing `buf`.
 *
 * Gateway restarts: a Goodbye drops the session at once (the next packet re-handshakes) and marks
 * every mapping for re-sending; the re-sent AssignedIps are staged ahead of the packet that starts
 * the handshake, so the gateway has its NAT before the first data packet arrives. That first
 * handshake may go out before the new gateway listens: until it completes, it is re-sent on a
 * short backoff (GOODBYE_RETRY_FIRST_MS doubling up to REKEY_TIMEOUT, constants.ts says why)
 * instead of only after WireGuard's REKEY_TIMEOUT, so the restart costs about a second, not 5 s.
 * A gateway that vanished without a Goodbye is noticed by WireGuard's timers (a new handshake
 * after KEEPALIVE + REKEY_TIMEOUT without an answer); a handshake that completes after
 * RESYNC_AFTER_QUIET_MS of silence re-sends every mapping too. When a packet has to start a
 * handshake after such a silence (an idle client whose session expired, whose state the gateway
 * may have released as idle), the re-sent mappings are staged ahead of it, as after a Goodbye.
 * @module
 */
import {
  buildControlPacket,
  type ControlMessage,
  decodeControlPacket,
  isControlPacket,
  MessageType,
} from '@gatehouse/control'
import {
  ANSWER_BUF_LEN,
  type DnsResource,
  type Forward,
  MessageView,
  RCODE,
  type Sentinel,
  type StubOutcome,
  StubResolver,
  scanMessage,
  type Transport,
  TYPE,
  writeEmptyAnswer,
} from '@gatehouse/dns-resolver'
import {
  buildUdp4,
  buildUdp6,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  IpPacket,
  ipv4FromText,
  ipv6FromText,
  ipv6ToText,
  L4_TCP,
  L4_UDP,
} from '@gatehouse/ip-packet'
import {
  type DatagramVerdict,
  Device,
  type Endpoint,
  type PacketVerdict,
  type Peer,
  type PeerConfig,
  type Transmit,
} from '@gatehouse/wireguard'
import {
  DNS_PORT,
  GOODBYE_RETRY_FIRST_MS,
  GOODBYE_RETRY_JITTER_DIVISOR,
  GOODBYE_RETRY_MAX_MS,
  MAX_STAGED_RESYNC,
  MAX_WAITERS_PER_NAME,
  REFRESH_AFTER_MS,
  RESYNC_AFTER_QUIET_MS,
  STATUS_TIMEOUT_MS,
} from './constants.ts'
import { type TcpConn, TcpDnsServer } from './tcp-dns.ts'

/** Why the client dropped something; counted in `ClientState.drops`, exported as `gatehouse_drops_total{reason}`. */
export const CLIENT_DROPS = [
  /** A TUN packet that is neither IPv4 nor IPv6, or shorter than its header. */
  'client-bad-packet',
  /** A multicast or broadcast packet from the host (router solicitations, mDNS, ...): not for the tunnel. */
  'client-multicast',
  /** A packet to a sentinel that is not a DNS query over UDP or TCP port 53. */
  'client-sentinel-not-dns',
  /** A DNS query packet to a sentinel that does not parse as UDP (fragment, bad length). */
  'client-bad-dns-packet',
  /** A decrypted packet from the gateway addressed to neither of our tunnel IPs. */
  'client-not-for-us',
  /** A control message only a client sends (AssignedIps, DnsQuery) arrived from the gateway. */
  'client-control-unexpected',
  /** A DomainStatus or DnsAnswer whose request id we do not know (late, or after a resync). */
  'client-control-unknown-request',
  /** A DnsAnswer whose base64 does not decode. */
  'client-bad-dns-answer',
  /** More than MAX_WAITERS_PER_NAME queries waiting on one name's status: answered SERVFAIL. */
  'client-too-many-waiters',
  /** The gateway's status did not come within STATUS_TIMEOUT_MS: answered SERVFAIL. */
  'client-status-timeout',
  // The control codec's reasons, for malformed control packets from the gateway.
  'control-truncated',
  'control-bad-version',
  'control-unknown-type',
  'control-too-long',
  'control-bad-json',
  'control-bad-body',
] as const
export type ClientDrop = (typeof CLIENT_DROPS)[number]

/** Who asked a DNS query: an application through the TUN (UDP), or whoever the shell's socket serves. */
export type DnsAsker<H> =
  | {
      readonly kind: 'tun'
      readonly family: 4 | 6
      /** The application's address (4 or 16 bytes) and port. */
      readonly addr: Uint8Array
      readonly port: number
      /** The sentinel asked (4 or 16 bytes): the answer's source. */
      readonly sentinel: Uint8Array
    }
  | { readonly kind: 'shell'; readonly handle: H }
  /** A DNS-over-TCP connection to a sentinel, terminated in the core (tcp-dns.ts). */
  | { readonly kind: 'tcp'; readonly conn: TcpConn }

/** An answer for one of the shell's sockets. */
export interface DnsReply<H> {
  readonly handle: H
  readonly transport: Transport
  readonly bytes: Uint8Array
}

/** Where a (name, resource) mapping stands with the gateway. */
export type NameStatus = 'pending' | 'active' | 'failed'

/** A (name, resource) pair the stub assigned proxy IPs to, and what the gateway said about it. */
export interface NameState {
  readonly name: string
  readonly resourceId: string
  readonly proxyIps: readonly string[]
  status: NameStatus
  /** The last DomainStatus value received, or null. */
  lastStatus: string | null
  /** Request id of the AssignedIps last sent for it. */
  requestId: number
  /** `now` when it was last announced. */
  sentAt: number
  /** While pending with waiters: when they get SERVFAIL. Infinity otherwise. */
  deadline: number
  readonly waiters: Held<unknown>[]
}

interface Held<H> {
  readonly asker: DnsAsker<H>
  readonly transport: Transport
  /** The stub's answer with proxy IPs, released on `active`. */
  readonly answer: Uint8Array
}

/** Control-plane events, for the shell's logs. */
export type ClientEvent =
  | { type: 'handshake-complete'; resync: number }
  | { type: 'handshake-failed' }
  | { type: 'assigned'; name: string; resource: string; proxyIps: readonly string[] }
  | { type: 'domain-status'; name: string; resource: string; status: string }
  | { type: 'status-timeout'; name: string; resource: string }
  | { type: 'goodbye'; reason: string | undefined }
  | { type: 'proxy-ips-exhausted'; name: string; resource: string }

/** Result of `handleTunPacket`: encrypted and queued, staged behind a handshake, answered locally, or dropped. */
export type TunVerdict = PacketVerdict | 'consumed' | ClientDrop

export interface ClientStateOptions {
  /** Our WireGuard private key (32 bytes). */
  privateKey: Uint8Array
  presharedKey?: Uint8Array | null
  gatewayPublicKey: Uint8Array
  gatewayEndpoint: Endpoint
  /** Our tunnel addresses (text), the only destinations accepted from the gateway. */
  tunnelIpv4: string
  tunnelIpv6: string
  /** Sentinel addresses and the upstreams they stand for. */
  sentinels: readonly Sentinel[]
  /** DNS resources (patterns) from the config. */
  dnsResources: readonly DnsResource[]
  /** Cryptographically secure random bytes (WireGuard keys and indices). */
  random: (out: Uint8Array) => void
  /** Wall clock in ms, read only for WireGuard's TAI64N timestamps. */
  unixMs: () => number
  statusTimeoutMs?: number
  refreshAfterMs?: number
  /** The stub's timeout for upstream and site answers (default 5000). */
  upstreamTimeoutMs?: number
  /** WireGuard persistent keepalive towards the gateway, seconds; 0 = off (default 25, through NAT). */
  persistentKeepaliveS?: number
}

/** The gateway's allowed IPs: everything (it forwards for every resource, and control comes from `::`). */
const GATEWAY_ALLOWED_IPS = ['0.0.0.0/0', '::/0']

export class ClientState<H = unknown> {
  readonly device: Device
  readonly stub: StubResolver<DnsAsker<H>>
  /** Drops by reason, every reason present from the start (the device and stub keep their own). */
  readonly drops: Record<ClientDrop, number>
  /** Counters beside the drops. */
  readonly stats = {
    /** Packets read from the TUN and sent towards the gateway (queued or staged). */
    tunToGateway: 0,
    /** Decrypted packets from the gateway written to the TUN. */
    gatewayToTun: 0,
    dnsQueries: 0,
    dnsForwarded: 0,
    dnsAtSite: 0,
    controlSent: 0,
    controlReceived: 0,
    /** Mappings re-sent after a gateway restart or a quiet handshake. */
    resyncMessages: 0,
    goodbyes: 0,
    /** WireGuard handshakes completed with the gateway. */
    handshakes: 0,
    /** Handshake initiations re-sent early after a Goodbye (GOODBYE_RETRY_FIRST_MS backoff). */
    goodbyeRetries: 0,
  }
  /** Where the packet of the last `'forward'` from `handleDatagram` lies in the caller's buffer. */
  readonly rx = { off: 0, len: 0 }

  private peer: Peer
  private readonly peerConfig: PeerConfig
  private readonly tun4: number
  private readonly tun6: Uint8Array
  private readonly statusTimeoutMs: number
  private readonly refreshAfterMs: number
  private readonly pkt = new IpPacket()
  private readonly qview = new MessageView()
  /** Sentinel text by host number, per family (the stub takes the sentinel as text). */
  private readonly sentinelText4: (string | undefined)[] = []
  private readonly sentinelText6: (string | undefined)[] = []
  private readonly byKey = new Map<string, NameState>()
  /** The same states by name (lower case, as the stub reports it). */
  private readonly byName = new Map<string, NameState>()
  private readonly byRequest = new Map<number, NameState>()
  /** Names with waiters, in deadline order (every deadline is now + statusTimeoutMs, now monotonic). */
  private readonly waiting = new Map<NameState, true>()
  private readonly tunWrites: Uint8Array[] = []
  private readonly dnsReplies: DnsReply<H>[] = []
  private readonly forwards: Forward[] = []
  private readonly events: ClientEvent[] = []
  private nextRequestId = 1
  /** DNS over TCP to the sentinels, terminated here. */
  readonly tcp: TcpDnsServer
  /** `now` of the input being handled (answers released later reach TCP connections with it). */
  private clock = 0
  /** `now` of the last authenticated datagram from the gateway (handshake, keepalive or data). */
  private lastRx = Number.NEGATIVE_INFINITY
  /** `now` of the last packet we sent the gateway (traffic or control; keepalives do not count). */
  private lastTx = Number.NEGATIVE_INFINITY
  /** A Goodbye came: every mapping is re-sent before the next packet. */
  private resyncNeeded = false
  /** Mappings still to send once the handshake staged behind a resync completes. */
  private resyncRest: NameState[] = []
  private resyncStaged = false
  /** How many mappings were staged ahead of that handshake (reported with it). */
  private resyncStagedCount = 0
  /** A Goodbye came and no handshake has completed since: an unanswered initiation is retried early. */
  private goodbyeRetry = false
  /** The current step of that backoff, and when the next retry is due (Infinity: none in flight yet). */
  private goodbyeRetryStep = GOODBYE_RETRY_FIRST_MS
  private goodbyeRetryAt = Number.POSITIVE_INFINITY
  /** Scratch for the empty answers (NXDOMAIN, SERVFAIL, ...) made from held answers. */
  private readonly emptyOut = new Uint8Array(ANSWER_BUF_LEN)
  private readonly random: (out: Uint8Array) => void
  private readonly jitterBytes = new Uint8Array(2)

  constructor(opts: ClientStateOptions) {
    this.drops = Object.fromEntries(CLIENT_DROPS.map((r) => [r, 0])) as Record<ClientDrop, number>
    const t4 = ipv4FromText(opts.tunnelIpv4)
    if (t4 === null) throw new Error(`tunnelIpv4: not an IPv4 address: ${opts.tunnelIpv4}`)
    const t6 = ipv6FromText(opts.tunnelIpv6)
    if (t6 === null) throw new Error(`tunnelIpv6: not an IPv6 address: ${opts.tunnelIpv6}`)
    this.tun4 = t4
    this.tun6 = t6
    this.statusTimeoutMs = opts.statusTimeoutMs ?? STATUS_TIMEOUT_MS
    this.refreshAfterMs = opts.refreshAfterMs ?? REFRESH_AFTER_MS
    this.random = opts.random
    this.device = new Device({ privateKey: opts.privateKey, random: opts.random, unixMs: opts.unixMs })
    this.peerConfig = {
      publicKey: opts.gatewayPublicKey,
      presharedKey: opts.presharedKey ?? null,
      endpoint: opts.gatewayEndpoint,
      allowedIps: GATEWAY_ALLOWED_IPS,
      persistentKeepaliveS: opts.persistentKeepaliveS ?? 25,
    }
    this.peer = this.device.addPeer(this.peerConfig)
    this.stub = new StubResolver<DnsAsker<H>>({
      sentinels: opts.sentinels,
      resources: opts.dnsResources,
      upstreamTimeoutMs: opts.upstreamTimeoutMs,
    })
    this.tcp = new TcpDnsServer(
      opts.random,
      (p) => this.sentinelOf(p),
      (now, conn, query) => {
        this.stats.dnsQueries++
        const asker: DnsAsker<H> = { kind: 'tcp', conn }
        this.act(
          now,
          this.stub.handleQuery(now, query, { transport: 'tcp', sentinel: conn.sentinel, asker }),
          true,
        )
      },
    )
    for (const s of opts.sentinels) {
      if (s.family === 4) this.sentinelText4[ipv4FromText(s.address)! & 0xff] = s.address
      else this.sentinelText6[ipv6FromText(s.address)![15]] = s.address
    }
  }

  // ---- (A) getters --------------------------------------------------------------------------------

  /** Every (name, resource) mapping and its status. */
  names(): IterableIterator<NameState> {
    return this.byKey.values()
  }

  /** The gateway's WireGuard peer (replaced after a Goodbye). */
  get gateway(): Peer {
    return this.peer
  }

  // ---- (B) inputs ---------------------------------------------------------------------------------

  /**
   * A packet the host routed into the TUN, `buf[off, off + len)`. DNS queries to a sentinel are
   * answered (or forwarded); everything else is encrypted to the gateway (copied into the
   * device's transmit slot, so `buf` may be reused at once).
   */
  handleTunPacket(now: number, buf: Uint8Array, off: number, len: number): TunVerdict {
    this.clock = now
    const v = len > 0 ? buf[off] >> 4 : 0
    if (v === 4) {
      if (len < 20) return this.drop('client-bad-packet')
      const d0 = buf[off + 16]
      // RFC 1112 §4 / RFC 919: class D multicast and the limited broadcast never go through the tunnel.
      if ((d0 & 0xf0) === 0xe0 || (d0 === 255 && buf[off + 17] === 255 && buf[off + 19] === 255))
        return this.drop('client-multicast')
      // 100.100.111.0/24: a sentinel.
      if (d0 === 100 && buf[off + 17] === 100 && buf[off + 18] === 111)
        return this.onSentinelPacket(now, buf, off, len)
    } else if (v === 6) {
      if (len < 40) return this.drop('client-bad-packet')
      const d = off + 24
      // RFC 4291 §2.7: ff00::/8 is multicast (neighbour discovery, MLD, mDNS).
      if (buf[d] === 0xff) return this.drop('client-multicast')
      if (isSentinel6(buf, d)) return this.onSentinelPacket(now, buf, off, len)
    } else return this.drop('client-bad-packet')
    return this.toGateway(now, buf, off, len)
  }

  /**
   * A UDP datagram from `from`. Decrypts in place. Returns `'forward'` when `buf[rx.off, rx.off +
   * rx.len)` is a packet for the TUN (write it before reusing `buf`), `'consumed'` for handshakes,
   * keepalives and control messages, or a drop reason.
   */
  handleDatagram(
    now: number,
    from: Endpoint,
    buf: Uint8Array,
    len = buf.length,
  ): DatagramVerdict | ClientDrop {
    this.clock = now
    const quietSince = this.lastRx
    const v = this.device.handleDatagram(now, from, buf, len)
    if (v === 'consumed' || v === 'forward') this.lastRx = now
    this.afterDevice(now, quietSince)
    if (v !== 'forward') return v
    const rx = this.device.rx
    const off = rx.off
    const plen = rx.len
    if (isControlPacket(buf, off, plen)) {
      this.onControl(now, buf, off, plen)
      return 'consumed'
    }
    // Only packets for our own tunnel IPs go to the host.
    if (!this.isForUs(buf, off, plen)) return this.drop('client-not-for-us')
    this.rx.off = off
    this.rx.len = plen
    this.stats.gatewayToTun++
    return 'forward'
  }

  /**
   * A DNS query the shell received on its own socket (DNS over TCP to a sentinel), asked at
   * `sentinel` (text). The answer comes out of `pollDnsReply` with `handle`.
   */
  handleDnsQuery(now: number, bytes: Uint8Array, transport: Transport, sentinel: string, handle: H): void {
    this.clock = now
    this.stats.dnsQueries++
    const asker: DnsAsker<H> = { kind: 'shell', handle }
    this.act(now, this.stub.handleQuery(now, bytes, { transport, sentinel, asker }), true)
  }

  /** The upstream's answer to the forward `token` (from `pollDnsForward`). */
  handleUpstreamResponse(now: number, token: number, bytes: Uint8Array): void {
    this.clock = now
    this.act(now, this.stub.handleUpstreamResponse(now, token, bytes), false)
  }

  /** Runs every deadline at or before `now`: WireGuard timers, forward timeouts, status timeouts. Early calls do nothing. */
  handleTimeout(now: number): void {
    this.clock = now
    this.tcp.handleTimeout(now)
    this.device.handleTimeout(now)
    if (now >= this.goodbyeRetryAt) this.retryAfterGoodbye(now)
    this.afterDevice(now, this.lastRx)
    this.stub.handleTimeout(now)
    this.drainStub(now)
    for (const s of this.waiting.keys()) {
      if (s.deadline > now) break
      this.waiting.delete(s)
      s.deadline = Number.POSITIVE_INFINITY
      s.status = 'failed'
      this.drops['client-status-timeout'] += s.waiters.length
      this.events.push({ type: 'status-timeout', name: s.name, resource: s.resourceId })
      this.release(s, RCODE.SERVFAIL)
    }
  }

  /** Tells the gateway we are going away (it drops our NAT at once, not at a timeout). */
  shutdown(now: number): void {
    this.clock = now
    if (this.peer.sendingKeypair(now) === null) return
    this.sendControl(now, { type: MessageType.Goodbye, requestId: 0, reason: 'client shutting down' })
  }

  // ---- (D) outputs --------------------------------------------------------------------------------

  /** The next datagram for the gateway, or null. Valid until the next `handle*` call. */
  pollTransmit(): Transmit | null {
    return this.device.pollTransmit()
  }

  /** The next packet the core made for the TUN (DNS answers over UDP), or null. */
  pollTunWrite(): Uint8Array | null {
    return this.tunWrites.shift() ?? this.tcp.output.shift() ?? null
  }

  /** The next answer for one of the shell's sockets, or null. */
  pollDnsReply(): DnsReply<H> | null {
    return this.dnsReplies.shift() ?? null
  }

  /** The next query to send upstream (answer through `handleUpstreamResponse(token)`), or null. */
  pollDnsForward(): Forward | null {
    return this.forwards.shift() ?? null
  }

  /** The earliest deadline of anything the core waits for, or null. */
  pollTimeout(): number | null {
    let m = this.device.pollTimeout() ?? Number.POSITIVE_INFINITY
    const s = this.stub.pollTimeout()
    if (s !== null && s < m) m = s
    for (const w of this.waiting.keys()) {
      if (w.deadline < m) m = w.deadline
      break
    }
    const t = this.tcp.pollTimeout()
    if (t !== null && t < m) m = t
    if (this.goodbyeRetryAt < m) m = this.goodbyeRetryAt
    return m === Number.POSITIVE_INFINITY ? null : m
  }

  /** The next control-plane event, or null. */
  pollEvent(): ClientEvent | null {
    return this.events.shift() ?? null
  }

  // ---- TUN side -----------------------------------------------------------------------------------

  private toGateway(now: number, buf: Uint8Array, off: number, len: number): TunVerdict {
    // This packet starts a handshake (no usable session): after a Goodbye, or after a silence in
    // which the gateway may have released our state, the mappings go ahead of it.
    if (
      !this.resyncStaged &&
      (this.resyncNeeded || this.quiet(now)) &&
      this.byKey.size > 0 &&
      this.peer.sendingKeypair(now) === null
    )
      this.stageResync(now)
    const v = this.device.handlePacket(now, this.peer, buf, off, len)
    this.lastTx = now
    if (v === 'queued' || v === 'staged') this.stats.tunToGateway++
    this.afterDevice(now, this.lastRx)
    return v
  }

  private onSentinelPacket(now: number, buf: Uint8Array, off: number, len: number): TunVerdict {
    const p = this.pkt
    const bad = p.reset(buf, off, len)
    if (p.dstPort !== DNS_PORT || (p.protocol !== IP_PROTO_UDP && p.protocol !== IP_PROTO_TCP))
      return this.drop('client-sentinel-not-dns')
    if (bad !== null || p.isFragment) return this.drop('client-bad-dns-packet')
    if (p.l4 === L4_TCP) {
      this.tcp.handleSegment(now, p)
      return 'consumed'
    }
    if (p.l4 !== L4_UDP) return this.drop('client-bad-dns-packet')
    const v4 = p.version === 4
    const asker: DnsAsker<H> = {
      kind: 'tun',
      family: v4 ? 4 : 6,
      addr: buf.slice(p.srcAddrOff, p.srcAddrOff + (v4 ? 4 : 16)),
      port: p.srcPort,
      sentinel: buf.slice(p.dstAddrOff, p.dstAddrOff + (v4 ? 4 : 16)),
    }
    this.stats.dnsQueries++
    const query = buf.slice(p.payloadOff, p.payloadOff + p.payloadLen)
    this.act(
      now,
      this.stub.handleQuery(now, query, { transport: 'udp', sentinel: this.sentinelOf(p), asker }),
      true,
    )
    return 'consumed'
  }

  /** The text of the sentinel a parsed packet is addressed to (one we do not have still gets an answer: REFUSED). */
  private sentinelOf(p: IpPacket): string {
    const v4 = p.version === 4
    const host = p.buf[p.dstAddrOff + (v4 ? 3 : 15)]
    return (
      (v4 ? this.sentinelText4[host] : this.sentinelText6[host]) ??
      (v4 ? `100.100.111.${host}` : ipv6ToText(p.buf, p.dstAddrOff))
    )
  }

  private isForUs(buf: Uint8Array, off: number, len: number): boolean {
    const v = buf[off] >> 4
    if (v === 4) {
      if (len < 20) return false
      const d = ((buf[off + 16] << 24) | (buf[off + 17] << 16) | (buf[off + 18] << 8) | buf[off + 19]) >>> 0
      return d === this.tun4
    }
    if (v !== 6 || len < 40) return false
    const t = this.tun6
    for (let i = 0; i < 16; i++) if (buf[off + 24 + i] !== t[i]) return false
    return true
  }

  // ---- DNS ----------------------------------------------------------------------------------------

  /** Acts on a stub outcome. `fresh`: it answers a query just asked (resource answers may be held). */
  private act(now: number, o: StubOutcome<DnsAsker<H>>, fresh: boolean): void {
    switch (o.kind) {
      case 'answer': {
        this.drainStub(now)
        const s = fresh ? this.resourceAnswer(o.bytes) : null
        if (s === null) this.deliver(o.asker, o.transport, o.bytes)
        else this.onResourceAnswer(now, s, { asker: o.asker, transport: o.transport, answer: o.bytes })
        return
      }
      case 'forward':
        this.stats.dnsForwarded++
        this.forwards.push(o)
        break
      case 'resolve-at-site':
        this.stats.dnsAtSite++
        this.sendControl(now, {
          type: MessageType.DnsQuery,
          requestId: o.token,
          resource: o.resourceId,
          query: Buffer.from(o.bytes.buffer, o.bytes.byteOffset, o.bytes.byteLength).toString('base64'),
        })
        break
      case 'drop':
        break
    }
    this.drainStub(now)
  }

  /** Stub events (new assignments) and replies (SERVFAIL for timed-out forwards). */
  private drainStub(now: number): void {
    for (let e = this.stub.pollEvent(); e !== null; e = this.stub.pollEvent()) {
      if (e.kind === 'assigned') {
        const proxyIps = [...e.ipv4, ...e.ipv6]
        const key = nameKey(e.name, e.resourceId)
        const old = this.byKey.get(key)
        if (old !== undefined) this.byRequest.delete(old.requestId)
        const s: NameState = {
          name: e.name,
          resourceId: e.resourceId,
          proxyIps,
          status: 'pending',
          lastStatus: null,
          requestId: 0,
          sentAt: now,
          deadline: Number.POSITIVE_INFINITY,
          waiters: old?.waiters ?? [],
        }
        this.byKey.set(key, s)
        this.byName.set(e.name, s)
        this.events.push({ type: 'assigned', name: e.name, resource: e.resourceId, proxyIps })
        this.announce(now, s)
      } else if (e.kind === 'exhausted') {
        this.events.push({ type: 'proxy-ips-exhausted', name: e.name, resource: e.resourceId })
      } else {
        const s = this.byKey.get(nameKey(e.name, e.resourceId))
        if (s !== undefined) {
          this.byKey.delete(nameKey(e.name, e.resourceId))
          if (this.byName.get(e.name) === s) this.byName.delete(e.name)
          this.byRequest.delete(s.requestId)
          this.waiting.delete(s)
        }
      }
    }
    for (let r = this.stub.pollReply(); r !== null; r = this.stub.pollReply())
      this.deliver(r.asker, r.transport, r.bytes)
  }

  /**
   * The (name, resource) state a stub answer is about, when it is a NOERROR answer with records to
   * an A/AAAA question for a name with proxy IPs; null for any other answer (pass it through).
   * Reads the answer's header and question only (no full decode): a name matches one resource at
   * a time, so the name is the key.
   */
  private resourceAnswer(bytes: Uint8Array): NameState | null {
    const v = this.qview
    if (scanMessage(bytes, 0, bytes.length, v) !== null) return null
    if (v.ancount === 0 || v.rcode !== RCODE.NOERROR || (v.qtype !== TYPE.A && v.qtype !== TYPE.AAAA))
      return null
    return this.byName.get(v.qname) ?? null
  }

  private onResourceAnswer(now: number, s: NameState, held: Held<H>): void {
    if (s.status === 'active') {
      this.deliver(held.asker, held.transport, held.answer)
      if (now - s.sentAt >= this.refreshAfterMs) this.announce(now, s)
      return
    }
    if (s.waiters.length >= MAX_WAITERS_PER_NAME) {
      this.drops['client-too-many-waiters']++
      this.deliver(held.asker, held.transport, this.emptyAnswer(held.answer, RCODE.SERVFAIL))
      return
    }
    // Failed before (or announced without waiters): ask the gateway again, and wait.
    if (s.status === 'failed' || s.deadline === Number.POSITIVE_INFINITY) {
      if (s.status === 'failed') {
        s.status = 'pending'
        this.announce(now, s)
      }
      if (s.deadline === Number.POSITIVE_INFINITY) {
        s.deadline = now + this.statusTimeoutMs
        this.waiting.delete(s)
        this.waiting.set(s, true)
      }
    }
    s.waiters.push(held as Held<unknown>)
  }

  /** Answers everyone waiting on `s`: the held proxy-IP answers (`active`) or `rcode` with no records. */
  private release(s: NameState, rcode: number | 'active'): void {
    const ws = s.waiters.splice(0)
    for (const w of ws) {
      const h = w as Held<H>
      this.deliver(h.asker, h.transport, rcode === 'active' ? h.answer : this.emptyAnswer(h.answer, rcode))
    }
  }

  /**
   * `answer` (a held proxy-IP answer) as `rcode` with no records: its header and question, and an
   * OPT when the query had one (RFC 6891 §7), written by dns-resolver's `writeEmptyAnswer` as the
   * stub writes its own. An answer that does not scan is passed through (the stub wrote it).
   */
  private emptyAnswer(answer: Uint8Array, rcode: number): Uint8Array {
    const v = this.qview
    if (scanMessage(answer, 0, answer.length, v) !== null || v.qdcount !== 1) return answer
    return this.emptyOut.slice(0, writeEmptyAnswer(v, this.emptyOut, rcode))
  }

  private deliver(asker: DnsAsker<H>, transport: Transport, bytes: Uint8Array): void {
    if (asker.kind === 'shell') {
      this.dnsReplies.push({ handle: asker.handle, transport, bytes })
      return
    }
    if (asker.kind === 'tcp') {
      this.tcp.send(this.clock, asker.conn, bytes)
      return
    }
    const pkt =
      asker.family === 4
        ? buildUdp4({
            src: u32(asker.sentinel),
            dst: u32(asker.addr),
            ttl: 64,
            srcPort: DNS_PORT,
            dstPort: asker.port,
            payload: bytes,
          })
        : buildUdp6({
            src: asker.sentinel,
            dst: asker.addr,
            hopLimit: 64,
            srcPort: DNS_PORT,
            dstPort: asker.port,
            payload: bytes,
          })
    this.tunWrites.push(pkt)
  }

  // ---- control ------------------------------------------------------------------------------------

  /** Sends AssignedIps for `s` under a fresh request id. */
  private announce(now: number, s: NameState): void {
    this.byRequest.delete(s.requestId)
    s.requestId = this.nextRequestId
    this.nextRequestId = this.nextRequestId >= 0xffffffff ? 1 : this.nextRequestId + 1
    this.byRequest.set(s.requestId, s)
    s.sentAt = now
    this.sendControl(now, {
      type: MessageType.AssignedIps,
      requestId: s.requestId,
      resource: s.resourceId,
      domain: s.name,
      proxyIps: [...s.proxyIps],
    })
  }

  private sendControl(now: number, msg: ControlMessage): void {
    const pkt = buildControlPacket(msg)
    this.stats.controlSent++
    this.lastTx = now
    this.device.handlePacket(now, this.peer, pkt, 0, pkt.length)
    if (this.goodbyeRetry) this.armGoodbyeRetry()
  }

  private onControl(now: number, buf: Uint8Array, off: number, len: number): void {
    const msg = decodeControlPacket(buf, off, len)
    if (typeof msg === 'string') {
      this.drops[msg]++
      return
    }
    this.stats.controlReceived++
    switch (msg.type) {
      case MessageType.DomainStatus: {
        const s = this.byRequest.get(msg.requestId)
        if (s === undefined) {
          this.drops['client-control-unknown-request']++
          return
        }
        s.lastStatus = msg.status
        this.events.push({ type: 'domain-status', name: s.name, resource: s.resourceId, status: msg.status })
        this.waiting.delete(s)
        s.deadline = Number.POSITIVE_INFINITY
        s.status = msg.status === 'active' ? 'active' : 'failed'
        this.release(s, statusRcode(msg.status))
        return
      }
      case MessageType.DnsAnswer: {
        // The codec checked the base64 alphabet (zod); an empty answer is what is left to refuse.
        const answer = new Uint8Array(Buffer.from(msg.answer, 'base64'))
        if (answer.length === 0) {
          this.drops['client-bad-dns-answer']++
          return
        }
        const o = this.stub.handleUpstreamResponse(now, msg.requestId, answer)
        if (o.kind === 'drop' && o.reason === 'upstream-unknown-token') {
          this.drops['client-control-unknown-request']++
          return
        }
        this.act(now, o, false)
        return
      }
      case MessageType.Goodbye:
        this.onGoodbye(now, msg.reason)
        return
      default:
        this.drops['client-control-unexpected']++
    }
  }

  /** The gateway is going away: forget the session now, re-send every mapping before the next packet. */
  private onGoodbye(now: number, reason: string | undefined): void {
    this.stats.goodbyes++
    this.events.push({ type: 'goodbye', reason })
    this.device.removePeer(this.peer)
    this.peer = this.device.addPeer(this.peerConfig)
    this.resyncNeeded = this.byKey.size > 0
    this.resyncStaged = false
    this.resyncRest = []
    this.goodbyeRetry = true
    this.goodbyeRetryStep = GOODBYE_RETRY_FIRST_MS
    this.goodbyeRetryAt = Number.POSITIVE_INFINITY
    void now
  }

  /** Once the first initiation after a Goodbye went out: its first early retry is due one step later. */
  private armGoodbyeRetry(): void {
    const sent = this.peer.lastSentHandshake
    if (this.goodbyeRetryAt === Number.POSITIVE_INFINITY && sent !== Number.NEGATIVE_INFINITY)
      this.goodbyeRetryAt = sent + this.goodbyeRetryStep + this.retryJitter()
  }

  /**
   * Uniform in [0, step / GOODBYE_RETRY_JITTER_DIVISOR): the clients of one gateway all hear its Goodbye at
   * once, and their retries should not stay in lockstep (WireGuard jitters its retransmissions for
   * the same reason, paper §6.1).
   */
  private retryJitter(): number {
    const b = this.jitterBytes
    this.random(b)
    return (((b[0] | (b[1] << 8)) / 65536) * this.goodbyeRetryStep) / GOODBYE_RETRY_JITTER_DIVISOR
  }

  /** The backoff's retry is due: re-send the initiation if it is still unanswered (see the module doc). */
  private retryAfterGoodbye(now: number): void {
    if (!this.device.retryHandshake(now, this.peer)) {
      // Answered meanwhile, or given up: nothing left to hurry.
      this.stopGoodbyeRetry()
      return
    }
    this.stats.goodbyeRetries++
    this.goodbyeRetryStep *= 2
    if (this.goodbyeRetryStep >= GOODBYE_RETRY_MAX_MS) this.stopGoodbyeRetry()
    else this.goodbyeRetryAt = now + this.goodbyeRetryStep + this.retryJitter()
  }

  private stopGoodbyeRetry(): void {
    this.goodbyeRetry = false
    this.goodbyeRetryAt = Number.POSITIVE_INFINITY
  }

  /** We last heard from the gateway at least RESYNC_AFTER_QUIET_MS ago (and are about to send it something). */
  private quiet(now: number): boolean {
    return this.lastRx !== Number.NEGATIVE_INFINITY && now - this.lastRx >= RESYNC_AFTER_QUIET_MS
  }

  /** Stages AssignedIps for every mapping ahead of the packet that will start the handshake. */
  private stageResync(now: number): void {
    this.resyncNeeded = false
    this.resyncStaged = true
    const all = [...this.byKey.values()]
    const first = all.slice(0, MAX_STAGED_RESYNC)
    this.resyncRest = all.slice(MAX_STAGED_RESYNC)
    for (const s of first) this.announce(now, s)
    this.resyncStagedCount = first.length
  }

  /** Drains the device's events: handshakes trigger resyncs (see the module doc). */
  private afterDevice(now: number, quietSince: number): void {
    if (this.goodbyeRetry) this.armGoodbyeRetry()
    for (let e = this.device.pollEvent(); e !== null; e = this.device.pollEvent()) {
      if (e.type === 'handshake-complete') {
        this.stopGoodbyeRetry()
        let resync = 0
        if (this.resyncStaged) {
          // The staged part went out with the handshake; the rest follows now.
          this.resyncStaged = false
          const rest = this.resyncRest
          this.resyncRest = []
          for (const s of rest) this.announce(now, s)
          resync = this.resyncStagedCount + rest.length
        } else if (
          this.resyncNeeded ||
          // We sent after the last thing we heard, then heard nothing for a while: the gateway may
          // have lost us. (A first handshake has nothing to re-send: what was announced before it
          // was staged behind it. An idle client's keepalive rekeys send no data: no resync.)
          (quietSince !== Number.NEGATIVE_INFINITY &&
            this.lastTx > quietSince &&
            now - quietSince >= RESYNC_AFTER_QUIET_MS)
        ) {
          this.resyncNeeded = false
          for (const s of this.byKey.values()) this.announce(now, s)
          resync = this.byKey.size
        }
        this.stats.resyncMessages += resync
        this.stats.handshakes++
        this.events.push({ type: 'handshake-complete', resync })
      } else if (e.type === 'handshake-failed') {
        // What was staged behind the handshake (the resync too) is gone: re-send it next time.
        if (this.resyncStaged) {
          this.resyncStaged = false
          this.resyncRest = []
          this.resyncNeeded = this.byKey.size > 0
        }
        this.events.push({ type: 'handshake-failed' })
      }
    }
  }

  private drop(reason: ClientDrop): ClientDrop {
    this.drops[reason]++
    return reason
  }
}

function nameKey(name: string, resourceId: string): string {
  return `${resourceId}\n${name}`
}

/** fd00:2021:1111:8000:100:100:111:0/120 at `buf[d..d+16)`. */
function isSentinel6(buf: Uint8Array, d: number): boolean {
  return (
    buf[d] === 0xfd &&
    buf[d + 1] === 0x00 &&
    buf[d + 2] === 0x20 &&
    buf[d + 3] === 0x21 &&
    buf[d + 4] === 0x11 &&
    buf[d + 5] === 0x11 &&
    buf[d + 6] === 0x80 &&
    buf[d + 7] === 0x00 &&
    buf[d + 8] === 0x01 &&
    buf[d + 9] === 0x00 &&
    buf[d + 10] === 0x01 &&
    buf[d + 11] === 0x00 &&
    buf[d + 12] === 0x01 &&
    buf[d + 13] === 0x11 &&
    buf[d + 14] === 0x00
  )
}

function u32(b: Uint8Array): number {
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0
}

/** The DNS answer for a gateway status: `active` releases the held answer. */
export function statusRcode(status: string): number | 'active' {
  switch (status) {
    case 'active':
      return 'active'
    case 'nxdomain':
      return RCODE.NXDOMAIN
    // The name exists at the site but has no address: NOERROR with no records (RFC 2308 §2.2 NODATA).
    case 'no-addresses':
      return RCODE.NOERROR
    // The gateway refuses this name for this client: a policy answer, not a lookup failure.
    case 'not-allowed':
      return RCODE.REFUSED
    default:
      return RCODE.SERVFAIL
  }
}
