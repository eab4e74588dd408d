/**
 * Issue 9 "Timers: ... idle clients cleaned up": the gateway releases a silent client's state after
 * `nat.idleClientSeconds`, and a client that returns gets its names back. The end-to-end case runs
 * the real client core (`@gatehouse/client`'s ClientState) against the real gateway core in memory,
 * with a fake clock.
 */
import { describe, expect, test } from 'bun:test'
import { type ClientEvent, ClientState } from '@gatehouse/client'
import {
  buildSentinels,
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  FLAG_RD,
  GatewayResolver,
  TYPE,
} from '@gatehouse/dns-resolver'
import { buildUdp4, ipv4FromText } from '@gatehouse/ip-packet'
import { TCP_ESTABLISHED_TTL_MS } from '@gatehouse/nat'
import { formatKey, generatePrivateKey, publicKey, REJECT_AFTER_TIME_MS } from '@gatehouse/wireguard'
import { DEFAULT_IDLE_CLIENT_S, gatewayConfigSchema, MIN_IDLE_CLIENT_S } from '../src/config.ts'
import { type GatewayEvent, GatewayState, IDLE_CLIENT_MS } from '../src/state.ts'
import { Bench, seededRandom } from './harness.ts'

const KEY = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk='
const HOUR = 3_600_000

describe('config nat.idleClientSeconds', () => {
  test('default 3 h: beyond the TCP session lifetime (2 h 4 min), so no live session is released', () => {
    const cfg = gatewayConfigSchema.parse({ privateKey: KEY })
    expect(cfg.nat.idleClientSeconds).toBe(DEFAULT_IDLE_CLIENT_S)
    expect(cfg.nat.idleClientSeconds * 1000).toBe(IDLE_CLIENT_MS)
    expect(IDLE_CLIENT_MS).toBeGreaterThan(TCP_ESTABLISHED_TTL_MS)
  })

  test('an override is taken; one shorter than the TCP session lifetime is refused, naming the field', () => {
    expect(gatewayConfigSchema.parse({ privateKey: KEY, nat: { idleClientSeconds: 4 * 3600 } }).nat).toEqual({
      idleClientSeconds: 4 * 3600,
    })
    const r = gatewayConfigSchema.safeParse({
      privateKey: KEY,
      nat: { idleClientSeconds: MIN_IDLE_CLIENT_S - 1 },
    })
    expect(r.success).toBe(false)
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['nat.idleClientSeconds'])
  })
})

const ZONE = { a: { 'app.example.com': ['198.51.100.10'] }, aaaa: {} }
const ALICE = { name: 'alice', resources: ['web'], ipv4: '100.64.0.2', ipv6: 'fd00:2021:1111::2' }
const BOB = { name: 'bob', resources: ['web'], ipv4: '100.64.0.3', ipv6: 'fd00:2021:1111::3' }

function udpFrom(src: string, dst: string, payload = new Uint8Array(8)): Uint8Array {
  return buildUdp4({ src: ipv4FromText(src)!, dst: ipv4FromText(dst)!, srcPort: 5000, dstPort: 53, payload })
}

function events(b: Bench): GatewayEvent[] {
  const out: GatewayEvent[] = []
  for (let e = b.gateway.pollEvent(); e !== null; e = b.gateway.pollEvent()) out.push(e)
  return out
}

