import { describe, expect, test } from 'bun:test'
import { get16 } from '@gatehouse/ip-packet'
import fc from 'fast-check'
import {
  buildIcmpv4Error,
  buildIcmpv6Error,
  ICMP_REASONS,
  type IcmpErrorKind,
  IcmpErrorView,
  type Icmpv4ErrorSpec,
  type Icmpv6ErrorSpec,
} from '../src/index.ts'
import { icmp, icmpv4Ok, icmpv6Ok, ipv4HeaderOk, ipv4Packet, ipv6Packet, tcp, udp, v6 } from './helpers.ts'

/** Hostile-input runs; `FUZZ_RUNS=1000000 bun run fuzz` for a long campaign. */
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 500)

const ROUTER4 = 0xc6336401 // 198.51.100.1, a router on the resource side
const ROUTER6 = v6('2001:db8:ffff::1')
const CLIENT4 = 0x64400002 // 100.64.0.2
const PROXY4 = 0x64600001 // 100.96.0.1
const REAL4 = 0xc0000250 // 192.0.2.80
const CLIENT6 = v6('fd00:2021:1111::2')
const PROXY6 = v6('fd00:2021:1111:8000::1')
const REAL6 = v6('2001:db8::80')

function error4(
  offending: Uint8Array,
  type: number,
  code: number,
  extra: Partial<Icmpv4ErrorSpec> = {},
): Uint8Array {
  const out = new Uint8Array(600)
  const n = buildIcmpv4Error(offending, 0, offending.length, { type, code, src: ROUTER4, ...extra }, out, 0)
  if (typeof n !== 'number') throw new Error(n)
  return out.slice(0, n)
}

function error6(
  offending: Uint8Array,
  type: number,
  code: number,
  extra: Partial<Icmpv6ErrorSpec> = {},
): Uint8Array {
  const out = new Uint8Array(1300)
  const n = buildIcmpv6Error(offending, 0, offending.length, { type, code, src: ROUTER6, ...extra }, out, 0)
  if (typeof n !== 'number') throw new Error(n)
  return out.slice(0, n)
}

