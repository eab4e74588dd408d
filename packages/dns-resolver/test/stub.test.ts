import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import fc from 'fast-check'
import { buildSentinels } from '../src/sentinels.ts'
import { type QueryContext, STUB_DROPS, type StubOutcome, StubResolver } from '../src/stub.ts'
import {
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  FLAG_QR,
  FLAG_RD,
  FLAG_TC,
  RCODE,
  RCODE_BADVERS,
  reverseNameV4,
  reverseNameV6,
  TYPE,
} from '../src/wire.ts'
import { arbQuery, fuzzRuns } from './helpers.ts'

// bun's default is 5 s per test (the root bunfig's [test] timeout is not read); a shared CI core needs more.
setDefaultTimeout(60_000)

const SENTINELS = buildSentinels(['192.0.2.53', '[2001:db8::53]:5353'])
const UDP: QueryContext<string> = { transport: 'udp', sentinel: '100.100.111.1', asker: 'app:5000' }
const TCP: QueryContext<string> = { transport: 'tcp', sentinel: '100.100.111.1', asker: 'app:5001' }

function stub(): StubResolver<string> {
  return new StubResolver<string>({
    sentinels: SENTINELS,
    resources: [
      { id: 'r-dual', address: '**.corp.example' },
      { id: 'r-v4', address: 'v4only.example', ipStack: 'ipv4' },
      { id: 'r-v6', address: 'v6only.example', ipStack: 'ipv6' },
    ],
    upstreamTimeoutMs: 5000,
  })
}

function query(name: string, type: number, id = 0x4242, edns = true): Uint8Array {
  return encodeMessage({
    id,
    flags: FLAG_RD,
    questions: [{ name, type }],
    ...(edns ? { ednsUdpSize: 1232 } : {}),
  })
}

function answerOf(o: StubOutcome<string>): DnsMessage {
  if (o.kind !== 'answer') throw new Error(`expected an answer, got ${o.kind}`)
  const d = decodeMessage(o.bytes)
  if (typeof d === 'string') throw new Error(d)
  return d
}

function addresses(d: DnsMessage): string[] {
  return d.answers.map((a) => (a.type === 'A' || a.type === 'AAAA' ? a.address : `?${a.type}`))
}

