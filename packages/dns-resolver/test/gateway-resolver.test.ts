import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import fc from 'fast-check'
import { GATEWAY_DROPS, GatewayResolver, type ResolveResult, type Transmit } from '../src/gateway-resolver.ts'
import { parseUpstream } from '../src/sentinels.ts'
import {
  type EncodableRecord,
  encodeMessage,
  FLAG_QR,
  FLAG_RD,
  FLAG_TC,
  MessageView,
  RCODE,
  scanMessage,
  TYPE,
} from '../src/wire.ts'
import { fuzzRuns } from './helpers.ts'

// bun's default is 5 s per test (the root bunfig's [test] timeout is not read); a shared CI core needs more.
setDefaultTimeout(60_000)

const U1 = parseUpstream('192.0.2.1')!
const U2 = parseUpstream('192.0.2.2:5353')!

function core(upstreams = [U1], extra: Partial<ConstructorParameters<typeof GatewayResolver>[0]> = {}) {
  return new GatewayResolver({ upstreams, seed: 42, timeoutMs: 1000, ...extra })
}

function drainTx(g: GatewayResolver): Transmit[] {
  const out: Transmit[] = []
  for (let t = g.pollTransmit(); t !== null; t = g.pollTransmit()) out.push(t)
  return out
}

/** The upstream's answer to a transmitted query. */
function reply(t: Transmit, rcode: number, answers: EncodableRecord[] = [], flags = 0): Uint8Array {
  const v = new MessageView()
  scanMessage(t.bytes, 0, t.bytes.length, v)
  return encodeMessage({
    id: v.id,
    flags: FLAG_QR | FLAG_RD | flags,
    rcode,
    questions: [{ name: v.qname, type: v.qtype }],
    answers,
  })
}

function qtypeOf(t: Transmit): number {
  const v = new MessageView()
  scanMessage(t.bytes, 0, t.bytes.length, v)
  return v.qtype
}

function result(g: GatewayResolver): ResolveResult {
  const o = g.pollResult()
  if (o?.kind !== 'resolved') throw new Error(`expected a result, got ${JSON.stringify(o)}`)
  return o.result
}

