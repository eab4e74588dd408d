/**
 * In-memory test bench for `GatewayState`: a fake clock, a site DNS zone answering the gateway
 * resolver's queries, and test clients built from `@gatehouse/wireguard`'s Device and the control
 * codec, speaking to the gateway through datagrams handed over by hand (quinn's `Pair.drive`).
 */
import type { Resource } from '@gatehouse/app-common'
import {
  buildControlPacket,
  type ControlMessage,
  decodeControlPacket,
  isControlPacket,
  MessageType,
} from '@gatehouse/control'
import {
  type DnsMessage,
  decodeMessage,
  type EncodableRecord,
  encodeMessage,
  FLAG_QR,
  FLAG_RD,
  GatewayResolver,
  MessageView,
  RCODE,
  scanMessage,
  TYPE,
} from '@gatehouse/dns-resolver'
import { Device, formatKey, generatePrivateKey, type Peer, publicKey } from '@gatehouse/wireguard'
import { type GatewayClient, GatewayState } from '../src/state.ts'

/** A seeded xorshift filling byte arrays: deterministic keys and indices. */
export function seededRandom(seed: number): (b: Uint8Array) => void {
  let x = seed >>> 0 || 1
  return (b) => {
    for (let i = 0; i < b.length; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      b[i] = x & 0xff
    }
  }
}

export const GW_TUN4 = '100.64.0.1'
export const GW_TUN6 = 'fd00:2021:1111::1'
export const GW_ENDPOINT = { address: '192.0.2.1', port: 51820 }

/** Site zone: name -> A and AAAA addresses; NXDOMAIN for anything else; SRV/TXT for `srv`. */
export interface Zone {
  a: Record<string, string[]>
  aaaa: Record<string, string[]>
  txt?: Record<string, string>
}

export const RESOURCES: Resource[] = [
  { id: 'web', type: 'dns', address: '*.example.com', ipStack: 'dual', filters: [] },
  {
    id: 'filtered',
    type: 'dns',
    address: 'db.corp.test',
    ipStack: 'dual',
    filters: [{ protocol: 'tcp', ports: ['5432'] }, { protocol: 'icmp' }],
  },
  { id: 'lan', type: 'cidr', address: '10.0.0.0/24', filters: [] },
  { id: 'secret', type: 'dns', address: 'secret.example.org', ipStack: 'dual', filters: [] },
]

export class TestClient {
  readonly device: Device
  readonly gw: Peer
  readonly publicKey: string
  /** Decrypted packets from the gateway that were not control messages. */
  readonly inbox: Uint8Array[] = []
  /** Control messages from the gateway. */
  readonly control: ControlMessage[] = []
  readonly endpoint: { address: string; port: number }

  constructor(
    readonly name: string,
    readonly entry: GatewayClient,
    privateKey: Uint8Array,
    gatewayPublic: Uint8Array,
    seed: number,
    index: number,
  ) {
    // A wall clock that moves on with every initiation: the gateway refuses a repeated TAI64N
    // timestamp as a replay (paper §5.1), so a client that handshakes again must write a later one.
    let wall = 1_700_000_000_000
    this.device = new Device({ privateKey, random: seededRandom(seed), unixMs: () => (wall += 1000) })
    this.gw = this.device.addPeer({
      publicKey: gatewayPublic,
      endpoint: GW_ENDPOINT,
      allowedIps: ['0.0.0.0/0', '::/0'],
    })
    this.publicKey = entry.publicKey
    this.endpoint = { address: `198.51.100.${index}`, port: 40000 + index }
  }
}

export class Bench {
  now = 1000
  readonly gateway: GatewayState
  readonly resolver: GatewayResolver
  readonly flags = { icmpUnreachableInsteadOfNat64: false }
  readonly clients: TestClient[] = []
  /** Packets the gateway wrote to its TUN device (copies). */
  readonly tun: Uint8Array[] = []
  /** DNS queries the site answered (names). */
  readonly siteQueries: string[] = []
  /** When true, the site keeps the gateway's DNS queries until `releaseDns()` (a slow resolver). */
  holdDns = false
  private readonly heldQueries: { txId: number; bytes: Uint8Array }[] = []
  private readonly gatewayPublic: Uint8Array

