import { beforeEach, describe, expect, test } from 'bun:test'
import { type ControlMessage, MessageType } from '@gatehouse/control'
import { TYPE } from '@gatehouse/dns-resolver'
import { buildV4PortUnreachable, buildV4TimeExceeded } from '@gatehouse/icmp-errors'
import {
  buildIcmp4Echo,
  buildTcp4,
  buildTcp6,
  buildUdp4,
  buildUdp6,
  IpPacket,
  ipv4FromText,
  ipv4ToText,
  ipv6FromText,
  ipv6ToText,
} from '@gatehouse/ip-packet'
import { Device, generatePrivateKey } from '@gatehouse/wireguard'
import { MAX_HELD_PACKETS } from '../src/state.ts'
import { Bench, GW_ENDPOINT, GW_TUN4, GW_TUN6, seededRandom, type Zone } from './harness.ts'

const v4 = (s: string) => ipv4FromText(s)!
const v6 = (s: string) => ipv6FromText(s)!

const ZONE: Zone = {
  a: {
    'app.example.com': ['192.0.2.10'],
    'v4only.example.com': ['192.0.2.20'],
    'db.corp.test': ['192.0.2.30'],
    'secret.example.org': ['192.0.2.40'],
  },
  aaaa: {
    'app.example.com': ['2001:db8::10'],
    'v6only.example.com': ['2001:db8::20'],
    'db.corp.test': ['2001:db8::30'],
  },
  txt: { 'info.example.com': 'v=spf1 -all' },
}

const ALICE = {
  name: 'alice',
  ipv4: '100.64.0.2',
  ipv6: 'fd00:2021:1111::2',
  resources: ['web', 'filtered', 'lan'],
}
const BOB = { name: 'bob', ipv4: '100.64.0.3', ipv6: 'fd00:2021:1111::3', resources: ['web'] }

/** Proxy IPs the client's stub would assign: 4 IPv4 + 4 IPv6 per name, from `base`. */
function proxies(base: number): { v4: string[]; v6: string[] } {
  const p4: string[] = []
  const p6: string[] = []
  for (let i = 0; i < 4; i++) {
    p4.push(`100.96.0.${base + i}`)
    p6.push(`fd00:2021:1111:8000::${(base + i).toString(16)}`)
  }
  return { v4: p4, v6: p6 }
}
const APP = proxies(1)
const V4ONLY = proxies(5)
const V6ONLY = proxies(9)
const DB = proxies(13)

let b: Bench
let requestId = 1

function assign(
  client: string,
  resource: string,
  domain: string,
  p: { v4: string[]; v6: string[] },
): ControlMessage {
  const id = requestId++
  b.sendControl(client, {
    type: MessageType.AssignedIps,
    requestId: id,
    resource,
    domain,
    proxyIps: [...p.v4, ...p.v6],
  })
  const c = b.client(client)
  const answer = c.control.find((m) => m.requestId === id)
  if (answer === undefined) throw new Error(`no answer to request ${id}`)
  return answer
}

function parse(bytes: Uint8Array): IpPacket {
  const p = new IpPacket()
  expect(p.reset(bytes, 0, bytes.length)).toBeNull()
  return p
}

function inboxOne(client: string): Uint8Array {
  const c = b.client(client)
  expect(c.inbox.length).toBe(1)
  return c.inbox.splice(0)[0]
}

function expectIcmpError(
  bytes: Uint8Array,
  family: 4 | 6,
  type: number,
  code: number,
  from: string,
  to: string,
  offending: Uint8Array,
) {
  const p = parse(bytes)
  expect(p.verifyChecksums()).toBeNull()
  expect(p.version).toBe(family)
  expect(p.icmpType).toBe(type)
  expect(p.icmpCode).toBe(code)
  if (family === 4) {
    expect(ipv4ToText(p.src4)).toBe(from)
    expect(ipv4ToText(p.dst4)).toBe(to)
  } else {
    expect(ipv6ToText(bytes, p.srcAddrOff)).toBe(from)
    expect(ipv6ToText(bytes, p.dstAddrOff)).toBe(to)
  }
  // The quote is the offending packet as the client sent it (whole: it is small).
  const quoteOff = p.l4Off + 8
  expect([...bytes.subarray(quoteOff)]).toEqual([...offending])
}