describe('GatewayState: idle clients (issue 9)', () => {
  test('a client silent for idleClientMs has its mappings and sessions released, counted and reported once', () => {
    const b = new Bench(ZONE, [ALICE, BOB])
    b.connect('alice')
    b.assignIps('alice')
    b.send('alice', udpFrom(ALICE.ipv4, '100.96.0.1'))
    expect(b.takeTun().length).toBe(1)
    expect(b.gateway.nat.sessions.live.udp).toBe(1)
    events(b)
    b.advance(IDLE_CLIENT_MS - 60_000)
    expect(b.gateway.stats.idleClientsReleased).toBe(0)
    b.advance(60_000)
    expect(b.gateway.stats.idleClientsReleased).toBe(1)
    const idle = events(b).filter((e) => e.type === 'client-idle')
    expect(idle).toEqual([{ type: 'client-idle', client: 'alice', idleMs: IDLE_CLIENT_MS, held: 0 }])
    // Bob never sent anything: nothing to release. Nor again for alice while she stays silent.
    b.advance(4 * IDLE_CLIENT_MS)
    expect(b.gateway.stats.idleClientsReleased).toBe(1)
    expect(b.gateway.pollTimeout()).toBeNull()
    // The mapping is gone: after a new handshake, the proxy IP is answered unreachable (3/0).
    const a = b.client('alice')
    a.inbox.length = 0
    b.send('alice', udpFrom(ALICE.ipv4, '100.96.0.1'))
    expect(b.takeTun()).toEqual([])
    expect(b.gateway.icmpSent['v4-net-unreachable']).toBe(1)
  })

  test('traffic or keepalives keep a client (its last authenticated datagram counts); the clock restarts with each', () => {
    const b = new Bench(ZONE, [ALICE])
    b.connect('alice')
    b.send('alice', udpFrom(ALICE.ipv4, '10.0.0.9')) // not allowed: dropped, but the client spoke
    const c = b.client('alice')
    for (let i = 0; i < 5; i++) {
      b.advance(IDLE_CLIENT_MS / 2)
      // A keepalive (an empty transport message) once the session is fresh: a handshake first.
      c.device.initiate(b.now, c.gw)
      b.send('alice', new Uint8Array(0))
    }
    expect(b.gateway.stats.idleClientsReleased).toBe(0)
    b.advance(IDLE_CLIENT_MS)
    expect(b.gateway.stats.idleClientsReleased).toBe(1)
  })

  test('pending lookups and held packets of an idle client are released with it (held ones counted as discarded)', () => {
    const b = new Bench(ZONE, [ALICE])
    b.connect('alice')
    // A site resolver that neither answers nor gives up (the real one gives up within seconds,
    // so this state cannot last hours; it is released all the same).
    b.holdDns = true
    b.resolver.handleTimeout = () => {}
    b.resolver.pollTimeout = () => null
    b.assignIps('alice')
    b.send('alice', udpFrom(ALICE.ipv4, '100.96.0.1'))
    expect(b.gateway.stats.heldWhileResolving).toBe(1)
    b.advance(IDLE_CLIENT_MS)
    expect(b.gateway.stats.idleClientsReleased).toBe(1)
    expect(b.gateway.drops['held-packet-discarded']).toBe(1)
    expect(events(b).find((e) => e.type === 'client-idle')).toMatchObject({ client: 'alice', held: 1 })
    // The late answer finds nothing to finish: no status, nothing forwarded.
    const before = b.client('alice').control.length
    b.releaseDns()
    expect(b.takeTun()).toEqual([])
    expect(b.client('alice').control.length).toBe(before)
  })
})

/** The real client core and the real gateway core, wired by hand, with one clock. */
class Pair {
  now = 1_000
  readonly client: ClientState<number>
  readonly gateway: GatewayState
  /** Packets the gateway wrote to its TUN, and the client to its TUN. */
  readonly gwTun: Uint8Array[] = []
  readonly clientTun: Uint8Array[] = []
  readonly clientEvents: ClientEvent[] = []
  readonly gatewayEvents: GatewayEvent[] = []
  private readonly clientEp = { address: '198.51.100.7', port: 40404 }
  /** The gateway's DNS queries, answered by the site one drive round later (after the datagrams in flight). */
  private dnsQueue: { txId: number; bytes: Uint8Array }[] = []
  private readonly gwEp = { address: '192.0.2.1', port: 51820 }

