import { describe, expect, test } from 'bun:test'
import { type ControlMessage, MessageType } from '@gatehouse/control'
import { decodeMessage, encodeMessage, FLAG_QR, FLAG_RD, RCODE, TYPE } from '@gatehouse/dns-resolver'
import {
  buildIcmp4Echo,
  buildUdp4,
  buildUdp6,
  ipv4FromText,
  ipv4InPrefix,
  ipv6FromText,
} from '@gatehouse/ip-packet'
import { KEEPALIVE_TIMEOUT_MS, REKEY_TIMEOUT_MS } from '@gatehouse/wireguard'
import { STATUS_TIMEOUT_MS } from '../src/constants.ts'
import { APP_PORT, Bench, CLIENT_TUN4, CLIENT_TUN6, UPSTREAM, udpTo } from './harness.ts'

const assigned = (c: ControlMessage[]) =>
  c.filter((m): m is Extract<ControlMessage, { type: 1 }> => m.type === MessageType.AssignedIps)

describe('resource names (MISSION.md "Client, DNS")', () => {
  test('A for a resource: AssignedIps to the gateway, the answer waits for DomainStatus active, 4 proxy IPs, TTL 1', () => {
    const b = new Bench()
    b.gw.statusFor = () => null // hold the status back
    b.query('app.corp.example', TYPE.A)
    const sent = assigned(b.gw.control)
    expect(sent.length).toBe(1)
    expect(sent[0].domain).toBe('app.corp.example')
    expect(sent[0].resource).toBe('web')
    expect(sent[0].proxyIps.length).toBe(8) // 4 IPv4 + 4 IPv6: the client cannot know which families exist
    expect(b.answers()).toEqual([]) // no answer before the gateway's status
    b.gw.send(b.now, {
      type: MessageType.DomainStatus,
      requestId: sent[0].requestId,
      resource: 'web',
      domain: 'app.corp.example',
      status: 'active',
    })
    b.drive()
    const [a] = b.answers()
    expect(a.rcode).toBe(RCODE.NOERROR)
    expect(a.id).toBe(0x1234)
    expect(a.answers.length).toBe(4)
    for (const r of a.answers) {
      expect(r.type).toBe('A')
      expect(r.ttl).toBe(1)
      if (r.type === 'A') {
        expect(ipv4InPrefix(ipv4FromText(r.address)!, ipv4FromText('100.96.0.0')!, 11)).toBe(true)
        expect(sent[0].proxyIps).toContain(r.address)
      }
    }
    expect(b.client.names().next().value?.status).toBe('active')
  })

  test('AAAA after A: the same mapping (no second AssignedIps), answered at once from the active state', () => {
    const b = new Bench()
    b.query('app.corp.example', TYPE.A)
    expect(b.answers().length).toBe(1)
    b.query('app.corp.example', TYPE.AAAA, 6, 0x99)
    expect(assigned(b.gw.control).length).toBe(1)
    const [a] = b.answers()
    expect(a.id).toBe(0x99)
    expect(a.answers.length).toBe(4)
    expect(a.answers.every((r) => r.type === 'AAAA' && r.ttl === 1)).toBe(true)
    const ips = assigned(b.gw.control)[0].proxyIps
    for (const r of a.answers) if (r.type === 'AAAA') expect(ips).toContain(r.address)
  })

  test('RFC 4343: a differently-cased query for an active name is the same mapping, answered at once', () => {
    const b = new Bench()
    b.query('app.corp.example', TYPE.A)
    expect(b.answers().length).toBe(1)
    b.gw.statusFor = () => null // any new AssignedIps would now hang
    b.query('APP.Corp.Example', TYPE.A, 4, 0x55)
    const [a] = b.answers()
    expect(a.id).toBe(0x55)
    expect(a.answers.length).toBe(4)
    expect(assigned(b.gw.control).length).toBe(1)
  })

  test('DomainStatus nxdomain -> NXDOMAIN; asking again re-announces (the gateway re-resolves)', () => {
    const b = new Bench()
    b.gw.statusFor = () => 'nxdomain'
    b.query('gone.corp.example', TYPE.A)
    const [a] = b.answers()
    expect(a.rcode).toBe(RCODE.NXDOMAIN)
    expect(a.answers).toEqual([])
    expect(a.questions[0].name).toBe('gone.corp.example')
    b.gw.statusFor = () => 'active'
    b.query('gone.corp.example', TYPE.A)
    expect(assigned(b.gw.control).length).toBe(2)
    expect(b.answers()[0].answers.length).toBe(4)
  })

  test('other statuses: servfail and timeout -> SERVFAIL, no-addresses -> NOERROR without records, not-allowed -> REFUSED', () => {
    const cases: [string, number][] = [
      ['servfail', RCODE.SERVFAIL],
      ['timeout', RCODE.SERVFAIL],
      ['no-addresses', RCODE.NOERROR],
      ['not-allowed', RCODE.REFUSED],
    ]
    for (const [status, rcode] of cases) {
      const b = new Bench()
      b.gw.statusFor = () => status
      b.query('x.corp.example', TYPE.AAAA, 6)
      const [a] = b.answers()
      expect(a.rcode).toBe(rcode)
      expect(a.answers).toEqual([])
    }
  })

  test('RFC 6891 §7: a held answer turned NXDOMAIN/SERVFAIL/REFUSED keeps the id, flags, question and the OPT of an EDNS query', () => {
    for (const [status, rcode] of [
      ['nxdomain', RCODE.NXDOMAIN],
      ['servfail', RCODE.SERVFAIL],
      ['not-allowed', RCODE.REFUSED],
    ] as const) {
      for (const edns of [true, false]) {
        const b = new Bench()
        b.gw.statusFor = () => status
        const q = encodeMessage({
          id: 0x4242,
          flags: FLAG_RD,
          questions: [{ name: 'Mixed.Corp.Example', type: TYPE.A }],
          ednsUdpSize: edns ? 1232 : undefined,
        })
        b.client.handleTunPacket(b.now, ...udpTo(4, q))
        b.drive()
        const raw = b.tun.at(-1)!.slice(28) // the UDP payload of the answer (IPv4 + UDP headers)
        const [a] = b.answers()
        expect(a.id).toBe(0x4242)
        expect(a.rcode).toBe(rcode)
        expect(a.flags & FLAG_QR).toBe(FLAG_QR)
        expect(a.flags & FLAG_RD).toBe(FLAG_RD)
        expect(a.questions).toEqual([{ name: 'mixed.corp.example', type: TYPE.A, class: 1 }])
        // The question as asked, case included (RFC 1035 §7.3; 0x20 randomisation).
        const qEnd = edns ? q.length - 11 : q.length
        expect([...raw.subarray(12, qEnd)]).toEqual([...q.subarray(12, qEnd)])
        expect(a.answers).toEqual([])
        expect(a.edns !== null).toBe(edns)
        if (a.edns !== null) expect(a.edns.version).toBe(0)
      }
    }
  })

  test(`no DomainStatus within ${STATUS_TIMEOUT_MS} ms -> SERVFAIL, counted`, () => {
    const b = new Bench()
    b.gw.statusFor = () => null
    b.query('slow.corp.example', TYPE.A)
    const start = b.now
    b.advanceTo(start + STATUS_TIMEOUT_MS - 1)
    expect(b.answers()).toEqual([])
    b.advanceTo(start + STATUS_TIMEOUT_MS)
    const [a] = b.answers()
    expect(a.rcode).toBe(RCODE.SERVFAIL)
    expect(b.client.drops['client-status-timeout']).toBe(1)
  })

  test('two queries waiting on one name are both answered by one status', () => {
    const b = new Bench()
    b.gw.statusFor = () => null
    b.query('app.corp.example', TYPE.A, 4, 1)
    b.query('app.corp.example', TYPE.AAAA, 4, 2)
    expect(assigned(b.gw.control).length).toBe(1)
    const m = assigned(b.gw.control)[0]
    b.gw.send(b.now, { type: 2, requestId: m.requestId, resource: 'web', domain: m.domain, status: 'active' })
    b.drive()
    const got = b.answers()
    expect(got.map((a) => a.id).sort()).toEqual([1, 2])
    expect(got.every((a) => a.answers.length === 4)).toBe(true)
  })

  test('SRV for a resource name goes to the gateway as DnsQuery; its DnsAnswer reaches the application', () => {
    const b = new Bench()
    b.gw.siteAnswer = (q) =>
      encodeMessage({
        id: q.id,
        flags: FLAG_QR | FLAG_RD,
        questions: [{ name: q.questions[0].name, type: TYPE.SRV }],
        answers: [
          {
            name: q.questions[0].name,
            ttl: 60,
            type: 'SRV',
            priority: 1,
            weight: 5,
            port: 5432,
            target: 'db.corp.example',
          },
        ],
      })
    b.query('_pg._tcp.corp.example', TYPE.SRV, 4, 0x4242)
    const dq = b.gw.control.filter((m) => m.type === MessageType.DnsQuery)
    expect(dq.length).toBe(1)
    expect(assigned(b.gw.control)).toEqual([])
    const [a] = b.answers()
    expect(a.id).toBe(0x4242)
    expect(a.answers[0]).toMatchObject({ type: 'SRV', port: 5432, target: 'db.corp.example' })
  })

  test('DoH canary use-application-dns.net answers NXDOMAIN locally (nothing to the gateway or upstream)', () => {
    const b = new Bench()
    b.query('use-application-dns.net', TYPE.A)
    expect(b.answers()[0].rcode).toBe(RCODE.NXDOMAIN)
    expect(b.gw.control).toEqual([])
    expect(b.client.pollDnsForward()).toBeNull()
  })

  test('PTR for an assigned proxy IP answers its name', () => {
    const b = new Bench()
    b.query('app.corp.example', TYPE.A)
    const ip = (b.answers()[0].answers[0] as { address: string }).address
    b.query(`${ip.split('.').reverse().join('.')}.in-addr.arpa`, TYPE.PTR)
    expect(b.answers()[0].answers[0]).toMatchObject({ type: 'PTR', target: 'app.corp.example' })
  })
})