  constructor(
    readonly zone: Zone,
    clients: { name: string; resources: string[]; ipv4: string; ipv6: string }[],
  ) {
    const rnd = seededRandom(7)
    const gwKey = generatePrivateKey(rnd)
    this.gatewayPublic = publicKey(gwKey)
    const entries: GatewayClient[] = []
    const keys: Uint8Array[] = []
    for (const c of clients) {
      const k = generatePrivateKey(rnd)
      keys.push(k)
      entries.push({
        name: c.name,
        publicKey: formatKey(publicKey(k)),
        ipv4: c.ipv4,
        ipv6: c.ipv6,
        resources: c.resources,
      })
    }
    this.resolver = new GatewayResolver({
      upstreams: [{ address: '192.0.2.53', port: 53, family: 4 }],
      seed: 3,
      timeoutMs: 1000,
    })
    this.gateway = new GatewayState({
      privateKey: formatKey(gwKey),
      random: seededRandom(11),
      unixMs: () => 1_700_000_000_000 + this.now,
      tunIpv4: GW_TUN4,
      tunIpv6: GW_TUN6,
      resources: RESOURCES,
      clients: entries,
      resolver: this.resolver,
      flags: this.flags,
      seed: 99,
    })
    entries.forEach((e, i) => {
      this.clients.push(new TestClient(e.name, e, keys[i], this.gatewayPublic, 100 + i, i + 1))
    })
  }

  client(name: string): TestClient {
    const c = this.clients.find((x) => x.name === name)
    if (!c) throw new Error(`no client ${name}`)
    return c
  }

  /** Copies out everything the gateway produced, then delivers it: datagrams to clients, DNS queries to the zone. */
  private drainGateway(): void {
    const g = this.gateway
    const datagrams: { to: string; port: number; data: Uint8Array }[] = []
    for (let t = g.pollTransmit(); t !== null; t = g.pollTransmit())
      datagrams.push({ to: t.to.address, port: t.to.port, data: t.data.slice(0, t.length) })
    for (let p = g.pollTunWrite(); p !== null; p = g.pollTunWrite())
      this.tun.push(p.buf.slice(p.off, p.off + p.len))
    const queries: { txId: number; bytes: Uint8Array }[] = []
    for (let q = g.pollDnsTransmit(); q !== null; q = g.pollDnsTransmit())
      queries.push({ txId: q.txId, bytes: q.bytes })
    for (const d of datagrams) {
      const c = this.clients.find((x) => x.endpoint.address === d.to && x.endpoint.port === d.port)
      if (c === undefined) continue
      const data = d.data
      const v = c.device.handleDatagram(this.now, GW_ENDPOINT, data)
      if (v === 'forward') {
        const rx = c.device.rx
        if (isControlPacket(data, rx.off, rx.len)) {
          const m = decodeControlPacket(data, rx.off, rx.len)
          if (typeof m !== 'string') c.control.push(m)
        } else c.inbox.push(data.slice(rx.off, rx.off + rx.len))
      }
      this.flushClient(c)
    }
    if (this.holdDns) {
      this.heldQueries.push(...queries)
      return
    }
    for (const q of queries) {
      g.handleDnsResponse(this.now, q.txId, this.answer(q.bytes))
      this.drainGateway()
    }
  }

  /** Answers the DNS queries kept while `holdDns` was set (and stops keeping them). */
  releaseDns(): void {
    this.holdDns = false
    for (const q of this.heldQueries.splice(0)) {
      this.gateway.handleDnsResponse(this.now, q.txId, this.answer(q.bytes))
      this.drainGateway()
    }
  }

  /** Delivers a client's queued datagrams to the gateway (and what comes back, until idle). */
  private flushClient(c: TestClient): void {
    const pending: Uint8Array[] = []
    for (let t = c.device.pollTransmit(); t !== null; t = c.device.pollTransmit())
      pending.push(t.data.slice(0, t.length))
    for (const d of pending) {
      this.gateway.handleDatagram(this.now, c.endpoint, d)
      this.drainGateway()
    }
  }