  constructor() {
    const ck = generatePrivateKey(seededRandom(21))
    const gk = generatePrivateKey(seededRandom(22))
    this.gateway = new GatewayState({
      privateKey: formatKey(gk),
      random: seededRandom(23),
      unixMs: () => 1_700_000_000_000 + this.now,
      tunIpv4: '100.64.0.1',
      tunIpv6: 'fd00:2021:1111::1',
      resources: [{ id: 'web', type: 'dns', address: '*.example.com', ipStack: 'dual', filters: [] }],
      clients: [{ ...ALICE, publicKey: formatKey(publicKey(ck)) }],
      resolver: new GatewayResolver({ upstreams: [{ address: '192.0.2.53', port: 53, family: 4 }], seed: 5 }),
      flags: { icmpUnreachableInsteadOfNat64: false },
      seed: 1,
    })
    this.client = new ClientState<number>({
      privateKey: ck,
      gatewayPublicKey: publicKey(gk),
      gatewayEndpoint: this.gwEp,
      tunnelIpv4: ALICE.ipv4,
      tunnelIpv6: ALICE.ipv6,
      sentinels: buildSentinels(['192.0.2.99']),
      dnsResources: [{ id: 'web', address: '*.example.com' }],
      random: seededRandom(24),
      unixMs: () => 1_700_000_000_000 + this.now,
      persistentKeepaliveS: 0,
    })
  }

  /** Moves everything both ways until quiet; the site's DNS answers from ZONE. */
  drive(): void {
    for (let round = 0; round < 100; round++) {
      let moved = false
      for (let t = this.client.pollTransmit(); t !== null; t = this.client.pollTransmit()) {
        moved = true
        this.gateway.handleDatagram(this.now, this.clientEp, t.data.slice(0, t.length))
        this.drainGateway()
      }
      const back: Uint8Array[] = []
      for (let t = this.gateway.pollTransmit(); t !== null; t = this.gateway.pollTransmit())
        back.push(t.data.slice(0, t.length))
      for (const d of back) {
        moved = true
        if (this.client.handleDatagram(this.now, this.gwEp, d) === 'forward')
          this.clientTun.push(d.slice(this.client.rx.off, this.client.rx.off + this.client.rx.len))
      }
      const qs = this.dnsQueue
      this.dnsQueue = []
      for (const q of qs) {
        moved = true
        this.gateway.handleDnsResponse(this.now, q.txId, siteAnswer(q.bytes))
        this.drainGateway()
      }
      for (let p = this.client.pollTunWrite(); p !== null; p = this.client.pollTunWrite())
        this.clientTun.push(p)
      for (let e = this.client.pollEvent(); e !== null; e = this.client.pollEvent()) this.clientEvents.push(e)
      if (!moved) return
    }
    throw new Error('drive: no quiescence')
  }

  private drainGateway(): void {
    for (let p = this.gateway.pollTunWrite(); p !== null; p = this.gateway.pollTunWrite())
      this.gwTun.push(p.buf.slice(p.off, p.off + p.len))
    for (let e = this.gateway.pollEvent(); e !== null; e = this.gateway.pollEvent())
      this.gatewayEvents.push(e)
    for (let q = this.gateway.pollDnsTransmit(); q !== null; q = this.gateway.pollDnsTransmit())
      this.dnsQueue.push({ txId: q.txId, bytes: q.bytes.slice() })
  }