describe('recognizing incoming ICMPv4 errors (RFC 792)', () => {
  const view = new IcmpErrorView()

  test('RFC 792: port unreachable about UDP exposes kind, code and the quoted 5-tuple', () => {
    const e = error4(ipv4Packet(udp(40000, 53, 20), { src: CLIENT4, dst: REAL4 }), 3, 3)
    expect(view.reset(e, 0, e.length)).toBeNull()
    expect(view.version).toBe(4)
    expect(view.kind).toBe('destination-unreachable')
    expect([view.type, view.code, view.mtu, view.pointer]).toEqual([3, 3, -1, -1])
    const q = view.quote
    expect([q.src4, q.dst4, q.protocol, q.srcPort, q.dstPort]).toEqual([CLIENT4, REAL4, 17, 40000, 53])
  })

  test('RFC 792: a quote cut 8 bytes into the TCP header still gives the ports', () => {
    const e = error4(ipv4Packet(tcp(40000, 443, 100), { src: CLIENT4, dst: REAL4, proto: 6 }), 3, 1, {
      maxLen: 56,
    })
    expect(e.length).toBe(56)
    expect(view.reset(e, 0, e.length)).toBeNull()
    const q = view.quote
    expect([q.protocol, q.srcPort, q.dstPort, q.l4Len, q.l4ChecksumOff]).toEqual([6, 40000, 443, 8, -1])
  })

  test('RFC 1191 §4: 3/4 is packet-too-big with the next-hop MTU', () => {
    const e = error4(ipv4Packet(udp(1, 2), { src: CLIENT4, dst: REAL4 }), 3, 4, { mtu: 1420 })
    expect(view.reset(e, 0, e.length)).toBeNull()
    expect([view.kind, view.mtu]).toEqual(['packet-too-big', 1420])
  })

  test('RFC 792: Time Exceeded and Parameter Problem (with its pointer)', () => {
    const p = ipv4Packet(udp(1, 2), { src: CLIENT4, dst: REAL4 })
    const te = error4(p, 11, 0)
    expect(view.reset(te, 0, te.length)).toBeNull()
    expect(view.kind).toBe('time-exceeded')
    const pp = error4(p, 12, 0, { pointer: 8 })
    expect(view.reset(pp, 0, pp.length)).toBeNull()
    expect([view.kind, view.pointer]).toEqual(['parameter-problem', 8])
  })

  test('a quoted ICMP echo is routed by its identifier', () => {
    const e = error4(
      ipv4Packet(icmp(8, 0, 0x4321_0001, new Uint8Array(56)), { src: CLIENT4, dst: REAL4, proto: 1 }),
      3,
      1,
    )
    expect(view.reset(e, 0, e.length)).toBeNull()
    expect([view.quote.protocol, view.quote.srcPort, view.quote.dstPort]).toEqual([1, 0x4321, 0x4321])
  })

  test('refusals name why', () => {
    const quote = ipv4Packet(udp(1, 2), { src: CLIENT4, dst: REAL4 })
    const cases: [Uint8Array, string][] = [
      [ipv4Packet(udp(1, 2)), 'icmp-not-icmp'],
      [ipv4Packet(icmp(8, 0, 1, new Uint8Array(8)), { proto: 1 }), 'icmp-not-error'],
      [ipv4Packet(icmp(4, 0, 0, quote), { proto: 1 }), 'icmp-unsupported-type'], // Source Quench (RFC 6633)
      [ipv4Packet(icmp(5, 1, 0, quote), { proto: 1 }), 'icmp-unsupported-type'], // Redirect
      [ipv4Packet(icmp(3, 3, 0, quote.subarray(0, 27)), { proto: 1 }), 'icmp-quote-truncated'],
      [ipv4Packet(icmp(3, 3, 0, ipv6Packet(udp(1, 2))), { proto: 1 }), 'icmp-quote-family-mismatch'],
      [
        ipv4Packet(icmp(3, 3, 0, ipv4Packet(udp(1, 2), { fragOff: 100 })), { proto: 1 }),
        'icmp-quote-fragment',
      ],
      [ipv4Packet(icmp(3, 3, 0, quote), { proto: 1, fragOff: 10 }), 'icmp-outer-fragment'],
      [ipv4Packet(icmp(3, 3, 0, quote), { proto: 1, mf: true }), 'icmp-outer-fragment'],
      [ipv4Packet(new Uint8Array(4), { proto: 1 }), 'icmp-truncated'],
      [new Uint8Array([0x45, 0, 0, 20]), 'icmp-malformed'],
    ]
    for (const [bytes, reason] of cases)
      expect([reason, view.reset(bytes, 0, bytes.length)]).toEqual([reason, reason])
  })
})