describe('MISSION.md: answers for resource names', () => {
  test('A -> the 4 IPv4 proxy IPs, TTL 1, id echoed; an assignment event with all 8', () => {
    const s = stub()
    const d = answerOf(s.handleQuery(0, query('app.corp.example', TYPE.A), UDP))
    expect(d.id).toBe(0x4242)
    expect(d.rcode).toBe(RCODE.NOERROR)
    expect(d.flags & FLAG_QR).toBe(FLAG_QR)
    expect(addresses(d)).toEqual(['100.96.0.1', '100.96.0.2', '100.96.0.3', '100.96.0.4'])
    expect(d.answers.every((a) => a.ttl === 1 && a.name === 'app.corp.example')).toBe(true)
    expect(d.edns).not.toBeNull()
    expect(s.pollEvent()).toEqual({
      kind: 'assigned',
      name: 'app.corp.example',
      resourceId: 'r-dual',
      ipv4: ['100.96.0.1', '100.96.0.2', '100.96.0.3', '100.96.0.4'],
      ipv6: [
        'fd00:2021:1111:8000::',
        'fd00:2021:1111:8000::1',
        'fd00:2021:1111:8000::2',
        'fd00:2021:1111:8000::3',
      ],
    })
    expect(s.pollEvent()).toBeNull()
  })

  test('AAAA -> the 4 IPv6 proxy IPs of the same assignment; no second event', () => {
    const s = stub()
    s.handleQuery(0, query('app.corp.example', TYPE.A), UDP)
    s.pollEvent()
    const d = answerOf(s.handleQuery(1, query('App.Corp.Example', TYPE.AAAA), UDP))
    expect(addresses(d)).toEqual([
      'fd00:2021:1111:8000::',
      'fd00:2021:1111:8000::1',
      'fd00:2021:1111:8000::2',
      'fd00:2021:1111:8000::3',
    ])
    expect(d.questions[0].name).toBe('app.corp.example')
    expect(s.pollEvent()).toBeNull()
  })

  test('stable: the same name answers the same IPs; another name gets the next ones', () => {
    const s = stub()
    const a1 = addresses(answerOf(s.handleQuery(0, query('a.corp.example', TYPE.A), UDP)))
    const b = addresses(answerOf(s.handleQuery(0, query('b.corp.example', TYPE.A), UDP)))
    const a2 = addresses(answerOf(s.handleQuery(0, query('a.corp.example', TYPE.A), UDP)))
    expect(a2).toEqual(a1)
    expect(b).toEqual(['100.96.0.5', '100.96.0.6', '100.96.0.7', '100.96.0.8'])
  })

  test('Firezone: A for an IPv6-only resource and AAAA for an IPv4-only one answer NOERROR with no records', () => {
    const s = stub()
    const a = answerOf(s.handleQuery(0, query('v6only.example', TYPE.A), UDP))
    expect(a.rcode).toBe(RCODE.NOERROR)
    expect(a.answers).toEqual([])
    const aaaa = answerOf(s.handleQuery(0, query('v4only.example', TYPE.AAAA), UDP))
    expect(aaaa.rcode).toBe(RCODE.NOERROR)
    expect(aaaa.answers).toEqual([])
    expect(addresses(answerOf(s.handleQuery(0, query('v4only.example', TYPE.A), UDP))).length).toBe(4)
    const ev = s.pollEvent()
    expect(ev?.kind === 'assigned' && ev.ipv6.length).toBe(0)
  })

  test('PTR for a proxy IP answers its name (both families); an unassigned proxy IP is NXDOMAIN', () => {
    const s = stub()
    s.handleQuery(0, query('app.corp.example', TYPE.A), UDP)
    const v4 = answerOf(s.handleQuery(0, query(reverseNameV4(0x64600003), TYPE.PTR), UDP))
    expect(v4.answers).toEqual([
      { name: '3.0.96.100.in-addr.arpa', ttl: 1, type: 'PTR', target: 'app.corp.example' },
    ])
    const v6addr = Uint8Array.of(0xfd, 0, 0x20, 0x21, 0x11, 0x11, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 2)
    const v6 = answerOf(s.handleQuery(0, query(reverseNameV6(v6addr), TYPE.PTR), UDP))
    expect(v6.answers[0]).toMatchObject({ type: 'PTR', target: 'app.corp.example' })
    const none = answerOf(s.handleQuery(0, query(reverseNameV4(0x64600063), TYPE.PTR), UDP))
    expect(none.rcode).toBe(RCODE.NXDOMAIN)
    // Not a proxy IP: the upstream knows.
    expect(s.handleQuery(0, query('1.2.0.192.in-addr.arpa', TYPE.PTR), UDP).kind).toBe('forward')
  })

  test('Firezone: use-application-dns.net answers NXDOMAIN', () => {
    const d = answerOf(stub().handleQuery(0, query('use-application-dns.net', TYPE.A), UDP))
    expect(d.rcode).toBe(RCODE.NXDOMAIN)
    expect(d.answers).toEqual([])
  })

  test('Firezone: HTTPS for a resource answers NOERROR with no records', () => {
    const d = answerOf(stub().handleQuery(0, query('app.corp.example', TYPE.HTTPS), UDP))
    expect(d.rcode).toBe(RCODE.NOERROR)
    expect(d.answers).toEqual([])
  })

  test('MISSION.md: SRV and TXT for a resource are resolved at the site; the answer goes back to the asker', () => {
    const s = stub()
    const q = query('_ldap._tcp.corp.example', TYPE.SRV, 0x1234)
    const o = s.handleQuery(0, q, UDP)
    if (o.kind !== 'resolve-at-site') throw new Error(o.kind)
    expect(o.resourceId).toBe('r-dual')
    expect(o.name).toBe('_ldap._tcp.corp.example')
    expect(o.qtype).toBe(TYPE.SRV)
    expect(Array.from(o.bytes)).toEqual(Array.from(q))
    const resp = encodeMessage({
      id: 0x1234,
      flags: FLAG_QR | FLAG_RD,
      questions: [{ name: '_ldap._tcp.corp.example', type: TYPE.SRV }],
      answers: [
        {
          name: '_ldap._tcp.corp.example',
          ttl: 60,
          type: 'SRV',
          priority: 1,
          weight: 2,
          port: 389,
          target: 'dc.corp.example',
        },
      ],
    })
    const back = s.handleUpstreamResponse(10, o.token, resp)
    if (back.kind !== 'answer') throw new Error(back.kind)
    expect(back.asker).toBe('app:5000')
    expect(answerOf(back).answers[0]).toMatchObject({ type: 'SRV', port: 389, target: 'dc.corp.example' })
    expect(s.pendingCount).toBe(0)
  })
})