  /** Runs both cores' timers up to `t`. */
  advanceTo(t: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const next = Math.min(
        this.client.pollTimeout() ?? Number.POSITIVE_INFINITY,
        this.gateway.pollTimeout() ?? Number.POSITIVE_INFINITY,
      )
      if (next > t) break
      this.now = Math.max(this.now, next)
      this.client.handleTimeout(this.now)
      this.gateway.handleTimeout(this.now)
      this.drainGateway()
      this.drive()
    }
    this.now = t
    this.client.handleTimeout(t)
    this.gateway.handleTimeout(t)
    this.drainGateway()
    this.drive()
  }

  /** An application's A query for `name` to the sentinel; returns the proxy IPs answered. */
  resolve(name: string): string[] {
    const q = encodeMessage({ id: 7, flags: FLAG_RD, questions: [{ name, type: TYPE.A }] })
    const p = buildUdp4({
      src: ipv4FromText(ALICE.ipv4)!,
      dst: ipv4FromText('100.100.111.1')!,
      srcPort: 33333,
      dstPort: 53,
      payload: q,
    })
    this.client.handleTunPacket(this.now, p, 0, p.length)
    this.drive()
    const a = this.clientTun.pop()!
    const m = decodeMessage(a.slice(28)) as DnsMessage
    return m.answers.map((r) => (r as { address: string }).address)
  }

  /** An application's UDP packet to `dst` through the client. */
  send(dst: string, srcPort: number): Uint8Array {
    const p = buildUdp4({
      src: ipv4FromText(ALICE.ipv4)!,
      dst: ipv4FromText(dst)!,
      srcPort,
      dstPort: 9,
      payload: new Uint8Array([1, 2, 3, 4]),
    })
    this.client.handleTunPacket(this.now, p, 0, p.length)
    this.drive()
    return p
  }
}

/** The site's answer to a gateway query, from ZONE (A records only; NOERROR without records otherwise). */
function siteAnswer(query: Uint8Array): Uint8Array {
  const m = decodeMessage(query) as DnsMessage
  const { name, type } = m.questions[0]
  const addrs = type === TYPE.A ? (ZONE.a[name as keyof typeof ZONE.a] ?? []) : []
  return encodeMessage({
    id: m.id,
    flags: 0x8000 | FLAG_RD,
    questions: [{ name, type }],
    answers: addrs.map((address) => ({ name, ttl: 60, type: 'A' as const, address })),
  })
}

/** Destination IPv4 of a packet written to the gateway's TUN, as text. */
const dst4 = (p: Uint8Array) => `${p[16]}.${p[17]}.${p[18]}.${p[19]}`

test('end to end in memory: idle past the threshold -> gateway releases -> the client sends -> handshake -> AssignedIps ahead of the data -> forwarded', () => {
  const x = new Pair()
  const proxy = x.resolve('app.example.com')
  expect(proxy.length).toBe(4)
  x.send(proxy[0], 6000)
  expect(x.gwTun.map(dst4)).toEqual(['198.51.100.10'])
  x.gwTun.length = 0

  // Silence: the client's session expires (REJECT_AFTER_TIME), the gateway releases alice.
  x.advanceTo(x.now + IDLE_CLIENT_MS + HOUR)
  expect(x.client.gateway.sendingKeypair(x.now)).toBeNull()
  expect(IDLE_CLIENT_MS).toBeGreaterThan(REJECT_AFTER_TIME_MS)
  expect(x.gateway.stats.idleClientsReleased).toBe(1)
  expect(x.gatewayEvents.filter((e) => e.type === 'client-idle').map((e) => e.client)).toEqual(['alice'])

  // The application uses the cached proxy IP again: one packet, no DNS query first.
  const handshakes = x.client.stats.handshakes
  const sent = x.send(proxy[0], 6001)
  expect(x.client.stats.handshakes).toBe(handshakes + 1)
  expect(x.client.stats.resyncMessages).toBe(1) // the mapping went out again, staged ahead of the packet
  // The gateway held the packet while the name resolved, then forwarded it: nothing unreachable.
  expect(x.gateway.stats.heldWhileResolving).toBe(1)
  expect(x.gateway.icmpSent['v4-net-unreachable']).toBe(0)
  expect(x.gwTun.length).toBe(1)
  expect(dst4(x.gwTun[0])).toBe('198.51.100.10')
  expect([...x.gwTun[0].subarray(28)]).toEqual([...sent.subarray(28)]) // the same payload
  const statuses = x.gatewayEvents.filter((e) => e.type === 'domain-status')
  expect(statuses.at(-1)).toMatchObject({ client: 'alice', domain: 'app.example.com', status: 'active' })
})