  /** Handshake: the client initiates; the first data confirms the session. */
  connect(name: string): void {
    const c = this.client(name)
    c.device.initiate(this.now, c.gw)
    this.flushClient(c)
  }

  /** Sends an IP packet from a client through its tunnel. */
  send(name: string, packet: Uint8Array): void {
    const c = this.client(name)
    c.device.handlePacket(this.now, c.gw, packet)
    this.flushClient(c)
  }

  /** Sends a control message from a client. */
  sendControl(name: string, msg: ControlMessage): void {
    this.send(name, buildControlPacket(msg))
  }

  /**
   * Sends AssignedIps as the client's stub does once it has handed out proxy IPs for a name:
   * by default resource `web`, `app.example.com`, the four IPv4 proxies 100.96.0.1-4, request 1.
   */
  assignIps(
    name: string,
    o: { requestId?: number; resource?: string; domain?: string; proxyIps?: string[] } = {},
  ): void {
    this.sendControl(name, {
      type: MessageType.AssignedIps,
      requestId: o.requestId ?? 1,
      resource: o.resource ?? 'web',
      domain: o.domain ?? 'app.example.com',
      proxyIps: o.proxyIps ?? ['100.96.0.1', '100.96.0.2', '100.96.0.3', '100.96.0.4'],
    })
  }

  /**
   * Sends a DnsQuery (`qname`, `qtype`) for resource `web` and returns the DnsAnswer the gateway sent
   * back, decoded; throws when none came or it does not decode.
   */
  dnsQuery(name: string, requestId: number, id: number, qname: string, qtype: number): DnsMessage {
    const q = encodeMessage({ id, flags: FLAG_RD, questions: [{ name: qname, type: qtype }] })
    this.sendControl(name, {
      type: MessageType.DnsQuery,
      requestId,
      resource: 'web',
      query: Buffer.from(q).toString('base64'),
    })
    const ans = this.client(name).control.find((m) => m.requestId === requestId)
    if (ans?.type !== MessageType.DnsAnswer) throw new Error(`no DnsAnswer for request ${requestId}`)
    const msg = decodeMessage(new Uint8Array(Buffer.from(ans.answer, 'base64')))
    if (typeof msg === 'string') throw new Error(msg)
    return msg
  }

  /** A packet arriving on the gateway's TUN device (from the site). */
  fromSite(packet: Uint8Array): void {
    this.gateway.handleTunPacket(this.now, packet, 0, packet.length)
    this.drainGateway()
  }

  /** Advances the fake clock, running every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.now + ms
    for (let i = 0; i < 10_000; i++) {
      const t = this.gateway.pollTimeout()
      if (t === null || t > end) break
      this.now = Math.max(this.now, t)
      this.gateway.handleTimeout(this.now)
      this.drainGateway()
    }
    this.now = end
    this.gateway.handleTimeout(this.now)
    this.drainGateway()
  }

  takeTun(): Uint8Array[] {
    return this.tun.splice(0)
  }

  private answer(query: Uint8Array): Uint8Array {
    const v = new MessageView()
    scanMessage(query, 0, query.length, v)
    this.siteQueries.push(v.qname)
    const answers: EncodableRecord[] = []
    let rcode: number = RCODE.NOERROR
    const a = this.zone.a[v.qname]
    const aaaa = this.zone.aaaa[v.qname]
    const txt = this.zone.txt?.[v.qname]
    if (a === undefined && aaaa === undefined && txt === undefined) rcode = RCODE.NXDOMAIN
    else if (v.qtype === TYPE.A)
      for (const x of a ?? []) answers.push({ name: v.qname, ttl: 60, type: 'A', address: x })
    else if (v.qtype === TYPE.AAAA)
      for (const x of aaaa ?? []) answers.push({ name: v.qname, ttl: 60, type: 'AAAA', address: x })
    else if (v.qtype === TYPE.TXT && txt !== undefined)
      answers.push({ name: v.qname, ttl: 60, type: 'TXT', strings: [new TextEncoder().encode(txt)] })
    return encodeMessage({
      id: v.id,
      flags: FLAG_QR | FLAG_RD,
      rcode,
      questions: [{ name: v.qname, type: v.qtype }],
      answers,
    })
  }
}
