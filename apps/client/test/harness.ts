/**
 * In-memory bench for `ClientState`: a fake clock and a fake gateway made of
 * `@gatehouse/wireguard`'s Device and the control codec, exchanging datagrams by hand
 * (quinn's `Pair.drive`). No devices, no sockets.
 */
import {
  buildControlPacket,
  type ControlMessage,
  decodeControlPacket,
  isControlPacket,
  MessageType,
} from '@gatehouse/control'
import {
  buildSentinels,
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  FLAG_RD,
} from '@gatehouse/dns-resolver'
import { buildUdp4, buildUdp6, ipv4FromText, ipv6FromText } from '@gatehouse/ip-packet'
import { Device, generatePrivateKey, type Peer, publicKey } from '@gatehouse/wireguard'
import { ClientState } from '../src/state.ts'

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

export const CLIENT_TUN4 = '100.64.0.2'
export const CLIENT_TUN6 = 'fd00:2021:1111::2'
export const APP_PORT = 40000
export const GW_ENDPOINT = { address: '192.0.2.1', port: 51820 }
export const CLIENT_ENDPOINT = { address: '198.51.100.7', port: 40404 }
export const UPSTREAM = '192.0.2.53'

/** The gateway side: a WireGuard device with the client as its only peer, and a log of what arrived. */
export class FakeGateway {
  device: Device
  peer: Peer
  /** Control messages from the client, in arrival order. */
  readonly control: ControlMessage[] = []
  /** Every decrypted packet in arrival order: 'control' entries and data packets. */
  readonly arrivals: (ControlMessage | Uint8Array)[] = []
  /** Data packets from the client (not control). */
  readonly inbox: Uint8Array[] = []
  /** How the gateway answers AssignedIps; null: it stays silent. */
  statusFor: (domain: string) => string | null = () => 'active'
  /** How the gateway answers DnsQuery (the site's DNS). */
  siteAnswer: (query: DnsMessage) => Uint8Array | null = () => null

  constructor(
    readonly privateKey: Uint8Array,
    readonly clientPublic: Uint8Array,
    seed: number,
  ) {
    this.device = this.makeDevice(seed)
    this.peer = this.addClient()
  }

  private makeDevice(seed: number): Device {
    return new Device({
      privateKey: this.privateKey,
      random: seededRandom(seed),
      unixMs: () => 1_700_000_000_000,
    })
  }

  private addClient(): Peer {
    return this.device.addPeer({
      publicKey: this.clientPublic,
      // The client's tunnel IPs, and `::` for control packets.
      allowedIps: [`${CLIENT_TUN4}/32`, `${CLIENT_TUN6}/128`, '::/128'],
    })
  }

  /** A restart: all state gone, same key. */
  restart(seed: number): void {
    this.device = this.makeDevice(seed)
    this.peer = this.addClient()
  }

  handleDatagram(now: number, data: Uint8Array): void {
    const buf = data.slice()
    const v = this.device.handleDatagram(now, CLIENT_ENDPOINT, buf, buf.length)
    if (v !== 'forward') return
    const { off, len } = this.device.rx
    if (isControlPacket(buf, off, len)) {
      const m = decodeControlPacket(buf, off, len)
      if (typeof m === 'string') throw new Error(`client sent a bad control packet: ${m}`)
      this.control.push(m)
      this.arrivals.push(m)
      this.onControl(now, m)
      return
    }
    const p = buf.slice(off, off + len)
    this.inbox.push(p)
    this.arrivals.push(p)
  }

  private onControl(now: number, m: ControlMessage): void {
    if (m.type === MessageType.AssignedIps) {
      const status = this.statusFor(m.domain)
      if (status === null) return
      this.send(now, {
        type: MessageType.DomainStatus,
        requestId: m.requestId,
        resource: m.resource,
        domain: m.domain,
        status: status as 'active',
      })
    } else if (m.type === MessageType.DnsQuery) {
      const q = decodeMessage(new Uint8Array(Buffer.from(m.query, 'base64')))
      if (typeof q === 'string') throw new Error(`bad DnsQuery: ${q}`)
      const a = this.siteAnswer(q)
      if (a === null) return
      this.send(now, {
        type: MessageType.DnsAnswer,
        requestId: m.requestId,
        resource: m.resource,
        answer: Buffer.from(a).toString('base64'),
      })
    }
  }

  send(now: number, m: ControlMessage): void {
    const pkt = buildControlPacket(m)
    this.device.handlePacket(now, this.peer, pkt, 0, pkt.length)
  }

  /** Encrypts a data packet for the client. */
  sendPacket(now: number, pkt: Uint8Array): void {
    this.device.handlePacket(now, this.peer, pkt, 0, pkt.length)
  }
}

/** Client core + fake gateway + fake clock. */
export class Bench {
  now = 1_000
  readonly client: ClientState<number>
  readonly gw: FakeGateway
  /** Packets the client wrote to its TUN (DNS answers and forwarded packets), in order. */
  readonly tun: Uint8Array[] = []
  /** Whether datagrams reach the gateway (false: it is down). */
  gatewayUp = true