describe('recognizing incoming ICMPv6 errors (RFC 4443)', () => {
  const view = new IcmpErrorView()
  const p = ipv6Packet(udp(40000, 53, 20), { src: CLIENT6, dst: REAL6 })

  test('RFC 4443 §3.1: port unreachable exposes the quoted 5-tuple', () => {
    const e = error6(p, 1, 4)
    expect(view.reset(e, 0, e.length)).toBeNull()
    expect([view.version, view.kind, view.code]).toEqual([6, 'destination-unreachable', 4])
    const q = view.quote
    expect([q.protocol, q.srcPort, q.dstPort]).toEqual([17, 40000, 53])
    expect(Array.from(e.subarray(q.srcAddrOff, q.srcAddrOff + 16))).toEqual(Array.from(CLIENT6))
    expect(Array.from(e.subarray(q.dstAddrOff, q.dstAddrOff + 16))).toEqual(Array.from(REAL6))
  })

  test('RFC 4443 §3.2-3.4: Packet Too Big (MTU), Time Exceeded, Parameter Problem (pointer)', () => {
    const ptb = error6(p, 2, 0, { mtu: 1400 })
    expect(view.reset(ptb, 0, ptb.length)).toBeNull()
    expect([view.kind, view.mtu]).toEqual(['packet-too-big', 1400])
    const te = error6(p, 3, 1)
    expect(view.reset(te, 0, te.length)).toBeNull()
    expect([view.kind, view.code]).toEqual(['time-exceeded', 1])
    const pp = error6(p, 4, 0, { pointer: 0x10203 })
    expect(view.reset(pp, 0, pp.length)).toBeNull()
    expect([view.kind, view.pointer]).toEqual(['parameter-problem', 0x10203])
  })

  test('a quote behind extension headers, cut 8 bytes into TCP, still gives the ports', () => {
    const hbh = { type: 0, bytes: new Uint8Array(8) }
    const big = ipv6Packet(tcp(1111, 443, 200), { src: CLIENT6, dst: REAL6, proto: 6, ext: [hbh] })
    const e = error6(big, 1, 3, { maxLen: 40 + 8 + 40 + 8 + 8 })
    expect(view.reset(e, 0, e.length)).toBeNull()
    expect([view.quote.protocol, view.quote.srcPort, view.quote.dstPort, view.quote.l4Len]).toEqual([
      6, 1111, 443, 8,
    ])
  })

  test('refusals name why', () => {
    const cases: [Uint8Array, string][] = [
      [ipv6Packet(icmp(128, 0, 1, new Uint8Array(8)), { proto: 58 }), 'icmp-not-error'],
      [ipv6Packet(icmp(100, 0, 0, p), { proto: 58 }), 'icmp-unsupported-type'], // private experimentation
      [ipv6Packet(icmp(1, 4, 0, ipv4Packet(udp(1, 2))), { proto: 58 }), 'icmp-quote-family-mismatch'],
      [ipv6Packet(icmp(1, 4, 0, p.subarray(0, 47)), { proto: 58 }), 'icmp-quote-truncated'],
      [ipv6Packet(udp(1, 2)), 'icmp-not-icmp'],
    ]
    for (const [bytes, reason] of cases)
      expect([reason, view.reset(bytes, 0, bytes.length)]).toEqual([reason, reason])
  })
})

