/**
 * Real peers (issue 6): dnsmasq is the upstream and the resource site's DNS server, dig is the
 * application. The stub is served on loopback by src/serve.ts, the gateway resolver runs on
 * real sockets through src/io.ts.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { GatewayResolverShell } from '../src/io.ts'
import { buildSentinels, parseUpstream, type Upstream } from '../src/sentinels.ts'
import { type Asker, type StubServer, serveStub } from '../src/serve.ts'
import { type StubEvent, StubResolver } from '../src/stub.ts'
import { decodeMessage, encodeMessage, FLAG_RD, TYPE } from '../src/wire.ts'
import { BIG_TXT_STRINGS, type Dnsmasq, dig, startDnsmasq } from './peers.ts'

// bun's default is 5 s per test (the root bunfig's [test] timeout is not read); a shared CI core needs more.
setDefaultTimeout(60_000)

const MISSING = ['dnsmasq', 'dig'].filter((b) => Bun.which(b) === null)
if (MISSING.length > 0)
  console.warn(
    `skipping real-peer tests: ${MISSING.join(', ')} not installed (scripts/setup.sh installs them)`,
  )
const d = MISSING.length > 0 ? describe.skip : describe

let dnsmasq: Dnsmasq
let upstream: Upstream
/** A loopback port where nothing answers: UDP datagrams vanish, TCP is refused. */
let deadUpstream: Upstream

beforeAll(async () => {
  if (MISSING.length > 0) return
  dnsmasq = await startDnsmasq()
  upstream = parseUpstream(`127.0.0.1:${dnsmasq.port}`)!
  const probe = await Bun.udpSocket({ hostname: '127.0.0.1', port: 0 })
  deadUpstream = parseUpstream(`127.0.0.1:${probe.port}`)!
  probe.close()
})

afterAll(async () => {
  await dnsmasq?.stop()
})

d('gateway resolver against dnsmasq', () => {
  let gw: GatewayResolverShell
  beforeAll(() => {
    gw = new GatewayResolverShell({ upstreams: [upstream], timeoutMs: 1000 })
  })
  afterAll(() => gw.close())

  test('a name with A and AAAA: both families, TTL honoured', async () => {
    const r = await gw.resolve('both.test')
    expect(r).toMatchObject({
      status: 'ok',
      a: 'ok',
      aaaa: 'ok',
      ipv4: ['192.0.2.20'],
      ipv6: ['2001:db8::20'],
    })
    expect(r.ttlS).toBe(60)
  })

  test('a name with only A records: the AAAA side is no-records (the gateway will need NAT46 there)', async () => {
    const r = await gw.resolve('v4.test')
    expect(r).toMatchObject({ status: 'ok', a: 'ok', aaaa: 'no-records', ipv4: ['192.0.2.10'], ipv6: [] })
  })

  test('a name with only AAAA records', async () => {
    const r = await gw.resolve('v6.test')
    expect(r).toMatchObject({ status: 'ok', a: 'no-records', aaaa: 'ok', ipv4: [], ipv6: ['2001:db8::30'] })
  })

  test('RFC 1034 §3.6.2: a CNAME is followed to the addresses', async () => {
    const r = await gw.resolve('alias.test')
    expect(r).toMatchObject({ status: 'ok', ipv4: ['192.0.2.20'], ipv6: ['2001:db8::20'] })
  })

  test('NXDOMAIN', async () => {
    const r = await gw.resolve('missing.test')
    expect(r).toMatchObject({ status: 'nxdomain', a: 'nxdomain', aaaa: 'nxdomain' })
  })

  test('an upstream that refuses: servfail', async () => {
    const r = await gw.resolve('elsewhere.example')
    expect(r.status).toBe('servfail')
    expect(r.ttlS).toBe(0)
  })

  test('the answer is cached: a second resolve is answered without the network', async () => {
    await gw.resolve('both.test')
    const t0 = gw.core.drops['gw-unknown-tx']
    const hit = gw.core.resolve(performance.now(), 'BOTH.test.')
    expect(hit?.ipv4).toEqual(['192.0.2.20'])
    expect(gw.core.pollTransmit()).toBeNull()
    expect(gw.core.drops['gw-unknown-tx']).toBe(t0)
  })

  test('an upstream that never answers: timeout; the next upstream is tried first', async () => {
    const dead = new GatewayResolverShell({ upstreams: [deadUpstream], timeoutMs: 300 })
    const r = await dead.resolve('both.test')
    expect(r).toMatchObject({ status: 'timeout', a: 'timeout', aaaa: 'timeout' })
    dead.close()
    const fallback = new GatewayResolverShell({ upstreams: [deadUpstream, upstream], timeoutMs: 300 })
    expect((await fallback.resolve('both.test')).status).toBe('ok')
    fallback.close()
  })

  test('RFC 7766 §5: a TXT answer too big for UDP comes over TCP; the client id is restored', async () => {
    const q = encodeMessage({
      id: 0xbeef,
      flags: FLAG_RD,
      questions: [{ name: 'big.test', type: TYPE.TXT }],
      ednsUdpSize: 1232,
    })
    const bytes = await gw.forward(q)
    expect(bytes.length).toBeGreaterThan(1232)
    const d = decodeMessage(bytes)
    if (typeof d === 'string') throw new Error(d)
    expect(d.id).toBe(0xbeef)
    const txt = d.answers[0]
    expect(txt.type).toBe('TXT')
    if (txt.type === 'TXT')
      expect(txt.strings.map((s) => new TextDecoder().decode(s))).toEqual(BIG_TXT_STRINGS)
  })
})