describe('issue 6: forwarding to the upstream of the sentinel', () => {
  test("a non-resource goes to the sentinel's upstream by UDP, bytes and id unchanged; the answer comes back", () => {
    const s = stub()
    const q = query('www.example.org', TYPE.A, 0x7777)
    const o = s.handleQuery(0, q, UDP)
    if (o.kind !== 'forward') throw new Error(o.kind)
    expect(o.upstream).toEqual({ address: '192.0.2.53', port: 53, family: 4 })
    expect(o.transport).toBe('udp')
    expect(Array.from(o.bytes)).toEqual(Array.from(q))
    const resp = encodeMessage({
      id: 0x7777,
      flags: FLAG_QR | FLAG_RD,
      questions: [{ name: 'www.example.org', type: TYPE.A }],
      answers: [{ name: 'www.example.org', ttl: 300, type: 'A', address: '198.51.100.1' }],
    })
    const back = s.handleUpstreamResponse(5, o.token, resp)
    expect(back.kind === 'answer' && back.asker).toBe('app:5000')
    expect(addresses(answerOf(back))).toEqual(['198.51.100.1'])
  })

  test('the IPv6 sentinel stands for its own upstream', () => {
    const o = stub().handleQuery(0, query('www.example.org', TYPE.A), {
      ...UDP,
      sentinel: 'fd00:2021:1111:8000:100:100:111:1',
    })
    expect(o.kind === 'forward' && o.upstream).toEqual({ address: '2001:db8::53', port: 5353, family: 6 })
  })

  test('a query over TCP is forwarded over TCP', () => {
    const o = stub().handleQuery(0, query('www.example.org', TYPE.A), TCP)
    expect(o.kind === 'forward' && o.transport).toBe('tcp')
  })

  test('RFC 7766 §5: a truncated UDP answer is retried over TCP; the TCP answer is truncated again for a UDP asker that cannot take it', () => {
    const s = stub()
    const q = query('big.example.org', TYPE.TXT, 9, false) // no EDNS: the asker takes 512 bytes
    const o = s.handleQuery(0, q, UDP)
    if (o.kind !== 'forward') throw new Error(o.kind)
    const tc = encodeMessage({
      id: 9,
      flags: FLAG_QR | FLAG_RD | FLAG_TC,
      questions: [{ name: 'big.example.org', type: TYPE.TXT }],
    })
    const retry = s.handleUpstreamResponse(1, o.token, tc)
    if (retry.kind !== 'forward') throw new Error(retry.kind)
    expect(retry.transport).toBe('tcp')
    expect(retry.token).toBe(o.token)
    const big = encodeMessage({
      id: 9,
      flags: FLAG_QR | FLAG_RD,
      questions: [{ name: 'big.example.org', type: TYPE.TXT }],
      answers: [
        {
          name: 'big.example.org',
          ttl: 5,
          type: 'TXT',
          strings: [new Uint8Array(255), new Uint8Array(255), new Uint8Array(255)],
        },
      ],
    })
    const back = s.handleUpstreamResponse(2, o.token, big)
    const d = answerOf(back)
    expect(d.flags & FLAG_TC).toBe(FLAG_TC)
    expect(d.answers).toEqual([])
    expect(back.kind === 'answer' && back.bytes.length).toBeLessThanOrEqual(512)
  })

  test('a response with the wrong id or question is ignored; the forward keeps waiting', () => {
    const s = stub()
    const o = s.handleQuery(0, query('www.example.org', TYPE.A, 5), UDP)
    if (o.kind !== 'forward') throw new Error(o.kind)
    const wrongId = encodeMessage({
      id: 6,
      flags: FLAG_QR,
      questions: [{ name: 'www.example.org', type: TYPE.A }],
    })
    expect(s.handleUpstreamResponse(1, o.token, wrongId)).toEqual({
      kind: 'drop',
      reason: 'upstream-id-mismatch',
    })
    const wrongQ = encodeMessage({
      id: 5,
      flags: FLAG_QR,
      questions: [{ name: 'evil.example', type: TYPE.A }],
    })
    expect(s.handleUpstreamResponse(1, o.token, wrongQ)).toEqual({
      kind: 'drop',
      reason: 'upstream-question-mismatch',
    })
    expect(s.pendingCount).toBe(1)
  })

  test('issue 6: an upstream that does not answer in time gets the asker SERVFAIL; a late answer is dropped', () => {
    const s = stub()
    const o1 = s.handleQuery(1000, query('a.example.org', TYPE.A, 1), UDP)
    const o2 = s.handleQuery(2000, query('b.example.org', TYPE.A, 2), TCP)
    expect(s.pollTimeout()).toBe(6000)
    s.handleTimeout(5999)
    expect(s.pollReply()).toBeNull()
    s.handleTimeout(6000)
    const r = s.pollReply()
    expect(r?.asker).toBe('app:5000')
    const d = decodeMessage(r!.bytes)
    expect(typeof d !== 'string' && [d.id, d.rcode]).toEqual([1, RCODE.SERVFAIL])
    expect(s.pollReply()).toBeNull()
    expect(s.pollTimeout()).toBe(7000)
    s.handleTimeout(7000)
    expect(s.pollReply()?.transport).toBe('tcp')
    expect(s.pollTimeout()).toBeNull()
    expect(s.drops['upstream-timeout']).toBe(2)
    if (o1.kind !== 'forward' || o2.kind !== 'forward') throw new Error('expected forwards')
    const late = encodeMessage({
      id: 1,
      flags: FLAG_QR,
      questions: [{ name: 'a.example.org', type: TYPE.A }],
    })
    expect(s.handleUpstreamResponse(8000, o1.token, late)).toEqual({
      kind: 'drop',
      reason: 'upstream-unknown-token',
    })
  })

  test('a query to an address that is not a sentinel is REFUSED', () => {
    const d = answerOf(
      stub().handleQuery(0, query('www.example.org', TYPE.A), { ...UDP, sentinel: '100.100.111.77' }),
    )
    expect(d.rcode).toBe(RCODE.REFUSED)
  })

  test('more forwards than maxPending: SERVFAIL at once', () => {
    const s = new StubResolver<string>({ sentinels: SENTINELS, maxPending: 1 })
    expect(s.handleQuery(0, query('a.example.org', TYPE.A), UDP).kind).toBe('forward')
    expect(answerOf(s.handleQuery(0, query('b.example.org', TYPE.A), UDP)).rcode).toBe(RCODE.SERVFAIL)
  })
})