beforeEach(() => {
  b = new Bench(ZONE, [ALICE, BOB])
  requestId = 1
})

describe('issue 9: WireGuard and the control channel', () => {
  test('handshake: the client initiates, the gateway reports it, data flows both ways', () => {
    b.connect('alice')
    expect(b.gateway.pollEvent()).toEqual({ type: 'handshake', client: 'alice' })
    expect(b.client('alice').gw.current).not.toBeNull()
    expect(b.gateway.peerOf('alice')!.current).not.toBeNull()
  })

  test('MISSION.md: AssignedIps -> the gateway resolves D itself -> DomainStatus active', () => {
    b.connect('alice')
    const answer = assign('alice', 'web', 'app.example.com', APP)
    expect(answer).toEqual({
      type: MessageType.DomainStatus,
      requestId: 1,
      resource: 'web',
      domain: 'app.example.com',
      status: 'active',
    })
    expect(b.siteQueries.sort()).toEqual(['app.example.com', 'app.example.com'])
  })

  test('DomainStatus tells NXDOMAIN and not-allowed apart', () => {
    b.connect('alice')
    expect(assign('alice', 'web', 'nope.example.com', APP)).toMatchObject({ status: 'nxdomain' })
    // A resource the client may not use, and a name outside the resource's pattern.
    expect(assign('alice', 'secret', 'secret.example.org', APP)).toMatchObject({ status: 'not-allowed' })
    expect(assign('alice', 'web', 'app.example.net', APP)).toMatchObject({ status: 'not-allowed' })
    // Not-allowed is decided before any resolution.
    expect(b.siteQueries).toEqual(['nope.example.com', 'nope.example.com'])
  })

  test('a proxy IP outside the proxy ranges is refused and counted', () => {
    b.connect('alice')
    const id = requestId++
    b.assignIps('alice', { requestId: id, proxyIps: ['10.0.0.1'] })
    expect(b.client('alice').control.at(-1)).toMatchObject({ requestId: id, status: 'not-allowed' })
    expect(b.gateway.drops['control-bad-proxy-ip']).toBe(1)
  })

  test('a malformed control message is dropped and counted', () => {
    b.connect('alice')
    const good = new Uint8Array(40 + 10)
    good[0] = 0x60
    good[5] = 10
    good[6] = 253
    good.set([1, 1, 0, 0, 0, 0, 0, 1, 0x7b, 0x7b], 40) // AssignedIps header + "{{"
    b.send('alice', good)
    expect(b.gateway.drops['control-bad-json']).toBe(1)
    expect(b.client('alice').control).toEqual([])
  })

  test('MISSION.md: SRV/TXT for a resource name are resolved at the site (DnsQuery -> DnsAnswer)', () => {
    b.connect('alice')
    const msg = b.dnsQuery('alice', 77, 4242, 'info.example.com', TYPE.TXT)
    expect(msg.id).toBe(4242) // the client's id comes back
    expect(msg.answers[0]).toMatchObject({ type: 'TXT' })
    expect(b.siteQueries).toEqual(['info.example.com'])
  })

  test('a DnsQuery for a name that is no resource of the client is REFUSED, not forwarded', () => {
    b.connect('alice')
    const msg = b.dnsQuery('alice', 5, 9, 'www.google.com', TYPE.TXT)
    expect(msg.rcode).toBe(5)
    expect(b.siteQueries).toEqual([])
    expect(b.gateway.drops['control-dns-query-refused']).toBe(1)
  })

  test('issue 9 §8: a packet to a proxy IP whose name is still resolving is held, then forwarded once it resolves (a resync after a restart)', () => {
    b.connect('alice')
    b.holdDns = true
    const id = requestId++
    b.assignIps('alice', { requestId: id, proxyIps: [...APP.v4, ...APP.v6] })
    const p4 = buildUdp4({ src: v4(ALICE.ipv4), dst: v4(APP.v4[0]), srcPort: 5000, dstPort: 8080 })
    b.send('alice', p4)
    // Neither unreachable nor forwarded yet: held.
    expect(b.client('alice').inbox).toEqual([])
    expect(b.takeTun()).toEqual([])
    expect(b.gateway.stats.heldWhileResolving).toBe(1)
    b.releaseDns()
    expect(b.client('alice').control.find((m) => m.requestId === id)).toMatchObject({ status: 'active' })
    const out = b.takeTun()
    expect(out.length).toBe(1)
    expect(ipv4ToText(parse(out[0]).dst4)).toBe('192.0.2.10')
    expect(b.client('alice').inbox).toEqual([])
  })

  test('issue 9 §8: a held packet whose name turns out NXDOMAIN is answered unreachable after the status; at most MAX_HELD_PACKETS are held', () => {
    b.connect('alice')
    b.holdDns = true
    b.assignIps('alice', {
      requestId: requestId++,
      domain: 'nope.example.com',
      proxyIps: [...V4ONLY.v4, ...V4ONLY.v6],
    })
    const sent: Uint8Array[] = []
    for (let i = 0; i <= MAX_HELD_PACKETS; i++) {
      const p = buildUdp6({ src: v6(ALICE.ipv6), dst: v6(V4ONLY.v6[0]), srcPort: 6000 + i, dstPort: 53 })
      sent.push(p)
      b.send('alice', p)
    }
    // One past the cap is answered at once, as before.
    expect(b.gateway.stats.heldWhileResolving).toBe(MAX_HELD_PACKETS)
    expectIcmpError(inboxOne('alice'), 6, 1, 3, GW_TUN6, ALICE.ipv6, sent[MAX_HELD_PACKETS])
    b.releaseDns()
    const inbox = b.client('alice').inbox.splice(0)
    expect(inbox.length).toBe(MAX_HELD_PACKETS)
    for (let i = 0; i < inbox.length; i++) expectIcmpError(inbox[i], 6, 1, 3, GW_TUN6, ALICE.ipv6, sent[i])
    expect(b.takeTun()).toEqual([])
    // Nothing stays held: the next packet is answered at once.
    b.send('alice', sent[0])
    expectIcmpError(inboxOne('alice'), 6, 1, 3, GW_TUN6, ALICE.ipv6, sent[0])
  })

  test('MISSION.md: a gateway that shuts down says Goodbye to every client with a session', () => {
    b.connect('alice')
    expect(b.gateway.shutdown(b.now)).toBe(1) // bob never connected
    b.advance(0)
    expect(b.client('alice').control.at(-1)).toMatchObject({
      type: MessageType.Goodbye,
      reason: 'gateway shutting down',
    })
    expect(b.client('bob').control).toEqual([])
  })

  test('after its Goodbye, the closing gateway answers no handshake (the client must reach its successor); data still flows', () => {
    b.connect('alice')
    b.connect('bob')
    b.gateway.shutdown(b.now)
    b.advance(0)
    // Alice's session is fresh: her packets still pass during the shell's drain time.
    b.send('alice', buildUdp4({ src: v4(ALICE.ipv4), dst: v4('10.0.0.5'), srcPort: 1, dstPort: 2 }))
    expect(b.takeTun().length).toBe(1)
    // Bob heard the Goodbye, dropped his session and handshakes again: refused, counted, unanswered.
    const c = b.client('bob')
    c.device.removePeer(c.gw)
    const gw = c.device.addPeer({
      publicKey: c.gw.publicKey,
      endpoint: GW_ENDPOINT,
      allowedIps: ['0.0.0.0/0'],
    })
    const hs = b.gateway.peerOf('bob')!.stats.handshakes
    c.device.initiate(b.now, gw)
    const t = c.device.pollTransmit()!
    expect(b.gateway.handleDatagram(b.now, c.endpoint, t.data.slice(0, t.length))).toBe('gateway-closing')
    expect(b.gateway.pollTransmit()).toBeNull()
    expect(b.gateway.drops['gateway-closing']).toBe(1)
    expect(b.gateway.peerOf('bob')!.stats.handshakes).toBe(hs)
  })
})