describe('MISSION.md: the gateway resolves D itself and tells the outcomes apart', () => {
  test('A and AAAA go out at once over UDP with distinct random ids; both families come back', () => {
    const g = core()
    expect(g.resolve(0, 'App.Example.')).toBeNull()
    const [a, aaaa] = drainTx(g)
    expect([qtypeOf(a), qtypeOf(aaaa), a.transport, a.upstream]).toEqual([TYPE.A, TYPE.AAAA, 'udp', U1])
    expect(a.bytes[0] * 256 + a.bytes[1]).not.toBe(aaaa.bytes[0] * 256 + aaaa.bytes[1])
    g.handleResponse(
      1,
      a.txId,
      reply(a, RCODE.NOERROR, [{ name: 'app.example', ttl: 300, type: 'A', address: '198.51.100.1' }]),
    )
    expect(g.pollResult()).toBeNull() // waits for the other family
    g.handleResponse(
      2,
      aaaa.txId,
      reply(aaaa, RCODE.NOERROR, [{ name: 'app.example', ttl: 100, type: 'AAAA', address: '2001:db8::1' }]),
    )
    expect(result(g)).toEqual({
      name: 'app.example',
      status: 'ok',
      a: 'ok',
      aaaa: 'ok',
      ipv4: ['198.51.100.1'],
      ipv6: ['2001:db8::1'],
      ttlS: 100,
    })
  })

  test('no AAAA records: ok with aaaa no-records (RFC 2308 §2.2 NODATA)', () => {
    const g = core()
    g.resolve(0, 'v4.example')
    const [a, aaaa] = drainTx(g)
    g.handleResponse(
      1,
      a.txId,
      reply(a, RCODE.NOERROR, [{ name: 'v4.example', ttl: 60, type: 'A', address: '198.51.100.2' }]),
    )
    g.handleResponse(1, aaaa.txId, reply(aaaa, RCODE.NOERROR))
    expect(result(g)).toMatchObject({ status: 'ok', a: 'ok', aaaa: 'no-records', ipv6: [] })
  })

  test('NXDOMAIN, and no records at all', () => {
    const g = core()
    g.resolve(0, 'nx.example')
    for (const t of drainTx(g)) g.handleResponse(1, t.txId, reply(t, RCODE.NXDOMAIN))
    expect(result(g)).toMatchObject({ status: 'nxdomain', a: 'nxdomain', aaaa: 'nxdomain' })
    g.resolve(0, 'empty.example')
    for (const t of drainTx(g)) g.handleResponse(1, t.txId, reply(t, RCODE.NOERROR))
    expect(result(g).status).toBe('no-records')
  })

  test('SERVFAIL or REFUSED tries the next upstream; from the last one it is servfail, not cached', () => {
    const g = core([U1, U2])
    g.resolve(0, 'x.example')
    for (const t of drainTx(g)) g.handleResponse(1, t.txId, reply(t, RCODE.SERVFAIL))
    const second = drainTx(g)
    expect(second.map((t) => t.upstream)).toEqual([U2, U2])
    for (const t of second) g.handleResponse(2, t.txId, reply(t, RCODE.REFUSED))
    expect(result(g)).toMatchObject({ status: 'servfail', ttlS: 0 })
    expect(g.cachedNames).toBe(0)
  })

  test('timeouts: each attempt has its deadline; the last upstream timing out gives timeout', () => {
    const g = core([U1, U2])
    g.resolve(100, 't.example')
    drainTx(g)
    expect(g.pollTimeout()).toBe(1100)
    g.handleTimeout(1099)
    expect(drainTx(g)).toEqual([])
    g.handleTimeout(1100)
    const retry = drainTx(g)
    expect(retry.map((t) => t.upstream)).toEqual([U2, U2])
    expect(g.pollTimeout()).toBe(2100)
    g.handleTimeout(2100)
    expect(result(g)).toMatchObject({ status: 'timeout', a: 'timeout', aaaa: 'timeout' })
    expect(g.pollTimeout()).toBeNull()
  })

  test('RFC 7766 §5: a truncated UDP answer is asked again over TCP, same upstream', () => {
    const g = core()
    g.resolve(0, 'big.example')
    const [a, aaaa] = drainTx(g)
    g.handleResponse(1, a.txId, reply(a, RCODE.NOERROR, [], FLAG_TC))
    const [tcp] = drainTx(g)
    expect([tcp.transport, tcp.upstream, qtypeOf(tcp)]).toEqual(['tcp', U1, TYPE.A])
    g.handleResponse(
      2,
      tcp.txId,
      reply(tcp, RCODE.NOERROR, [{ name: 'big.example', ttl: 5, type: 'A', address: '198.51.100.9' }]),
    )
    g.handleResponse(2, aaaa.txId, reply(aaaa, RCODE.NOERROR))
    expect(result(g).ipv4).toEqual(['198.51.100.9'])
  })

  test('RFC 5452 §9.1: a response with another id or question is not taken; the query keeps waiting', () => {
    const g = core()
    g.resolve(0, 'spoof.example')
    const [a] = drainTx(g)
    const forged = reply(a, RCODE.NOERROR, [
      { name: 'spoof.example', ttl: 9999, type: 'A', address: '203.0.113.66' },
    ])
    forged[0] ^= 0xff
    g.handleResponse(1, a.txId, forged)
    expect(g.drops['gw-id-mismatch']).toBe(1)
    const other = encodeMessage({
      id: a.bytes[0] * 256 + a.bytes[1],
      flags: FLAG_QR,
      questions: [{ name: 'evil.example', type: TYPE.A }],
    })
    g.handleResponse(1, a.txId, other)
    expect(g.drops['gw-question-mismatch']).toBe(1)
    expect(g.pollResult()).toBeNull()
    expect(g.pollTimeout()).toBe(1000)
  })

  test('RFC 1034 §3.6.2: CNAME chains are followed, TTL is the smallest along the chain', () => {
    const g = core()
    g.resolve(0, 'www.example')
    const [a, aaaa] = drainTx(g)
    g.handleResponse(
      1,
      a.txId,
      reply(a, RCODE.NOERROR, [
        { name: 'cdn.example', ttl: 300, type: 'A', address: '198.51.100.7' },
        { name: 'www.example', ttl: 20, type: 'CNAME', target: 'cdn.example' },
        { name: 'unrelated.example', ttl: 300, type: 'A', address: '203.0.113.1' },
      ]),
    )
    g.handleResponse(1, aaaa.txId, reply(aaaa, RCODE.NOERROR))
    expect(result(g)).toMatchObject({ ipv4: ['198.51.100.7'], ttlS: 20 })
  })
})