describe('errors', () => {
  test('RFC 1035 §4.1.1: a malformed query gets FORMERR with its id', () => {
    const bad = Uint8Array.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 0x61])
    const d = answerOf(stub().handleQuery(0, bad, UDP))
    expect([d.id, d.rcode]).toEqual([0xabcd, RCODE.FORMERR])
  })

  test('two questions: FORMERR; an IQUERY: NOTIMP; EDNS version 1: BADVERS (RFC 6891 §6.1.3)', () => {
    const s = stub()
    const two = encodeMessage({
      id: 1,
      flags: 0,
      questions: [
        { name: 'a.b', type: 1 },
        { name: 'c.d', type: 1 },
      ],
    })
    expect(answerOf(s.handleQuery(0, two, UDP)).rcode).toBe(RCODE.FORMERR)
    const iq = query('a.b', TYPE.A)
    iq[2] |= 1 << 3 // opcode 1
    expect(answerOf(s.handleQuery(0, iq, UDP)).rcode).toBe(RCODE.NOTIMP)
    const v1 = query('app.corp.example', TYPE.A)
    v1[v1.length - 5] = 1 // OPT: ... ext-rcode, version, flags(2), rdlength(2)
    const d = answerOf(s.handleQuery(0, v1, UDP))
    expect(d.rcode).toBe(RCODE_BADVERS)
  })

  test('issue 6: proxy IP exhaustion answers SERVFAIL, is an event, and does not crash', () => {
    const s = new StubResolver<string>({
      sentinels: SENTINELS,
      resources: [{ id: 'r', address: '*.example' }],
      proxyIps: { poolSize: 8 },
    })
    expect(answerOf(s.handleQuery(0, query('a.example', TYPE.A), UDP)).answers.length).toBe(4)
    expect(answerOf(s.handleQuery(0, query('b.example', TYPE.A), UDP)).rcode).toBe(RCODE.SERVFAIL)
    s.pollEvent()
    expect(s.pollEvent()).toEqual({ kind: 'exhausted', name: 'b.example', resourceId: 'r' })
    expect(s.drops['proxy-ips-exhausted']).toBe(1)
  })

  test('hostile input: random and mutated messages get FORMERR or another valid outcome, never a throw', () => {
    const s = stub()
    const check = (bytes: Uint8Array) => {
      const o = s.handleQuery(0, bytes, UDP)
      if (o.kind === 'drop') expect(STUB_DROPS).toContain(o.reason)
      else if (o.kind === 'answer') expect(typeof decodeMessage(o.bytes)).toBe('object')
      else expect(o.bytes.length).toBe(bytes.length)
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: fuzzRuns(300) })
    fc.assert(
      fc.property(
        arbQuery(),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        (q, flips) => {
          for (const [at, b] of flips) q[at % q.length] = b
          check(q)
        },
      ),
      { numRuns: fuzzRuns(300) },
    )
    // Forwarded ones time out cleanly.
    s.handleTimeout(1e9)
    while (s.pollReply() !== null) {}
    expect(s.pendingCount).toBe(0)
  })
})

describe('resources at run time', () => {
  test('removing a resource releases its IPs (an event) and its names are forwarded again', () => {
    const s = stub()
    s.handleQuery(0, query('app.corp.example', TYPE.A), UDP)
    s.pollEvent()
    s.removeResource('r-dual')
    const ev = s.pollEvent()
    expect(ev?.kind).toBe('released')
    expect(s.handleQuery(0, query('app.corp.example', TYPE.A), UDP).kind).toBe('forward')
    expect(s.resourceByProxyIpv4(0x64600001)).toBeUndefined()
  })

  test('adding a more specific resource takes over its names', () => {
    const s = stub()
    s.addResource({ id: 'r-exact', address: 'db.corp.example' })
    s.handleQuery(0, query('db.corp.example', TYPE.A), UDP)
    const ev = s.pollEvent()
    expect(ev?.kind === 'assigned' && ev.resourceId).toBe('r-exact')
  })

  test('a bad pattern in the configuration throws naming the field', () => {
    expect(
      () => new StubResolver({ sentinels: SENTINELS, resources: [{ id: 'x', address: 'a..b' }] }),
    ).toThrow('resources[0].address')
  })
})