d('stub resolver served on loopback, asked by dig', () => {
  let server: StubServer
  let gw: GatewayResolverShell
  const events: StubEvent[] = []
  const at = () => ['@127.0.0.1', '-p', String(server.port), '+time=3', '+tries=1']

  beforeAll(async () => {
    gw = new GatewayResolverShell({ upstreams: [upstream], timeoutMs: 1000 })
    const sentinels = buildSentinels([upstream, deadUpstream])
    const stub = new StubResolver<Asker>({
      sentinels,
      resources: [
        { id: 'corp', address: '**.corp.test' },
        { id: 'v4', address: 'only4.test', ipStack: 'ipv4' },
      ],
      upstreamTimeoutMs: 500,
    })
    server = await serveStub({
      stub,
      hostname: '127.0.0.1',
      port: 0,
      sentinel: sentinels[0].address,
      // The site: the gateway resolver forwards to dnsmasq.
      resolveAtSite: (req) => gw.forward(req.bytes),
      onEvent: (e) => events.push(e),
      lingerMs: 1000,
    })
  })
  afterAll(() => {
    server?.close()
    gw?.close()
  })

  test('A for a resource name: 4 proxy IPs from 100.96.0.0/11, TTL 1; the assignment is an event', async () => {
    const r = await dig([...at(), 'app.corp.test', 'A'])
    expect(r.status).toBe('NOERROR')
    expect(r.answers.map((a) => [a.type, a.ttl, a.data])).toEqual(
      [1, 2, 3, 4].map((i) => ['A', 1, `100.96.0.${i}`]),
    )
    expect(events.find((e) => e.kind === 'assigned' && e.name === 'app.corp.test')).toBeDefined()
  })

  test('AAAA over TCP: 4 proxy IPs from fd00:2021:1111:8000::/107', async () => {
    const r = await dig([...at(), '+tcp', 'app.corp.test', 'AAAA'])
    expect(r.answers.map((a) => a.data)).toEqual([
      'fd00:2021:1111:8000::',
      'fd00:2021:1111:8000::1',
      'fd00:2021:1111:8000::2',
      'fd00:2021:1111:8000::3',
    ])
  })

  test('PTR for a proxy IP (dig -x)', async () => {
    await dig([...at(), 'app.corp.test', 'A'])
    const r = await dig([...at(), '-x', '100.96.0.2'])
    expect(r.answers.map((a) => [a.type, a.data])).toEqual([['PTR', 'app.corp.test.']])
  })

  test('the DoH canary is NXDOMAIN; an IPv4-only resource answers AAAA with no records', async () => {
    expect((await dig([...at(), 'use-application-dns.net', 'A'])).status).toBe('NXDOMAIN')
    const r = await dig([...at(), 'only4.test', 'AAAA'])
    expect(r.status).toBe('NOERROR')
    expect(r.answers).toEqual([])
  })

  test('a non-resource is forwarded to dnsmasq and the real answer comes back', async () => {
    const r = await dig([...at(), 'both.test', 'A'])
    expect(r.answers.map((a) => a.data)).toEqual(['192.0.2.20'])
    const nx = await dig([...at(), 'missing.test', 'A'])
    expect(nx.status).toBe('NXDOMAIN')
  })

  test('a big answer: truncated over UDP (TC), whole over TCP, and dig by default retries to get it', async () => {
    const udp = await dig([...at(), '+ignore', 'big.test', 'TXT'])
    expect(udp.flags).toContain('tc')
    expect(udp.answers).toEqual([])
    const whole = await dig([...at(), 'big.test', 'TXT'])
    expect(whole.answers.length).toBe(1)
    expect(whole.msgSize).toBeGreaterThan(1232)
  })

  test('SRV for a resource name is resolved at the site (through the gateway resolver to dnsmasq)', async () => {
    const r = await dig([...at(), '_ldap._tcp.corp.test', 'SRV'])
    expect(r.answers.map((a) => [a.type, a.data])).toEqual([['SRV', '1 2 389 dc.corp.test.']])
  })

  test('an upstream that does not answer: SERVFAIL after the stub timeout', async () => {
    const sentinels = buildSentinels([deadUpstream])
    const stub = new StubResolver<Asker>({ sentinels, upstreamTimeoutMs: 300 })
    const s = await serveStub({
      stub,
      hostname: '127.0.0.1',
      port: 0,
      sentinel: sentinels[0].address,
      lingerMs: 400,
    })
    const r = await dig(['@127.0.0.1', '-p', String(s.port), '+time=3', '+tries=1', 'both.test', 'A'])
    expect(r.status).toBe('SERVFAIL')
    s.close()
  })

  test('malformed bytes get FORMERR over UDP, never a crash', async () => {
    let deliver: (d: Uint8Array) => void = () => {}
    const got = new Promise<Uint8Array>((res) => {
      deliver = res
    })
    const sock = await Bun.udpSocket({
      hostname: '127.0.0.1',
      port: 0,
      binaryType: 'uint8array',
      socket: { data: (_s, d) => deliver(d) },
    })
    sock.send(
      Uint8Array.of(0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff),
      server.port,
      '127.0.0.1',
    )
    const reply = await got
    sock.close()
    expect([reply[0], reply[1], reply[3] & 0xf]).toEqual([0x12, 0x34, 1])
    // and the server still answers
    expect((await dig([...at(), 'app.corp.test', 'A'])).answers.length).toBe(4)
  })
})