test('a name that cannot be a DNS name (from a client message) is NXDOMAIN at once, never a throw', () => {
  const g = core()
  for (const bad of ['a..b', `${'x'.repeat(64)}.example`, 'caf\u00e9.example'])
    expect(g.resolve(0, bad)).toMatchObject({ status: 'nxdomain', ttlS: 0 })
  expect(g.pollTransmit()).toBeNull()
  expect(g.drops['gw-bad-name']).toBe(3)
})

describe('cache', () => {
  function resolved(g: GatewayResolver, now: number, name: string, ttl: number): void {
    g.resolve(now, name)
    for (const t of drainTx(g))
      g.handleResponse(
        now,
        t.txId,
        reply(
          t,
          RCODE.NOERROR,
          qtypeOf(t) === TYPE.A ? [{ name, ttl, type: 'A', address: '198.51.100.1' }] : [],
        ),
      )
    g.pollResult()
  }

  test('RFC 1035 §3.2.1: a result is reused until its TTL runs out', () => {
    const g = core([U1], { negativeTtlS: 1000 })
    resolved(g, 0, 'c.example', 10)
    expect(g.resolve(9999, 'C.example')?.ipv4).toEqual(['198.51.100.1'])
    expect(drainTx(g)).toEqual([])
    expect(g.resolve(10000, 'c.example')).toBeNull()
    expect(drainTx(g).length).toBe(2)
  })

  test('bounded: the least recently used name goes first', () => {
    const g = core([U1], { cacheSize: 2, negativeTtlS: 1000 })
    resolved(g, 0, 'a.example', 100)
    resolved(g, 0, 'b.example', 100)
    expect(g.resolve(1, 'a.example')).not.toBeNull() // a is now the most recent
    resolved(g, 2, 'c.example', 100)
    expect(g.cachedNames).toBe(2)
    expect(g.resolve(3, 'a.example')).not.toBeNull()
    expect(g.resolve(3, 'b.example')).toBeNull()
  })

  test('concurrent resolves of one name share one lookup', () => {
    const g = core()
    g.resolve(0, 'same.example')
    expect(g.resolve(0, 'same.example')).toBeNull()
    expect(drainTx(g).length).toBe(2)
  })
})

describe('forwarding queries resolved at the site (SRV, TXT)', () => {
  test('a fresh id goes out; the answer comes back with the client id', () => {
    const g = core()
    const q = encodeMessage({
      id: 0x1111,
      flags: FLAG_RD,
      questions: [{ name: '_x._tcp.example', type: TYPE.SRV }],
    })
    const h = g.forward(0, q)
    const [t] = drainTx(g)
    expect(t.bytes[0] * 256 + t.bytes[1]).not.toBe(0x1111)
    g.handleResponse(1, t.txId, reply(t, RCODE.NOERROR))
    const o = g.pollResult()
    expect(o?.kind === 'forwarded' && o.handle).toBe(h)
    if (o?.kind === 'forwarded') expect(o.bytes[0] * 256 + o.bytes[1]).toBe(0x1111)
  })

  test('no answer: SERVFAIL with the client id; not a query: FORMERR at once', () => {
    const g = core()
    const q = encodeMessage({
      id: 0x2222,
      flags: FLAG_RD,
      questions: [{ name: 'txt.example', type: TYPE.TXT }],
    })
    g.forward(0, q)
    drainTx(g)
    g.handleTimeout(1000)
    const o = g.pollResult()
    expect(o?.kind === 'forwarded' && [o.bytes[0] * 256 + o.bytes[1], o.bytes[3] & 0xf]).toEqual([
      0x2222,
      RCODE.SERVFAIL,
    ])
    g.forward(0, Uint8Array.of(0x33, 0x33, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0))
    const f = g.pollResult()
    expect(f?.kind === 'forwarded' && f.bytes[3] & 0xf).toBe(RCODE.FORMERR)
  })

  test('hostile responses never throw and never end a lookup with a wrong result', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 8 }), (junk) => {
        const g = core()
        g.resolve(0, 'h.example')
        const txs = drainTx(g)
        for (const [i, b] of junk.entries()) g.handleResponse(1, txs[i % 2].txId, b)
        const o = g.pollResult()
        // Random bytes are at best a malformed answer: servfail, never an address.
        if (o !== null && o.kind === 'resolved') expect(o.result.ipv4.length + o.result.ipv6.length).toBe(0)
        for (const k of GATEWAY_DROPS) expect(Number.isInteger(g.drops[k])).toBe(true)
      }),
      { numRuns: fuzzRuns(200) },
    )
  })
})