describe('non-resource names', () => {
  test('forwarded to the upstream the sentinel stands for; the upstream answer reaches the application', () => {
    const b = new Bench()
    b.query('www.example.org', TYPE.A, 4, 0x777)
    const f = b.client.pollDnsForward()
    expect(f).not.toBeNull()
    expect(f!.upstream.address).toBe(UPSTREAM)
    expect(f!.transport).toBe('udp')
    expect(b.gw.control).toEqual([])
    const q = decodeMessage(f!.bytes)
    if (typeof q === 'string') throw new Error(q)
    expect(q.id).toBe(0x777)
    const reply = encodeMessage({
      id: q.id,
      flags: FLAG_QR | FLAG_RD,
      questions: [{ name: 'www.example.org', type: TYPE.A }],
      answers: [{ name: 'www.example.org', ttl: 300, type: 'A', address: '203.0.113.9' }],
    })
    b.client.handleUpstreamResponse(b.now, f!.token, reply)
    b.drive()
    const [a] = b.answers()
    expect(a.answers[0]).toMatchObject({ type: 'A', address: '203.0.113.9', ttl: 300 })
    // The answer comes from the sentinel to the application's port.
    expect(b.client.stats.dnsForwarded).toBe(1)
  })

  test('IPv6 sentinel forwards to the IPv6 upstream; the reply is an IPv6 packet from the sentinel', () => {
    const b = new Bench()
    b.query('www.example.org', TYPE.AAAA, 6)
    const f = b.client.pollDnsForward()!
    expect(f.upstream.address).toBe('2001:db8::53')
    const q = decodeMessage(f.bytes) as { id: number }
    b.client.handleUpstreamResponse(
      b.now,
      f.token,
      encodeMessage({
        id: q.id,
        flags: FLAG_QR,
        rcode: RCODE.NXDOMAIN,
        questions: [{ name: 'www.example.org', type: TYPE.AAAA }],
      }),
    )
    b.drive()
    const p = b.tun[0]
    expect(p[0] >> 4).toBe(6)
    expect([...p.subarray(8, 24)]).toEqual([...ipv6FromText('fd00:2021:1111:8000:100:100:111:1')!])
    expect([...p.subarray(24, 40)]).toEqual([...ipv6FromText(CLIENT_TUN6)!])
    expect((p[42] << 8) | p[43]).toBe(APP_PORT)
    expect(b.answers()[0].rcode).toBe(RCODE.NXDOMAIN)
  })

  test('no upstream answer -> SERVFAIL after the stub timeout', () => {
    const b = new Bench()
    b.query('www.example.org', TYPE.A)
    expect(b.client.pollDnsForward()).not.toBeNull()
    b.advanceTo(b.now + 5_000)
    expect(b.answers()[0].rcode).toBe(RCODE.SERVFAIL)
  })

  test('DNS over TCP from the shell (handleDnsQuery): resource answer waits for the status, comes out of pollDnsReply', () => {
    const b = new Bench()
    b.gw.statusFor = () => null
    const q = encodeMessage({ id: 5, flags: FLAG_RD, questions: [{ name: 'db.example.net', type: TYPE.A }] })
    b.client.handleDnsQuery(b.now, q, 'tcp', '100.100.111.1', 42)
    b.drive()
    expect(b.client.pollDnsReply()).toBeNull()
    const m = assigned(b.gw.control)[0]
    b.gw.send(b.now, {
      type: 2,
      requestId: m.requestId,
      resource: 'db',
      domain: 'db.example.net',
      status: 'active',
    })
    b.drive()
    const r = b.client.pollDnsReply()!
    expect(r.handle).toBe(42)
    expect(r.transport).toBe('tcp')
    expect((decodeMessage(r.bytes) as { answers: unknown[] }).answers.length).toBe(4)
  })
})