describe('MISSION.md "Gateway, NAT": the data path', () => {
  beforeEach(() => {
    b.connect('alice')
    b.connect('bob')
    expect(assign('alice', 'web', 'app.example.com', APP)).toMatchObject({ status: 'active' })
    expect(assign('alice', 'web', 'v4only.example.com', V4ONLY)).toMatchObject({ status: 'active' })
    expect(assign('alice', 'web', 'v6only.example.com', V6ONLY)).toMatchObject({ status: 'active' })
    expect(assign('alice', 'filtered', 'db.corp.test', DB)).toMatchObject({ status: 'active' })
    b.takeTun()
  })

  test('same family IPv4: proxy IP -> real IP, reply back from the proxy IP', () => {
    b.send('alice', buildUdp4({ src: v4(ALICE.ipv4), dst: v4(APP.v4[0]), srcPort: 5000, dstPort: 8080 }))
    const [out] = b.takeTun()
    const p = parse(out)
    expect(p.verifyChecksums()).toBeNull()
    expect(ipv4ToText(p.dst4)).toBe('192.0.2.10')
    expect(ipv4ToText(p.src4)).toBe(ALICE.ipv4)
    b.fromSite(
      buildUdp4({
        src: v4('192.0.2.10'),
        dst: v4(ALICE.ipv4),
        srcPort: 8080,
        dstPort: p.srcPort,
        payload: new Uint8Array([1, 2, 3]),
      }),
    )
    const back = parse(inboxOne('alice'))
    expect(back.verifyChecksums()).toBeNull()
    expect(ipv4ToText(back.src4)).toBe(APP.v4[0])
    expect(back.dstPort).toBe(5000)
    expect(b.gateway.nat.sessions.live.udp).toBe(1)
  })

  test('same family IPv6: TCP through the NAT and back', () => {
    b.send(
      'alice',
      buildTcp6({ src: v6(ALICE.ipv6), dst: v6(APP.v6[1]), srcPort: 40000, dstPort: 443, flags: 0x02 }),
    )
    const [out] = b.takeTun()
    const p = parse(out)
    expect(p.verifyChecksums()).toBeNull()
    expect(ipv6ToText(out, p.dstAddrOff)).toBe('2001:db8::10')
    b.fromSite(
      buildTcp6({
        src: v6('2001:db8::10'),
        dst: v6(ALICE.ipv6),
        srcPort: 443,
        dstPort: p.srcPort,
        flags: 0x12,
      }),
    )
    const back = inboxOne('alice')
    const q = parse(back)
    expect(q.verifyChecksums()).toBeNull()
    expect(ipv6ToText(back, q.srcAddrOff)).toBe(APP.v6[1])
    expect(q.dstPort).toBe(40000)
  })

  test('NAT64 with the flag off: IPv6 proxy IP of an IPv4-only name is translated, and the reply too', () => {
    b.send(
      'alice',
      buildUdp6({
        src: v6(ALICE.ipv6),
        dst: v6(V4ONLY.v6[0]),
        srcPort: 5001,
        dstPort: 53,
        payload: new Uint8Array(8),
      }),
    )
    const [out] = b.takeTun()
    const p = parse(out)
    expect(p.version).toBe(4)
    expect(p.verifyChecksums()).toBeNull()
    expect(ipv4ToText(p.src4)).toBe(ALICE.ipv4)
    expect(ipv4ToText(p.dst4)).toBe('192.0.2.20')
    b.fromSite(
      buildUdp4({
        src: v4('192.0.2.20'),
        dst: v4(ALICE.ipv4),
        srcPort: 53,
        dstPort: p.srcPort,
        payload: new Uint8Array(4),
      }),
    )
    const back = inboxOne('alice')
    const q = parse(back)
    expect(q.version).toBe(6)
    expect(q.verifyChecksums()).toBeNull()
    expect(ipv6ToText(back, q.srcAddrOff)).toBe(V4ONLY.v6[0])
    expect(ipv6ToText(back, q.dstAddrOff)).toBe(ALICE.ipv6)
    expect(q.dstPort).toBe(5001)
    expect(b.gateway.translator.counts.translated).toBe(2)
  })

  test('NAT46 with the flag off: IPv4 proxy IP of an IPv6-only name', () => {
    b.send(
      'alice',
      buildTcp4({ src: v4(ALICE.ipv4), dst: v4(V6ONLY.v4[2]), srcPort: 41000, dstPort: 80, flags: 0x02 }),
    )
    const [out] = b.takeTun()
    const p = parse(out)
    expect(p.version).toBe(6)
    expect(p.verifyChecksums()).toBeNull()
    expect(ipv6ToText(out, p.srcAddrOff)).toBe(ALICE.ipv6)
    expect(ipv6ToText(out, p.dstAddrOff)).toBe('2001:db8::20')
    b.fromSite(
      buildTcp6({
        src: v6('2001:db8::20'),
        dst: v6(ALICE.ipv6),
        srcPort: 80,
        dstPort: p.srcPort,
        flags: 0x12,
      }),
    )
    const back = inboxOne('alice')
    const q = parse(back)
    expect(q.version).toBe(4)
    expect(q.verifyChecksums()).toBeNull()
    expect(ipv4ToText(q.src4)).toBe(V6ONLY.v4[2])
    expect(q.dstPort).toBe(41000)
  })

  test('flag on, IPv6 proxy IP -> IPv4-only: ICMPv6 1/3 from the gateway tunnel IPv6, quoting the packet', () => {
    b.flags.icmpUnreachableInsteadOfNat64 = true
    const pkt = buildUdp6({ src: v6(ALICE.ipv6), dst: v6(V4ONLY.v6[0]), srcPort: 5001, dstPort: 53 })
    b.send('alice', pkt)
    expect(b.takeTun()).toEqual([])
    expectIcmpError(inboxOne('alice'), 6, 1, 3, GW_TUN6, ALICE.ipv6, pkt)
    expect(b.gateway.icmpSent['v6-address-unreachable']).toBe(1)
  })

  test('flag on, IPv4 proxy IP -> IPv6-only: ICMPv4 3/0 from the gateway tunnel IPv4, quoting the packet', () => {
    b.flags.icmpUnreachableInsteadOfNat64 = true
    const pkt = buildTcp4({
      src: v4(ALICE.ipv4),
      dst: v4(V6ONLY.v4[0]),
      srcPort: 41000,
      dstPort: 80,
      flags: 0x02,
    })
    b.send('alice', pkt)
    expect(b.takeTun()).toEqual([])
    expectIcmpError(inboxOne('alice'), 4, 3, 0, GW_TUN4, ALICE.ipv4, pkt)
    expect(b.gateway.icmpSent['v4-net-unreachable']).toBe(1)
  })

  test('flag on does not touch same-family traffic', () => {
    b.flags.icmpUnreachableInsteadOfNat64 = true
    b.send('alice', buildUdp4({ src: v4(ALICE.ipv4), dst: v4(APP.v4[0]), srcPort: 5000, dstPort: 8080 }))
    expect(b.takeTun().length).toBe(1)
  })

  for (const flag of [false, true]) {
    test(`MISSION.md: a proxy IP with no mapping is answered unreachable (flag ${flag ? 'on' : 'off'})`, () => {
      b.flags.icmpUnreachableInsteadOfNat64 = flag
      const p4 = buildUdp4({ src: v4(ALICE.ipv4), dst: v4('100.96.3.3'), srcPort: 1, dstPort: 2 })
      b.send('alice', p4)
      expectIcmpError(inboxOne('alice'), 4, 3, 0, GW_TUN4, ALICE.ipv4, p4)
      const p6 = buildUdp6({
        src: v6(ALICE.ipv6),
        dst: v6('fd00:2021:1111:8000::3:3'),
        srcPort: 1,
        dstPort: 2,
      })
      b.send('alice', p6)
      expectIcmpError(inboxOne('alice'), 6, 1, 3, GW_TUN6, ALICE.ipv6, p6)
      expect(b.takeTun()).toEqual([])
    })
  }

  test('MISSION.md: a filtered port is answered "administratively prohibited" (3/13, 1/1); an allowed one passes', () => {
    const bad4 = buildTcp4({
      src: v4(ALICE.ipv4),
      dst: v4(DB.v4[0]),
      srcPort: 41000,
      dstPort: 80,
      flags: 0x02,
    })
    b.send('alice', bad4)
    expectIcmpError(inboxOne('alice'), 4, 3, 13, GW_TUN4, ALICE.ipv4, bad4)
    const bad6 = buildUdp6({ src: v6(ALICE.ipv6), dst: v6(DB.v6[0]), srcPort: 41000, dstPort: 5432 })
    b.send('alice', bad6)
    expectIcmpError(inboxOne('alice'), 6, 1, 1, GW_TUN6, ALICE.ipv6, bad6)
    expect(b.takeTun()).toEqual([])
    b.send(
      'alice',
      buildTcp4({ src: v4(ALICE.ipv4), dst: v4(DB.v4[0]), srcPort: 41000, dstPort: 5432, flags: 0x02 }),
    )
    expect(b.takeTun().length).toBe(1)
    b.send('alice', buildIcmp4Echo({ src: v4(ALICE.ipv4), dst: v4(DB.v4[1]), id: 7, seq: 1 }))
    expect(b.takeTun().length).toBe(1)
  })

  test('prohibited answers are rate limited', () => {
    const bad = buildTcp4({
      src: v4(ALICE.ipv4),
      dst: v4(DB.v4[0]),
      srcPort: 41000,
      dstPort: 80,
      flags: 0x02,
    })
    for (let i = 0; i < 60; i++) b.send('alice', bad)
    expect(b.client('alice').inbox.length).toBe(50) // the default burst
    expect(b.gateway.icmpDrops['icmp-rate-limited']).toBe(10)
  })

  test('CIDR resources pass without NAT, both ways', () => {
    const pkt = buildUdp4({ src: v4(ALICE.ipv4), dst: v4('10.0.0.7'), srcPort: 3000, dstPort: 3001 })
    b.send('alice', pkt)
    const [out] = b.takeTun()
    expect([...out]).toEqual([...pkt])
    const reply = buildUdp4({ src: v4('10.0.0.7'), dst: v4(ALICE.ipv4), srcPort: 3001, dstPort: 3000 })
    b.fromSite(reply)
    expect([...inboxOne('alice')]).toEqual([...reply])
  })

  test("multicast from the TUN (the host kernel's own IPv6 chatter) is counted apart, not as a missing client", () => {
    b.fromSite(buildUdp6({ src: v6('fe80::1'), dst: v6('ff02::2'), srcPort: 1, dstPort: 2 }))
    b.fromSite(buildUdp4({ src: v4('10.0.0.7'), dst: v4('224.0.0.251'), srcPort: 5353, dstPort: 5353 }))
    expect(b.gateway.drops['tun-not-unicast']).toBe(2)
    expect(b.gateway.nat.drops['nat-not-a-client']).toBe(0)
  })

  test('issue 9 §7: spoofed source, a resource not allowed and an unknown key are dropped and counted', () => {
    b.send('alice', buildUdp4({ src: v4(BOB.ipv4), dst: v4(APP.v4[0]), srcPort: 1, dstPort: 2 }))
    expect(b.gateway.nat.drops['spoofed-source']).toBe(1)
    b.send('alice', buildUdp4({ src: v4(ALICE.ipv4), dst: v4('10.9.9.9'), srcPort: 1, dstPort: 2 }))
    b.send('bob', buildUdp4({ src: v4(BOB.ipv4), dst: v4('10.0.0.7'), srcPort: 1, dstPort: 2 })) // lan is alice's only
    expect(b.gateway.nat.drops['resource-not-allowed']).toBe(2)
    expect(b.takeTun()).toEqual([])
    expect(b.client('alice').inbox).toEqual([])

    const rnd = seededRandom(555)
    const stranger = new Device({
      privateKey: generatePrivateKey(rnd),
      random: rnd,
      unixMs: () => 1_800_000_000_000,
    })
    const gwPeer = stranger.addPeer({ publicKey: b.gateway.device.publicKey, endpoint: GW_ENDPOINT })
    stranger.initiate(b.now, gwPeer)
    const t = stranger.pollTransmit()!
    b.gateway.handleDatagram(b.now, { address: '203.0.113.9', port: 1 }, t.data.slice(0, t.length))
    expect(b.gateway.device.drops['wg-unknown-peer']).toBe(1)
    expect(b.gateway.pollTransmit()).toBeNull()
  })

  test('STYLE §5: drops are reported as events sampled per reason, with the flow', () => {
    const drain = () => {
      const out = []
      for (let e = b.gateway.pollEvent(); e !== null; e = b.gateway.pollEvent())
        if (e.type === 'drop') out.push(e)
      return out
    }
    drain()
    const spoof = buildUdp4({ src: v4(BOB.ipv4), dst: v4(APP.v4[0]), srcPort: 1111, dstPort: 2222 })
    for (let i = 0; i < 3; i++) b.send('alice', spoof)
    expect(drain()).toEqual([
      {
        type: 'drop',
        reason: 'spoofed-source',
        client: 'alice',
        flow: `17 ${BOB.ipv4}:1111 -> ${APP.v4[0]}:2222`,
      },
    ])
    expect(b.gateway.nat.drops['spoofed-source']).toBe(3) // every drop is counted, only the report is sampled
    b.advance(1000)
    b.send('alice', spoof)
    expect(drain().map((e) => e.reason)).toEqual(['spoofed-source'])
  })

  test("issue 9 §7: a second client cannot see the first client's sessions or mappings", () => {
    b.send('alice', buildUdp4({ src: v4(ALICE.ipv4), dst: v4(APP.v4[0]), srcPort: 5000, dstPort: 8080 }))
    const p = parse(b.takeTun()[0])
    // A reply aimed at bob's tunnel IP on alice's NAT port: no session of bob's.
    b.fromSite(buildUdp4({ src: v4('192.0.2.10'), dst: v4(BOB.ipv4), srcPort: 8080, dstPort: p.srcPort }))
    expect(b.client('bob').inbox).toEqual([])
    expect(b.client('alice').inbox).toEqual([])
    expect(b.gateway.nat.drops['nat-no-session']).toBe(1)
    // Bob has no mapping for alice's proxy IP: unreachable, not alice's session.
    b.send('bob', buildUdp4({ src: v4(BOB.ipv4), dst: v4(APP.v4[0]), srcPort: 5000, dstPort: 8080 }))
    expect(b.takeTun()).toEqual([])
    expect(parse(inboxOne('bob')).icmpType).toBe(3)
  })

  test('MISSION.md: an ICMP error from the resource side is routed by its quote and rewritten (same family)', () => {
    const sent = buildUdp4({ src: v4(ALICE.ipv4), dst: v4(APP.v4[0]), srcPort: 5000, dstPort: 8080 })
    b.send('alice', sent)
    const [out] = b.takeTun()
    const err = new Uint8Array(600)
    const n = buildV4PortUnreachable(out, 0, out.length, v4('192.0.2.10'), err, 0)
    if (typeof n !== 'number') throw new Error(n)
    b.fromSite(err.slice(0, n))
    // As if the proxy IP itself refused: the client's kernel matches it to its socket.
    expectIcmpError(inboxOne('alice'), 4, 3, 3, APP.v4[0], ALICE.ipv4, sent)
    expect(b.gateway.icmpSent.routed).toBe(1)
  })

  test('Time Exceeded from a router on the way is routed back too (traceroute)', () => {
    const sent = buildUdp4({ src: v4(ALICE.ipv4), dst: v4(APP.v4[0]), srcPort: 5000, dstPort: 33434, ttl: 2 })
    b.send('alice', sent)
    const [out] = b.takeTun()
    const err = new Uint8Array(600)
    const n = buildV4TimeExceeded(out, 0, out.length, v4('192.0.2.254'), err, 0)
    if (typeof n !== 'number') throw new Error(n)
    b.fromSite(err.slice(0, n))
    const back = parse(inboxOne('alice'))
    expect(back.verifyChecksums()).toBeNull()
    expect([back.icmpType, back.icmpCode]).toEqual([11, 0])
    expect(back.quote.srcPort).toBe(5000)
    expect(ipv4ToText(back.quote.dst4)).toBe(APP.v4[0])
  })

  test('MISSION.md: across NAT64 the whole error changes family (ICMPv4 3/3 -> ICMPv6 1/4)', () => {
    const sent = buildUdp6({ src: v6(ALICE.ipv6), dst: v6(V4ONLY.v6[0]), srcPort: 5001, dstPort: 53 })
    b.send('alice', sent)
    const [out] = b.takeTun()
    const err = new Uint8Array(600)
    const n = buildV4PortUnreachable(out, 0, out.length, v4('192.0.2.20'), err, 0)
    if (typeof n !== 'number') throw new Error(n)
    b.fromSite(err.slice(0, n))
    expectIcmpError(inboxOne('alice'), 6, 1, 4, V4ONLY.v6[0], ALICE.ipv6, sent)
  })

  test('MISSION.md: a late packet of an expired session is told apart from one that never had a session', () => {
    b.send('alice', buildUdp4({ src: v4(ALICE.ipv4), dst: v4(APP.v4[0]), srcPort: 5000, dstPort: 8080 }))
    const p = parse(b.takeTun()[0])
    b.advance(61_000) // unconfirmed: 60 s
    expect(b.gateway.nat.sessions.live.udp).toBe(0)
    b.fromSite(buildUdp4({ src: v4('192.0.2.10'), dst: v4(ALICE.ipv4), srcPort: 8080, dstPort: p.srcPort }))
    expect(b.gateway.nat.drops['nat-expired-session']).toBe(1)
    b.fromSite(buildUdp4({ src: v4('192.0.2.10'), dst: v4(ALICE.ipv4), srcPort: 8080, dstPort: 1234 }))
    expect(b.gateway.nat.drops['nat-no-session']).toBe(1)
    expect(b.client('alice').inbox).toEqual([])
  })

  test('a client Goodbye forgets its mappings and sessions', () => {
    b.send('alice', buildUdp4({ src: v4(ALICE.ipv4), dst: v4(APP.v4[0]), srcPort: 5000, dstPort: 8080 }))
    expect(b.gateway.nat.sessions.live.udp).toBe(1)
    b.sendControl('alice', { type: MessageType.Goodbye, requestId: 0, reason: 'bye' })
    expect(b.gateway.nat.sessions.live.udp).toBe(0)
    b.takeTun()
    b.send('alice', buildUdp4({ src: v4(ALICE.ipv4), dst: v4(APP.v4[0]), srcPort: 5000, dstPort: 8080 }))
    expect(b.takeTun()).toEqual([]) // no mapping any more: unreachable
    expect(parse(inboxOne('alice')).icmpType).toBe(3)
  })
})