describe('rewriting an error through the NAT reverse mapping (RFC 1624 incremental checksums)', () => {
  const view = new IcmpErrorView()

  test('property (IPv4): rewriting the error about the NATed packet gives the error about the original, byte for byte', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(6, 17, 1),
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 0, max: 700 }),
        fc.constantFrom(56, 68, 576),
        fc.constantFrom<[number, number]>([3, 3], [3, 1], [3, 13], [11, 0], [3, 4], [12, 0]),
        fc.integer({ min: 0x01000000, max: 0xdfffffff }).filter((a) => a >>> 24 !== 127), // a unicast, non-loopback source
        (proto, sport, dport, natPort, size, maxLen, [type, code], masq) => {
          const seg =
            proto === 6
              ? tcp(sport, dport, size)
              : proto === 17
                ? udp(sport, dport, size)
                : icmp(8, 0, (sport << 16) | 1, new Uint8Array(size))
          const original = ipv4Packet(seg, { src: CLIENT4, dst: PROXY4, proto })
          // The gateway's NAT sent it on with the real IP and maybe another port; the host masqueraded the source.
          const natted = ipv4Packet(
            proto === 6
              ? tcp(natPort, dport, size)
              : proto === 17
                ? udp(natPort, dport, size)
                : icmp(8, 0, (natPort << 16) | 1, new Uint8Array(size)),
            { src: masq, dst: REAL4, proto },
          )
          const extra = { maxLen, mtu: 1280, pointer: 9 }
          const incoming = error4(natted, type, code, extra)
          const expected = error4(original, type, code, extra)
          expect(view.reset(incoming, 0, incoming.length)).toBeNull()
          if (sport & 1) {
            view.setOuterDst4(CLIENT4)
            view.setQuotedSrc4(CLIENT4)
            view.setQuotedDst4(PROXY4)
            view.setQuotedSrcPort(sport)
          } else {
            // The one-call form, which also moves the outer source to the proxy IP.
            view.rewriteToClient4(PROXY4, CLIENT4, sport)
            view.setOuterSrc4(ROUTER4)
          }
          expect(Array.from(incoming)).toEqual(Array.from(expected))
          expect(view.verifyChecksums()).toBeNull()
        },
      ),
      { numRuns: 200 },
    )
  })

  test('property (IPv6): the same, with the outer source rewritten too (ICMPv6 pseudo-header)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(6, 17, 58),
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 0, max: 1400 }),
        fc.constantFrom(104, 1280),
        fc.constantFrom<[number, number]>([1, 4], [1, 3], [1, 1], [2, 0], [3, 0], [4, 0]),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (proto, sport, dport, natPort, size, maxLen, [type, code], masq) => {
          masq[0] = 0x20 // a unicast source
          const seg = (port: number) =>
            proto === 6
              ? tcp(port, dport, size)
              : proto === 17
                ? udp(port, dport, size)
                : icmp(128, 0, (port << 16) | 1, new Uint8Array(size))
          const original = ipv6Packet(seg(sport), { src: CLIENT6, dst: PROXY6, proto })
          const natted = ipv6Packet(seg(natPort), { src: masq, dst: REAL6, proto })
          const incoming = error6(natted, type, code, { maxLen, mtu: 1280, pointer: 7 })
          const expected = error6(original, type, code, { maxLen, mtu: 1280, pointer: 7, src: PROXY6 })
          expect(view.reset(incoming, 0, incoming.length)).toBeNull()
          if (sport & 1) {
            view.setOuterSrc6(PROXY6, 0)
            view.setOuterDst6(CLIENT6, 0)
            view.setQuotedSrc6(CLIENT6, 0)
            view.setQuotedDst6(PROXY6, 0)
            view.setQuotedSrcPort(sport)
          } else view.rewriteToClient6(PROXY6, 0, CLIENT6, 0, sport)
          expect(Array.from(incoming)).toEqual(Array.from(expected))
          expect(view.verifyChecksums()).toBeNull()
        },
      ),
      { numRuns: 200 },
    )
  })

  test('a whole quoted UDP datagram keeps a verifying checksum; a zero UDP checksum stays zero (RFC 768)', () => {
    const p = ipv4Packet(udp(5000, 53, 10), { src: CLIENT4, dst: REAL4 })
    const e = error4(p, 3, 3)
    view.reset(e, 0, e.length)
    view.setQuotedDst4(PROXY4)
    view.setQuotedDstPort(5353)
    const q = view.quote
    expect(ipv4HeaderOk(e, q.off)).toBe(true)
    expect(ipv4HeaderOk(e)).toBe(true)
    expect(icmpv4Ok(e)).toBe(true)
    expect(q.dstPort).toBe(5353)
    const z = ipv4Packet(udp(5000, 53, 10), { src: CLIENT4, dst: REAL4 })
    z[26] = 0
    z[27] = 0
    const ez = error4(z, 3, 3)
    view.reset(ez, 0, ez.length)
    view.setQuotedDst4(PROXY4)
    expect(get16(ez, 28 + 26)).toBe(0)
    expect(icmpv4Ok(ez)).toBe(true)
  })

  test('a corrupted error still parses, and verifyChecksums says so', () => {
    const e = error6(ipv6Packet(udp(1, 2), { src: CLIENT6, dst: REAL6 }), 1, 4)
    e[e.length - 1] ^= 0xff
    expect(view.reset(e, 0, e.length)).toBeNull()
    expect(view.verifyChecksums()).toBe('icmp-bad-checksum')
    expect(icmpv6Ok(e)).toBe(false)
  })
})