  constructor(
    opts: {
      resources?: { id: string; address: string }[]
      seed?: number
      statusTimeoutMs?: number
      persistentKeepaliveS?: number
    } = {},
  ) {
    const seed = opts.seed ?? 7
    const clientKey = generatePrivateKey(seededRandom(seed))
    const gwKey = generatePrivateKey(seededRandom(seed + 1000))
    this.client = new ClientState<number>({
      privateKey: clientKey,
      gatewayPublicKey: publicKey(gwKey),
      gatewayEndpoint: GW_ENDPOINT,
      tunnelIpv4: CLIENT_TUN4,
      tunnelIpv6: CLIENT_TUN6,
      sentinels: buildSentinels([UPSTREAM, '2001:db8::53']),
      dnsResources: opts.resources ?? [
        { id: 'web', address: '**.corp.example' },
        { id: 'db', address: 'db.example.net' },
      ],
      random: seededRandom(seed + 1),
      unixMs: () => 1_700_000_000_000 + this.now,
      statusTimeoutMs: opts.statusTimeoutMs,
      persistentKeepaliveS: opts.persistentKeepaliveS ?? 0,
    })
    this.gw = new FakeGateway(gwKey, publicKey(clientKey), seed + 2)
  }

  /** Moves datagrams both ways until neither side has anything to send (at most `max` rounds). */
  drive(max = 50): void {
    for (let i = 0; i < max; i++) {
      let moved = false
      for (let t = this.client.pollTransmit(); t !== null; t = this.client.pollTransmit()) {
        moved = true
        if (this.gatewayUp) this.gw.handleDatagram(this.now, t.data.slice(0, t.length))
      }
      const out: Uint8Array[] = []
      for (let t = this.gw.device.pollTransmit(); t !== null; t = this.gw.device.pollTransmit())
        out.push(t.data.slice(0, t.length))
      for (const d of out) {
        moved = true
        const v = this.client.handleDatagram(this.now, GW_ENDPOINT, d, d.length)
        if (v === 'forward')
          this.tun.push(d.slice(this.client.rx.off, this.client.rx.off + this.client.rx.len))
      }
      for (let p = this.client.pollTunWrite(); p !== null; p = this.client.pollTunWrite()) this.tun.push(p)
      if (!moved) return
    }
    throw new Error('drive: no quiescence')
  }

  /** Advances the fake clock to `t`, firing the client's and the gateway's timers on the way. */
  advanceTo(t: number): void {
    for (let guard = 0; guard < 10_000; guard++) {
      const c = this.client.pollTimeout() ?? Number.POSITIVE_INFINITY
      const g = this.gw.device.pollTimeout() ?? Number.POSITIVE_INFINITY
      const next = Math.min(c, g)
      if (next > t) break
      this.now = Math.max(this.now, next)
      this.client.handleTimeout(this.now)
      this.gw.device.handleTimeout(this.now)
      this.drive()
    }
    this.now = t
    this.client.handleTimeout(t)
    this.drive()
  }

  /** An application's DNS query over UDP through the TUN, to the first sentinel of `family`. */
  query(name: string, type: number, family: 4 | 6 = 4, id = 0x1234): void {
    const q = encodeMessage({ id, flags: FLAG_RD, questions: [{ name, type }] })
    this.client.handleTunPacket(this.now, ...udpTo(family, q))
    this.drive()
  }

  /** The DNS answers written to the TUN so far (UDP from port 53), decoded; removes them. */
  answers(): DnsMessage[] {
    const out: DnsMessage[] = []
    for (let i = 0; i < this.tun.length; i++) {
      const p = this.tun[i]
      const v4 = p[0] >> 4 === 4
      const l4 = v4 ? (p[0] & 0xf) * 4 : 40
      const proto = v4 ? p[9] : p[6]
      if (proto !== 17 || ((p[l4] << 8) | p[l4 + 1]) !== 53) continue
      const m = decodeMessage(p.slice(l4 + 8))
      if (typeof m === 'string') throw new Error(`bad DNS answer: ${m}`)
      out.push(m)
      this.tun.splice(i--, 1)
    }
    return out
  }
}

/** A UDP datagram from the application to the first sentinel of `family`, port 53, as handleTunPacket args. */
export function udpTo(family: 4 | 6, payload: Uint8Array): [Uint8Array, number, number] {
  const p =
    family === 4
      ? buildUdp4({
          src: ipv4FromText(CLIENT_TUN4)!,
          dst: ipv4FromText('100.100.111.1')!,
          srcPort: APP_PORT,
          dstPort: 53,
          payload,
        })
      : buildUdp6({
          src: ipv6FromText(CLIENT_TUN6)!,
          dst: ipv6FromText('fd00:2021:1111:8000:100:100:111:1')!,
          srcPort: APP_PORT,
          dstPort: 53,
          payload,
        })
  return [p, 0, p.length]
}