describe('data path', () => {
  test('a packet to a proxy IP is encrypted to the gateway, which decrypts the same bytes', () => {
    const b = new Bench()
    b.query('app.corp.example', TYPE.A)
    const ip = (b.answers()[0].answers[0] as { address: string }).address
    const pkt = buildUdp4({
      src: ipv4FromText(CLIENT_TUN4)!,
      dst: ipv4FromText(ip)!,
      srcPort: 5000,
      dstPort: 443,
      payload: new Uint8Array([1, 2, 3]),
    })
    expect(b.client.handleTunPacket(b.now, pkt, 0, pkt.length)).toBe('queued')
    b.drive()
    expect(b.gw.inbox.at(-1)).toEqual(pkt)
  })

  test('CIDR and Internet destinations go to the gateway too; multicast does not', () => {
    const b = new Bench()
    const cidr = buildIcmp4Echo({
      src: ipv4FromText(CLIENT_TUN4)!,
      dst: ipv4FromText('10.0.0.5')!,
      id: 1,
      seq: 1,
    })
    b.client.handleTunPacket(b.now, cidr, 0, cidr.length)
    b.drive() // first packet: handshake, then the staged packet
    expect(b.gw.inbox).toContainEqual(cidr)
    const mdns = buildUdp6({
      src: ipv6FromText('fe80::1')!,
      dst: ipv6FromText('ff02::fb')!,
      srcPort: 5353,
      dstPort: 5353,
    })
    expect(b.client.handleTunPacket(b.now, mdns, 0, mdns.length)).toBe('client-multicast')
  })

  test('packets from the gateway: to our tunnel IP -> forward to the TUN; to another address -> dropped', () => {
    const b = new Bench()
    b.query('app.corp.example', TYPE.A) // establishes the session
    const back = buildUdp4({
      src: ipv4FromText('100.96.0.1')!,
      dst: ipv4FromText(CLIENT_TUN4)!,
      srcPort: 443,
      dstPort: 5000,
    })
    b.gw.sendPacket(b.now, back)
    b.drive()
    expect(b.tun.at(-1)).toEqual(back)
    const stray = buildUdp4({
      src: ipv4FromText('100.96.0.1')!,
      dst: ipv4FromText('100.64.0.99')!,
      srcPort: 1,
      dstPort: 2,
    })
    b.gw.sendPacket(b.now, stray)
    b.drive()
    expect(b.client.drops['client-not-for-us']).toBe(1)
  })

  test('a packet to a sentinel that is not DNS (UDP 123) is dropped and counted, not sent to the gateway', () => {
    const b = new Bench()
    const [p] = udpTo(4, new Uint8Array(12))
    p[22] = 0
    p[23] = 123 // destination port 123
    expect(b.client.handleTunPacket(b.now, p, 0, p.length)).toBe('client-sentinel-not-dns')
    expect(b.client.pollTransmit()).toBeNull()
  })
})