describe('hostile input', () => {
  const view = new IcmpErrorView()
  test('random bytes never throw; a successful parse has no NaN fields and its setters never throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          // Mostly valid errors with random damage.
          fc
            .tuple(fc.boolean(), fc.uint8Array({ maxLength: 60 }), fc.nat(100), fc.nat(255))
            .map(([is6, body, at, val]) => {
              const e = is6
                ? error6(ipv6Packet(udp(1, 2, body), { src: CLIENT6, dst: REAL6 }), 1, 4)
                : error4(ipv4Packet(udp(1, 2, body), { src: CLIENT4, dst: REAL4 }), 3, 3)
              e[at % e.length] = val
              return e.subarray(0, Math.max(0, e.length - (val % 13)))
            }),
        ),
        (bytes) => {
          const r = view.reset(bytes, 0, bytes.length)
          if (r !== null) {
            expect(ICMP_REASONS).toContain(r)
            return
          }
          const q = view.quote
          for (const x of [
            view.type,
            view.code,
            view.mtu,
            view.pointer,
            q.srcPort,
            q.dstPort,
            q.protocol,
            q.src4,
            q.dst4,
          ])
            expect(Number.isNaN(x)).toBe(false)
          view.setQuotedSrcPort(7)
          view.setQuotedDstPort(8)
          if (view.version === 4) {
            view.setQuotedDst4(PROXY4)
            view.setOuterDst4(CLIENT4)
          } else {
            view.setQuotedDst6(PROXY6, 0)
            view.setOuterDst6(CLIENT6, 0)
          }
          expect(view.verifyChecksums() === null || view.verifyChecksums() === 'icmp-bad-checksum').toBe(true)
        },
      ),
      { numRuns: FUZZ_RUNS },
    )
  })
})

describe('round trip: every kind built here parses back to what was asked', () => {
  const view = new IcmpErrorView()
  test('property: type, code, kind, MTU/pointer and the quoted 5-tuple survive build -> parse (IPv4 and IPv6)', () => {
    const kinds4: [number, number, IcmpErrorKind][] = [
      [3, 0, 'destination-unreachable'],
      [3, 1, 'destination-unreachable'],
      [3, 3, 'destination-unreachable'],
      [3, 4, 'packet-too-big'],
      [3, 13, 'destination-unreachable'],
      [11, 0, 'time-exceeded'],
      [11, 1, 'time-exceeded'],
      [12, 0, 'parameter-problem'],
    ]
    const kinds6: [number, number, IcmpErrorKind][] = [
      [1, 0, 'destination-unreachable'],
      [1, 1, 'destination-unreachable'],
      [1, 3, 'destination-unreachable'],
      [1, 4, 'destination-unreachable'],
      [1, 6, 'destination-unreachable'],
      [2, 0, 'packet-too-big'],
      [3, 0, 'time-exceeded'],
      [4, 0, 'parameter-problem'],
      [4, 2, 'parameter-problem'],
    ]
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.nat(8),
        fc.constantFrom(6, 17),
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 0, max: 1500 }),
        fc.integer({ min: 68, max: 0xffff }),
        (is6, k, proto, sport, dport, size, param) => {
          const seg = proto === 6 ? tcp(sport, dport, size) : udp(sport, dport, size)
          if (is6) {
            const [type, code, kind] = kinds6[k % kinds6.length]
            const e = error6(ipv6Packet(seg, { src: CLIENT6, dst: REAL6, proto }), type, code, {
              mtu: param,
              pointer: param,
            })
            expect(view.reset(e, 0, e.length)).toBeNull()
            expect([view.type, view.code, view.kind]).toEqual([type, code, kind])
            if (type === 2) expect(view.mtu).toBe(param)
            if (type === 4) expect(view.pointer).toBe(param)
          } else {
            const [type, code, kind] = kinds4[k % kinds4.length]
            const e = error4(ipv4Packet(seg, { src: CLIENT4, dst: REAL4, proto }), type, code, {
              mtu: param,
              pointer: param & 0xff,
            })
            expect(view.reset(e, 0, e.length)).toBeNull()
            expect([view.type, view.code, view.kind]).toEqual([type, code, kind])
            if (code === 4 && type === 3) expect(view.mtu).toBe(param)
            if (type === 12) expect(view.pointer).toBe(param & 0xff)
            expect([view.quote.src4, view.quote.dst4]).toEqual([CLIENT4, REAL4])
          }
          expect([view.quote.protocol, view.quote.srcPort, view.quote.dstPort]).toEqual([proto, sport, dport])
          expect(view.verifyChecksums()).toBeNull()
        },
      ),
      { numRuns: 300 },
    )
  })
})