describe('gateway restarts (MISSION.md: "a restarted gateway is usable again within seconds")', () => {
  function withTwoNames(): Bench {
    const b = new Bench()
    b.query('app.corp.example', TYPE.A)
    b.query('db.example.net', TYPE.AAAA, 6)
    expect(b.answers().length).toBe(2)
    return b
  }

  test('Goodbye drops the session; the next packet re-handshakes and every mapping reaches the gateway before it', () => {
    const b = withTwoNames()
    b.gw.send(b.now, { type: MessageType.Goodbye, requestId: 0, reason: 'shutting down' })
    b.drive()
    expect(b.client.stats.goodbyes).toBe(1)
    b.gw.restart(99)
    b.gw.control.length = 0
    b.gw.arrivals.length = 0
    b.now += 3_000
    const pkt = buildUdp4({
      src: ipv4FromText(CLIENT_TUN4)!,
      dst: ipv4FromText('100.96.0.1')!,
      srcPort: 5000,
      dstPort: 80,
    })
    expect(b.client.handleTunPacket(b.now, pkt, 0, pkt.length)).toBe('staged')
    b.drive()
    const again = assigned(b.gw.control)
    expect(again.map((m) => m.domain).sort()).toEqual(['app.corp.example', 'db.example.net'])
    // Order: both mappings, then the data packet.
    const firstData = b.gw.arrivals.findIndex((a) => a instanceof Uint8Array)
    expect(firstData).toBe(2)
    expect(b.gw.arrivals[firstData]).toEqual(pkt)
    expect(b.client.stats.resyncMessages).toBe(2)
  })

  test('Goodbye, a packet while the gateway is down, gateway back 400 ms later: traffic resumes within one backoff step, not REKEY_TIMEOUT', () => {
    const b = withTwoNames()
    b.gw.send(b.now, { type: MessageType.Goodbye, requestId: 0, reason: 'shutting down' })
    b.drive()
    b.gatewayUp = false
    const pkt = buildUdp4({
      src: ipv4FromText(CLIENT_TUN4)!,
      dst: ipv4FromText('100.96.0.1')!,
      srcPort: 5000,
      dstPort: 80,
    })
    // E.g. the last ACK of a closed connection: its handshake goes to nobody.
    const t0 = b.now
    expect(b.client.handleTunPacket(b.now, pkt, 0, pkt.length)).toBe('staged')
    b.drive()
    b.advanceTo(t0 + 400)
    expect(b.client.stats.goodbyeRetries).toBe(1) // at +250 ms, lost too
    b.gw.restart(77)
    b.gw.control.length = 0
    b.gw.arrivals.length = 0
    b.gatewayUp = true
    const back = b.now
    let arrived = Number.NaN
    for (let t = back; t <= back + REKEY_TIMEOUT_MS + 1_000 && Number.isNaN(arrived); t += 10) {
      b.advanceTo(t)
      if (b.gw.inbox.some((p) => p.length === pkt.length && p.every((x, i) => x === pkt[i]))) arrived = t
    }
    // The second retry (250 + 500 ms, each + up to 25% jitter) reaches the new gateway, at most
    // ~540 ms after it came back and within 1 s of the packet (WireGuard alone: 5 s and more).
    expect(arrived - back).toBeLessThanOrEqual(550)
    expect(arrived - t0).toBeLessThan(1_000)
    expect(b.client.stats.goodbyeRetries).toBe(2)
    // Mappings first, then the packet.
    expect(
      assigned(b.gw.control)
        .map((m) => m.domain)
        .sort(),
    ).toEqual(['app.corp.example', 'db.example.net'])
    expect(b.gw.arrivals.findIndex((a) => a instanceof Uint8Array)).toBe(2)
    // Handshake done: no more early retries.
    const hs = b.client.device.stats.handshakesInitiated
    b.advanceTo(b.now + 10_000)
    expect(b.client.device.stats.handshakesInitiated).toBe(hs)
  })

  test("Goodbye, and the gateway stays away: five early retries (250 ms doubling up to REKEY_TIMEOUT, + up to 25% jitter), then WireGuard's pace", () => {
    const b = withTwoNames()
    b.gw.send(b.now, { type: MessageType.Goodbye, requestId: 0, reason: 'shutting down' })
    b.drive()
    b.gatewayUp = false
    const pkt = buildUdp4({
      src: ipv4FromText(CLIENT_TUN4)!,
      dst: ipv4FromText('100.96.0.1')!,
      srcPort: 5000,
      dstPort: 80,
    })
    const t0 = b.now
    const init0 = b.client.device.stats.handshakesInitiated
    b.client.handleTunPacket(b.now, pkt, 0, pkt.length)
    b.drive()
    const sentAt: number[] = []
    let last = b.client.device.stats.handshakesInitiated
    for (let t = t0; t <= t0 + 30_000; t += 10) {
      b.advanceTo(t)
      const n = b.client.device.stats.handshakesInitiated
      if (n !== last) sentAt.push(b.client.gateway.lastSentHandshake - t0)
      last = n
    }
    expect(b.client.stats.goodbyeRetries).toBe(5)
    // Step k is 250 * 2^k ms after the previous initiation, plus up to a quarter of it.
    for (let k = 0; k < 5; k++) {
      const gap = sentAt[k] - (k === 0 ? 0 : sentAt[k - 1])
      expect(gap).toBeGreaterThanOrEqual(250 * 2 ** k)
      expect(gap).toBeLessThan(250 * 2 ** k * 1.25)
    }
    // Jittered: not in lockstep with every other client that heard the same Goodbye.
    expect(sentAt.slice(0, 5).every((t, k) => t === 250 * (2 ** (k + 1) - 1))).toBe(false)
    // Then REKEY_TIMEOUT + jitter apart, as WireGuard retransmits.
    for (let i = 5; i < sentAt.length; i++) {
      expect(sentAt[i] - sentAt[i - 1]).toBeGreaterThanOrEqual(REKEY_TIMEOUT_MS)
    }
    expect(b.client.device.stats.handshakesInitiated - init0).toBe(1 + sentAt.length)
  })

  test('a gateway that restarts without Goodbye: WireGuard notices, the new handshake re-sends every mapping', () => {
    const b = withTwoNames()
    b.gw.restart(123)
    b.gw.control.length = 0
    const pkt = buildUdp4({
      src: ipv4FromText(CLIENT_TUN4)!,
      dst: ipv4FromText('100.96.0.1')!,
      srcPort: 5000,
      dstPort: 80,
    })
    b.now += 1_000
    b.client.handleTunPacket(b.now, pkt, 0, pkt.length) // sent with the old keys: the new gateway drops it
    b.drive()
    expect(b.gw.control).toEqual([])
    // KEEPALIVE + REKEY_TIMEOUT (+ jitter) without an answer: a new handshake.
    b.advanceTo(b.now + KEEPALIVE_TIMEOUT_MS + REKEY_TIMEOUT_MS + 1_000)
    expect(
      assigned(b.gw.control)
        .map((m) => m.domain)
        .sort(),
    ).toEqual(['app.corp.example', 'db.example.net'])
  })

  test('a routine handshake while traffic flows re-sends nothing', () => {
    const b = withTwoNames()
    const before = b.gw.control.length
    // Traffic both ways every 5 s for 3 minutes: rekeys happen (REKEY_AFTER_TIME 120 s).
    const hs0 = b.gw.peer.stats.handshakes
    for (let t = 0; t < 36; t++) {
      b.advanceTo(b.now + 5_000)
      const pkt = buildUdp4({
        src: ipv4FromText(CLIENT_TUN4)!,
        dst: ipv4FromText('100.96.0.1')!,
        srcPort: 5000,
        dstPort: 80,
      })
      b.client.handleTunPacket(b.now, pkt, 0, pkt.length)
      b.drive()
      const back = buildUdp4({
        src: ipv4FromText('100.96.0.1')!,
        dst: ipv4FromText(CLIENT_TUN4)!,
        srcPort: 80,
        dstPort: 5000,
      })
      b.gw.sendPacket(b.now, back)
      b.drive()
    }
    expect(b.gw.peer.stats.handshakes).toBeGreaterThan(hs0)
    expect(b.gw.control.length).toBe(before)
  })

  test('Goodbye, then the gateway stays away past the handshake attempts: the resync is not lost', () => {
    const b = withTwoNames()
    b.gw.send(b.now, { type: MessageType.Goodbye, requestId: 0, reason: 'shutting down' })
    b.drive()
    b.gatewayUp = false
    const pkt = buildUdp4({
      src: ipv4FromText(CLIENT_TUN4)!,
      dst: ipv4FromText('100.96.0.1')!,
      srcPort: 5000,
      dstPort: 80,
    })
    b.client.handleTunPacket(b.now, pkt, 0, pkt.length) // staged behind a handshake that never completes
    b.drive()
    b.advanceTo(b.now + 120_000) // REKEY_ATTEMPT_TIME (90 s) passes: handshake-failed, staged packets gone
    const events: string[] = []
    for (let e = b.client.pollEvent(); e !== null; e = b.client.pollEvent()) events.push(e.type)
    expect(events).toContain('handshake-failed')
    b.gw.restart(5)
    b.gw.control.length = 0
    b.gatewayUp = true
    b.client.handleTunPacket(b.now, pkt, 0, pkt.length)
    b.drive()
    expect(
      assigned(b.gw.control)
        .map((m) => m.domain)
        .sort(),
    ).toEqual(['app.corp.example', 'db.example.net'])
  })

  test('an idle client with persistent keepalives rekeys every few minutes and re-sends nothing', () => {
    const b = new Bench({ persistentKeepaliveS: 25 })
    b.query('app.corp.example', TYPE.A)
    b.query('db.example.net', TYPE.A)
    const before = b.gw.control.length
    const hs0 = b.client.stats.handshakes
    b.advanceTo(b.now + 10 * 60_000)
    expect(b.client.stats.handshakes).toBeGreaterThan(hs0) // sessions renewed while idle
    expect(b.gw.control.length).toBe(before)
    expect(b.client.stats.resyncMessages).toBe(0)
  })

  test('after a long idle spell, the first packet re-sends the mappings (the gateway may have cleaned up)', () => {
    const b = new Bench()
    b.query('app.corp.example', TYPE.A)
    b.advanceTo(b.now + 10 * 60_000) // no keepalives: the session expires
    const pkt = buildUdp4({
      src: ipv4FromText(CLIENT_TUN4)!,
      dst: ipv4FromText('100.96.0.1')!,
      srcPort: 5000,
      dstPort: 80,
    })
    b.gw.control.length = 0
    b.gw.arrivals.length = 0
    expect(b.client.handleTunPacket(b.now, pkt, 0, pkt.length)).toBe('staged')
    b.drive()
    expect(assigned(b.gw.control).map((m) => m.domain)).toEqual(['app.corp.example'])
    // Staged ahead of the packet that started the handshake: the gateway resolves the name
    // (and holds the packet meanwhile) instead of answering it unreachable.
    expect(b.gw.arrivals.length).toBe(2)
    expect(b.gw.arrivals[1]).toEqual(pkt)
    expect(b.client.stats.resyncMessages).toBe(1)
  })

  test('a first handshake (nothing heard yet) stages no resync; a short pause (< RESYNC_AFTER_QUIET_MS) neither', () => {
    const b = new Bench()
    b.query('app.corp.example', TYPE.A)
    const pkt = buildUdp4({
      src: ipv4FromText(CLIENT_TUN4)!,
      dst: ipv4FromText('100.96.0.1')!,
      srcPort: 5000,
      dstPort: 80,
    })
    b.gw.control.length = 0
    b.advanceTo(b.now + KEEPALIVE_TIMEOUT_MS / 2)
    b.client.handleTunPacket(b.now, pkt, 0, pkt.length)
    b.drive()
    expect(b.gw.control).toEqual([])
    expect(b.client.stats.resyncMessages).toBe(0)
  })

  test('shutdown says Goodbye to the gateway', () => {
    const b = withTwoNames()
    b.client.shutdown(b.now)
    b.drive()
    expect(b.gw.control.at(-1)?.type).toBe(MessageType.Goodbye)
  })
})
