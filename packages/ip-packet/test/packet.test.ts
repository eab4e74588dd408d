import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import {
  buildIcmp4,
  buildIcmp4Echo,
  buildIcmp6Echo,
  buildIpv4,
  buildIpv6,
  buildTcp4,
  buildTcp6,
  buildUdp4,
  buildUdp6,
  DROP_REASONS,
  finish,
  fold,
  IpPacket,
  ipv4FromText,
  ipv6FromText,
  ipv6ToText,
  L4_ICMP,
  L4_NONE,
  L4_OTHER,
  L4_TCP,
  L4_UDP,
  pseudoV4,
  sum,
  TCP_SYN,
} from '../src/index.ts'
import { anyPacket, FUZZ_RUNS, icmpError } from './arbitraries.ts'
import * as V from './vectors.ts'

const a4 = (s: string) => ipv4FromText(s)!
const a6 = (s: string) => ipv6FromText(s)!
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const parse = (b: Uint8Array, off = 0, len = b.length - off) => {
  const p = new IpPacket()
  const r = p.reset(b, off, len)
  return { p, r }
}
const src6 = (p: IpPacket) => ipv6ToText(p.buf, p.srcAddrOff)
const dst6 = (p: IpPacket) => ipv6ToText(p.buf, p.dstAddrOff)

describe('deconstruct: scapy-built vectors give the right fields', () => {
  test('RFC 768 over RFC 791: UDPv4', () => {
    const { p, r } = parse(V.UDP4)
    expect(r).toBeNull()
    expect([p.version, p.protocol, p.l4, p.src4, p.dst4, p.srcPort, p.dstPort]).toEqual([
      4,
      17,
      L4_UDP,
      a4('10.0.0.1'),
      a4('192.0.2.7'),
      5353,
      53,
    ])
    expect([p.ttl, p.ipHeaderLen, p.ipLen, p.payloadLen]).toEqual([64, 20, 33, 5])
    expect(Buffer.from(V.UDP4.subarray(p.payloadOff, p.payloadOff + p.payloadLen)).toString()).toBe('hello')
    expect(p.ipv4.ident).toBe(0x1234)
    expect(p.verifyChecksums()).toBeNull()
  })

  test('RFC 9293 §3.1 over RFC 8200 §3: TCPv6 SYN', () => {
    const { p, r } = parse(V.TCP6)
    expect(r).toBeNull()
    expect([p.version, p.protocol, p.l4, p.srcPort, p.dstPort, p.payloadLen]).toEqual([
      6,
      6,
      L4_TCP,
      40000,
      443,
      0,
    ])
    expect([src6(p), dst6(p)]).toEqual(['fd00::1', '2001:db8::7'])
    expect([p.tcp.seq, p.tcp.ack, p.tcp.syn, p.tcp.ackFlag, p.tcp.window, p.tcp.headerLen]).toEqual([
      1,
      0,
      true,
      false,
      64240,
      20,
    ])
    expect(p.verifyChecksums()).toBeNull()
  })

  test('RFC 8200 §4.3, §4.6: hop-by-hop and destination options before UDP', () => {
    const { p, r } = parse(V.UDP6_EXT)
    expect(r).toBeNull()
    expect([p.protocol, p.ipHeaderLen, p.srcPort, p.dstPort, p.payloadLen]).toEqual([17, 56, 5353, 53, 2])
    expect([p.ipv6.hopByHopOff, p.ipv6.destOptsOff, p.ipv6.routingOff, p.ipv6.fragmentHeaderOff]).toEqual([
      40, 48, -1, -1,
    ])
    expect([p.ipv6.extCount, p.ipv6.upperProtocolFieldOff, p.ipv6.nextHeader]).toEqual([2, 48, 0])
    expect(p.verifyChecksums()).toBeNull()
  })

  test('RFC 4443 §4.1: ICMPv6 echo request, identifier as both ports', () => {
    const { p, r } = parse(V.ICMP6_ECHO)
    expect(r).toBeNull()
    expect([p.l4, p.icmpType, p.icmpCode, p.isIcmpEcho, p.srcPort, p.dstPort, p.icmpv6.echoSeq]).toEqual([
      L4_ICMP,
      128,
      0,
      true,
      0x4242,
      0x4242,
      7,
    ])
    expect(p.verifyChecksums()).toBeNull()
  })

  test('RFC 792: ICMPv4 echo request', () => {
    const { p, r } = parse(V.ICMP4_ECHO)
    expect(r).toBeNull()
    expect([p.icmpType, p.srcPort, p.icmpv4.echoSeq, p.payloadLen]).toEqual([8, 0x1234, 1, 8])
    expect(p.verifyChecksums()).toBeNull()
  })

  test('RFC 791 §3.1: IPv4 options (IHL 6) before TCP', () => {
    const { p, r } = parse(V.TCP4_OPTIONS)
    expect(r).toBeNull()
    expect([p.ipHeaderLen, p.l4Off, p.srcPort, p.dstPort, p.tcp.seq]).toEqual([24, 24, 40000, 80, 100])
    expect(p.verifyChecksums()).toBeNull()
  })

  test('RFC 792: port unreachable quoting UDP; the quote gives the inner key', () => {
    const { p, r } = parse(V.ICMP4_PORT_UNREACH)
    expect(r).toBeNull()
    expect([p.isIcmpError, p.icmpType, p.icmpCode, p.srcPort, p.dstPort]).toEqual([true, 3, 3, 0, 0])
    const q = p.quote
    expect([q.version, q.protocol, q.src4, q.dst4, q.srcPort, q.dstPort, q.totalLen]).toEqual([
      4,
      17,
      a4('10.0.0.1'),
      a4('192.0.2.1'),
      1000,
      2000,
      32,
    ])
    expect(p.verifyChecksums()).toBeNull()
  })

  test('MISSION lesson / RFC 4443 §3.1: an ICMPv6 error quoting only 8 bytes of TCP still yields the ports', () => {
    const { p, r } = parse(V.ICMP6_UNREACH_TRUNCATED_TCP)
    expect(r).toBeNull()
    const q = p.quote
    expect([q.version, q.protocol, q.srcPort, q.dstPort, q.l4Len, q.l4ChecksumOff]).toEqual([
      6, 6, 40000, 443, 8, -1,
    ])
    expect([ipv6ToText(p.buf, q.srcAddrOff), ipv6ToText(p.buf, q.dstAddrOff)]).toEqual([
      'fd00::1',
      '2001:db8::7',
    ])
    expect(p.verifyChecksums()).toBeNull()
  })

  test('RFC 791 §2.3: first fragment parses its UDP header; a later one is ipv4-fragment with IP fields', () => {
    const first = parse(V.UDP4_FIRST_FRAGMENT)
    expect(first.r).toBeNull()
    expect([first.p.isFragment, first.p.srcPort, first.p.dstPort]).toEqual([true, 8080, 80])
    const later = parse(V.IPV4_LATER_FRAGMENT)
    expect(later.r).toBe('ipv4-fragment')
    expect([
      later.p.version,
      later.p.protocol,
      later.p.dst4,
      later.p.l4,
      later.p.ipv4.fragmentOffset,
    ]).toEqual([4, 17, a4('192.0.2.7'), L4_NONE, 16])
  })

  test('RFC 8200 §4.5: an atomic fragment (offset 0, M 0) holds the whole datagram: UDP length and checksum are checked', () => {
    const s = { src: a6('fd00::1'), dst: a6('fd00::2'), ext: [{ type: 44 as const, id: 5 }] }
    const b = buildUdp6({ ...s, srcPort: 1, dstPort: 2, payload: new Uint8Array(4) })
    const ok = parse(b)
    expect([ok.r, ok.p.isFragment, ok.p.moreFragments, ok.p.verifyChecksums()]).toEqual([
      null,
      true,
      false,
      null,
    ])
    b[b.length - 1] ^= 1
    expect(parse(b).p.verifyChecksums()).toBe('udp-bad-checksum')
    b[48 + 5] += 1 // UDP length one past the payload
    expect(parse(b).r).toBe('udp-bad-length')
    // With M set (a first fragment), the same UDP length is accepted: the rest follows in later fragments.
    const first = buildIpv6({
      ...s,
      ext: [{ type: 44, more: true, id: 5 }],
      protocol: 17,
      payload: b.subarray(48),
    })
    const f = parse(first)
    expect([f.r, f.p.moreFragments, f.p.srcPort, f.p.verifyChecksums()]).toEqual([null, true, 1, null])
  })

  test('RFC 8200 §4.5: a later IPv6 fragment is ipv6-fragment with the fragment fields', () => {
    const { p, r } = parse(V.IPV6_LATER_FRAGMENT)
    expect(r).toBe('ipv6-fragment')
    expect([p.protocol, p.ipv6.fragmentOffset, p.ipv6.moreFragments, p.ipv6.fragmentId, p.l4]).toEqual([
      17,
      8,
      false,
      0xdeadbeef,
      L4_NONE,
    ])
  })
})

describe('construct: the builder reproduces the vectors byte for byte', () => {
  const s4 = { src: a4('10.0.0.1'), dst: a4('192.0.2.7') }
  const s6 = { src: a6('fd00::1'), dst: a6('2001:db8::7') }
  test('UDPv4', () => {
    expect(
      hex(buildUdp4({ ...s4, ident: 0x1234, srcPort: 5353, dstPort: 53, payload: Buffer.from('hello') })),
    ).toBe(hex(V.UDP4))
  })
  test('TCPv6', () => {
    expect(
      hex(buildTcp6({ ...s6, srcPort: 40000, dstPort: 443, seq: 1, flags: TCP_SYN, window: 64240 })),
    ).toBe(hex(V.TCP6))
  })
  test('UDPv6 with hop-by-hop and destination options', () => {
    const padN = Uint8Array.of(1, 4, 0, 0, 0, 0)
    const b = buildUdp6({
      ...s6,
      ext: [
        { type: 0, data: padN },
        { type: 60, data: padN },
      ],
      srcPort: 5353,
      dstPort: 53,
      payload: Buffer.from('hi'),
    })
    expect(hex(b)).toBe(hex(V.UDP6_EXT))
  })
  test('ICMP echo v4 and v6', () => {
    expect(hex(buildIcmp6Echo({ ...s6, id: 0x4242, seq: 7, payload: Buffer.from('ping') }))).toBe(
      hex(V.ICMP6_ECHO),
    )
    expect(
      hex(buildIcmp4Echo({ ...s4, ident: 9, id: 0x1234, seq: 1, payload: Buffer.from('abcdefgh') })),
    ).toBe(hex(V.ICMP4_ECHO))
  })
  test('IPv4 options and TCP', () => {
    const b = buildTcp4({
      ...s4,
      ident: 2,
      ipOptions: Uint8Array.of(1, 1, 1, 0),
      srcPort: 40000,
      dstPort: 80,
      seq: 100,
      flags: TCP_SYN,
      window: 1024,
    })
    expect(hex(b)).toBe(hex(V.TCP4_OPTIONS))
  })
  test('ICMPv4 port unreachable with a quote', () => {
    const inner = buildUdp4({
      src: a4('10.0.0.1'),
      dst: a4('192.0.2.1'),
      ident: 7,
      srcPort: 1000,
      dstPort: 2000,
      payload: Buffer.from('abcd'),
    })
    const b = buildIcmp4({
      src: a4('192.0.2.1'),
      dst: a4('10.0.0.1'),
      ident: 1,
      type: 3,
      code: 3,
      payload: inner,
    })
    expect(hex(b)).toBe(hex(V.ICMP4_PORT_UNREACH))
  })
  test('fragments, v4 and v6', () => {
    const udpHead = Uint8Array.from(Buffer.from('1f90005000200000', 'hex'))
    const first = buildIpv4({
      ...s4,
      ident: 3,
      moreFragments: true,
      protocol: 17,
      payload: Uint8Array.from([...udpHead, ...Buffer.from('xxxxxxxx')]),
    })
    expect(hex(first)).toBe(hex(V.UDP4_FIRST_FRAGMENT))
    const later = buildIpv4({
      ...s4,
      ident: 3,
      fragmentOffset: 16,
      protocol: 17,
      payload: Buffer.from('yyyyyyyy'),
    })
    expect(hex(later)).toBe(hex(V.IPV4_LATER_FRAGMENT))
    const v6 = buildIpv6({
      ...s6,
      ext: [{ type: 44, offset: 8, more: false, id: 0xdeadbeef }],
      protocol: 17,
      payload: Buffer.from('zzzzzzzz'),
    })
    expect(hex(v6)).toBe(hex(V.IPV6_LATER_FRAGMENT))
  })
  test('writes at an offset into a larger buffer, leaving the rest alone', () => {
    const out = new Uint8Array(100).fill(0xee)
    const b = buildUdp4(
      { ...s4, ident: 0x1234, srcPort: 5353, dstPort: 53, payload: Buffer.from('hello') },
      out,
      7,
    )
    expect(b.byteOffset).toBe(7)
    expect(hex(b)).toBe(hex(V.UDP4))
    expect(out[6]).toBe(0xee)
    expect(out[7 + V.UDP4.length]).toBe(0xee)
  })
})

describe('round trip: build -> parse for every kind (fast-check)', () => {
  test('fields come back, checksums verify, also at an offset in a larger buffer', () => {
    fc.assert(
      fc.property(anyPacket, fc.nat(32), ({ kind, spec, bytes }, pad) => {
        const big = new Uint8Array(pad + bytes.length + 5).fill(0xab)
        big.set(bytes, pad)
        const { p, r } = parse(big, pad, bytes.length)
        expect(r).toBeNull()
        expect(p.verifyChecksums()).toBeNull()
        const s = spec as Record<string, unknown>
        expect(p.version).toBe(kind.endsWith('4') ? 4 : 6)
        if (p.version === 4) {
          expect([p.src4, p.dst4, p.ttl]).toEqual([s.src as number, s.dst as number, s.ttl as number])
        } else {
          expect(hex(big.subarray(p.srcAddrOff, p.srcAddrOff + 16))).toBe(hex(s.src as Uint8Array))
          expect(hex(big.subarray(p.dstAddrOff, p.dstAddrOff + 16))).toBe(hex(s.dst as Uint8Array))
          expect(p.ttl).toBe(s.hopLimit as number)
          expect(p.ipv6.flowLabel).toBe(s.flowLabel as number)
          expect(p.ipv6.trafficClass).toBe(s.trafficClass as number)
        }
        const payload = s.payload as Uint8Array
        expect(hex(big.subarray(p.payloadOff, p.payloadOff + p.payloadLen))).toBe(hex(payload))
        if (kind.startsWith('udp')) {
          expect([p.l4, p.srcPort, p.dstPort]).toEqual([L4_UDP, s.srcPort as number, s.dstPort as number])
        } else if (kind.startsWith('tcp')) {
          expect([p.l4, p.srcPort, p.dstPort, p.tcp.seq, p.tcp.ack, p.tcp.flags, p.tcp.window]).toEqual([
            L4_TCP,
            s.srcPort as number,
            s.dstPort as number,
            s.seq as number,
            s.ack as number,
            s.flags as number,
            s.window as number,
          ])
        } else {
          expect([p.l4, p.isIcmpEcho, p.srcPort, p.dstPort]).toEqual([
            L4_ICMP,
            true,
            s.id as number,
            s.id as number,
          ])
          expect(p.version === 4 ? p.icmpv4.echoSeq : p.icmpv6.echoSeq).toBe(s.seq as number)
        }
      }),
      { numRuns: 300 },
    )
  })
})

/** Every field of a parsed packet is a finite number / boolean, and every offset lies inside the packet. */
function assertSane(p: IpPacket) {
  const off = p.off
  const end = p.off + p.len
  for (const v of [
    p.version,
    p.ipLen,
    p.ipHeaderLen,
    p.protocol,
    p.src4,
    p.dst4,
    p.srcPort,
    p.dstPort,
    p.ttl,
  ]) {
    expect(Number.isFinite(v)).toBe(true)
  }
  expect(p.srcAddrOff).toBeGreaterThanOrEqual(off)
  expect(p.dstAddrOff + (p.version === 4 ? 4 : 16)).toBeLessThanOrEqual(end)
  expect(p.l4Off).toBeGreaterThanOrEqual(off)
  expect(p.l4Off + p.l4Len).toBeLessThanOrEqual(end)
  expect(p.payloadOff).toBeGreaterThanOrEqual(p.l4Off)
  expect(p.payloadLen).toBeGreaterThanOrEqual(0)
  expect(p.payloadOff + p.payloadLen).toBeLessThanOrEqual(p.l4Off + p.l4Len)
  if (p.l4 === L4_TCP) {
    for (const v of [p.tcp.seq, p.tcp.ack, p.tcp.window, p.tcp.checksum, p.tcp.urgent]) {
      expect(Number.isFinite(v)).toBe(true)
    }
  }
  if (p.isIcmpError) {
    const q = p.quote
    for (const v of [q.srcPort, q.dstPort, q.protocol, q.src4, q.dst4, q.totalLen]) {
      expect(Number.isFinite(v)).toBe(true)
    }
    // Ports and identifiers come from 8 quoted transport bytes; other protocols need none.
    if ([6, 17, 1, 58].includes(q.protocol)) expect(q.l4Off + 8).toBeLessThanOrEqual(end)
    expect(q.l4Off + q.l4Len).toBeLessThanOrEqual(end)
    expect(q.dstAddrOff + (q.version === 4 ? 4 : 16)).toBeLessThanOrEqual(end)
  }
  expect(p.verifyChecksums() === null || DROP_REASONS.includes(p.verifyChecksums()!)).toBe(true)
}

describe('hostile input never throws and yields a typed DropReason', () => {
  const parser = new IpPacket()
  const check = (b: Uint8Array, off = 0, len = b.length - off) => {
    const r = parser.reset(b, off, len)
    if (r === null) assertSane(parser)
    else expect(DROP_REASONS).toContain(r)
    return r
  }

  test('random bytes (with a plausible first byte half the time)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.constantFrom(-1, 0x45, 0x46, 0x4f, 0x60, 0x44),
        (b, first) => {
          if (first >= 0 && b.length > 0) b[0] = first
          check(b)
        },
      ),
      { numRuns: FUZZ_RUNS || 2000 },
    )
  })

  test('every truncation of a valid packet of every kind (and of ICMP errors)', () => {
    fc.assert(
      fc.property(fc.oneof(anyPacket, icmpError), (x) => {
        const b = x.bytes
        for (let n = 0; n <= b.length; n++) check(b, 0, n)
      }),
      { numRuns: FUZZ_RUNS ? FUZZ_RUNS / 50 : 100 },
    )
  })

  test('random byte flips in valid packets', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyPacket, icmpError),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (x, flips) => {
          const b = Uint8Array.from(x.bytes)
          for (const [i, v] of flips) b[i % b.length] = v
          check(b)
        },
      ),
      { numRuns: FUZZ_RUNS || 1000 },
    )
  })

  test('offsets and lengths outside the buffer are ip-truncated, not reads past the end', () => {
    expect(check(V.UDP4, 0, V.UDP4.length + 1)).toBe('ip-truncated')
    expect(check(V.UDP4, -1, 10)).toBe('ip-truncated')
    expect(check(V.UDP4, 0, 0)).toBe('ip-truncated')
  })
})

describe('malformed headers give the specific DropReason', () => {
  const mut = (b: Uint8Array, f: (c: Uint8Array) => void) => {
    const c = Uint8Array.from(b)
    f(c)
    return parse(c).r
  }
  test('unknown version', () => {
    expect(mut(V.UDP4, (c) => (c[0] = 0x55))).toBe('ip-bad-version')
    expect(mut(V.UDP4, (c) => (c[0] = 0x05))).toBe('ip-bad-version')
  })
  test('RFC 791 §3.1: IHL below 5 or beyond the buffer', () => {
    expect(mut(V.UDP4, (c) => (c[0] = 0x44))).toBe('ipv4-bad-ihl')
    expect(mut(V.UDP4, (c) => (c[0] = 0x4f))).toBe('ipv4-bad-ihl')
    expect(parse(V.UDP4, 0, 19).r).toBe('ipv4-truncated')
  })
  test('RFC 791 §3.1: total length disagreeing with the buffer or the header', () => {
    expect(mut(V.UDP4, (c) => (c[3] = c[3] + 1))).toBe('ipv4-bad-total-len')
    expect(mut(V.UDP4, (c) => (c[3] = 19))).toBe('ipv4-bad-total-len')
    // A buffer longer than the total length is padding: accepted, ipLen from the header.
    const padded = new Uint8Array(V.UDP4.length + 6)
    padded.set(V.UDP4)
    const { p, r } = parse(padded)
    expect([r, p.ipLen, p.payloadLen]).toEqual([null, V.UDP4.length, 5])
  })
  test('RFC 8200 §3: payload length beyond the buffer; shorter than 40 bytes', () => {
    expect(mut(V.TCP6, (c) => (c[5] = c[5] + 1))).toBe('ipv6-bad-payload-len')
    expect(parse(V.TCP6, 0, 39).r).toBe('ipv6-truncated')
  })
  test('RFC 8200 §4.1: hop-by-hop after another extension header', () => {
    const s = { src: a6('fd00::1'), dst: a6('fd00::2') }
    const b = buildUdp6({ ...s, ext: [{ type: 60 }, { type: 0 }], srcPort: 1, dstPort: 2 })
    expect(parse(b).r).toBe('ipv6-hop-by-hop-not-first')
  })
  test('RFC 8200 §4.1: a chain of more than 8 extension headers (a repeating chain) is ipv6-ext-loop', () => {
    const s = { src: a6('fd00::1'), dst: a6('fd00::2') }
    const eight = buildUdp6({
      ...s,
      ext: Array.from({ length: 8 }, () => ({ type: 60 as const })),
      srcPort: 1,
      dstPort: 2,
    })
    expect(parse(eight).r).toBeNull()
    const nine = buildUdp6({
      ...s,
      ext: Array.from({ length: 9 }, () => ({ type: 60 as const })),
      srcPort: 1,
      dstPort: 2,
    })
    expect(parse(nine).r).toBe('ipv6-ext-loop')
  })
  test('RFC 8200 §4: an extension header running past the payload', () => {
    expect(mut(V.UDP6_EXT, (c) => (c[41] = 9))).toBe('ipv6-ext-truncated')
    // Payload length cut to end inside the destination options header.
    expect(mut(V.UDP6_EXT, (c) => (c[5] = 12))).toBe('ipv6-ext-truncated')
  })
  test('RFC 9293 §3.1: data offset below 5 or past the segment; fewer than 20 bytes', () => {
    expect(mut(V.TCP6, (c) => (c[52] = 0x40))).toBe('tcp-bad-data-offset')
    expect(mut(V.TCP6, (c) => (c[52] = 0x60))).toBe('tcp-bad-data-offset')
    const b = buildIpv4({ src: 1, dst: 2, protocol: 6, payload: new Uint8Array(19) })
    expect(parse(b).r).toBe('tcp-truncated')
  })
  test('RFC 768: UDP length below 8 or beyond the IP payload; fewer than 8 bytes', () => {
    expect(mut(V.UDP4, (c) => (c[25] = 7))).toBe('udp-bad-length')
    expect(mut(V.UDP4, (c) => (c[25] = 14))).toBe('udp-bad-length')
    expect(parse(buildIpv4({ src: 1, dst: 2, protocol: 17, payload: new Uint8Array(7) })).r).toBe(
      'udp-truncated',
    )
    // A length field shorter than the IP payload: the rest is padding (payloadLen from the UDP length).
    const { p, r } = parse(
      (() => {
        const c = Uint8Array.from(V.UDP4)
        c[25] = 10
        return c
      })(),
    )
    expect([r, p.payloadLen]).toEqual([null, 2])
  })
  test('RFC 792 / RFC 4443 §2.1: ICMP shorter than 8 bytes', () => {
    expect(parse(buildIpv4({ src: 1, dst: 2, protocol: 1, payload: new Uint8Array(7) })).r).toBe(
      'icmpv4-truncated',
    )
    const s = { src: a6('fd00::1'), dst: a6('fd00::2') }
    expect(parse(buildIpv6({ ...s, protocol: 58, payload: new Uint8Array(4) })).r).toBe('icmpv6-truncated')
  })
  test('RFC 792: quotes with less than IP header + 8 bytes, a wrong version, a bad IHL, a later fragment', () => {
    const err = (quote: Uint8Array) =>
      parse(buildIcmp4({ src: 1, dst: 2, type: 3, code: 1, payload: quote })).r
    const inner = buildTcp4({ src: 2, dst: 3, srcPort: 4, dstPort: 5 })
    expect(err(inner.subarray(0, 27))).toBe('icmp-quote-truncated')
    expect(err(inner.subarray(0, 28))).toBeNull()
    expect(err(inner.subarray(0, 12))).toBe('icmp-quote-truncated')
    expect(err(V.TCP6)).toBe('icmp-quote-bad-version')
    const badIhl = Uint8Array.from(inner)
    badIhl[0] = 0x44
    expect(err(badIhl)).toBe('icmp-quote-bad-ihl')
    expect(err(V.IPV4_LATER_FRAGMENT)).toBe('icmp-quote-fragment')
  })
  test('other protocols pass with no ports; IPv6 No Next Header has no upper layer', () => {
    const gre = parse(buildIpv4({ src: 1, dst: 2, protocol: 47, payload: new Uint8Array(4) }))
    expect([gre.r, gre.p.l4, gre.p.protocol, gre.p.srcPort, gre.p.payloadLen]).toEqual([
      null,
      L4_OTHER,
      47,
      0,
      4,
    ])
    const s = { src: a6('fd00::1'), dst: a6('fd00::2') }
    const none = parse(buildIpv6({ ...s, protocol: 59, payload: new Uint8Array(0) }))
    expect([none.r, none.p.l4, none.p.protocol]).toEqual([null, L4_NONE, 59])
  })
})

describe('RFC 768 / RFC 8200 §8.1 UDP zero checksum', () => {
  test('zero is accepted on IPv4 and kept zero by every setter', () => {
    const b = buildUdp4({
      src: 1,
      dst: 2,
      srcPort: 3,
      dstPort: 4,
      zeroChecksum: true,
      payload: new Uint8Array(3),
    })
    const { p } = parse(b)
    expect(p.udp.checksum).toBe(0)
    expect(p.verifyChecksums()).toBeNull()
    p.setSrc4(0x01020304)
    p.setDst4(0x05060708)
    p.setSrcPort(999)
    p.setDstPort(1000)
    expect(p.udp.checksum).toBe(0)
    expect(p.verifyChecksums()).toBeNull()
  })
  test('zero is rejected on IPv6', () => {
    const b = buildUdp6({ src: a6('fd00::1'), dst: a6('fd00::2'), srcPort: 3, dstPort: 4 })
    b[46] = 0
    b[47] = 0
    expect(parse(b).p.verifyChecksums()).toBe('udp-bad-checksum')
  })
  test('a computed zero is sent as 0xffff, by the builder and after a rewrite', () => {
    // Choose the payload word w so that the folded sum is 0xffff, i.e. the computed checksum is 0.
    const base = buildUdp4({ src: 1, dst: 2, srcPort: 3, dstPort: 4, payload: new Uint8Array(2) })
    base[26] = 0
    base[27] = 0
    const w = 0xffff - fold(sum(base, 20, 10, pseudoV4(1, 2, 17, 10)))
    const b = buildUdp4({ src: 1, dst: 2, srcPort: 3, dstPort: 4, payload: Uint8Array.of(w >> 8, w & 0xff) })
    expect(b[26] === 0 && b[27] === 0).toBe(false)
    const { p } = parse(b)
    expect(p.verifyChecksums()).toBeNull()
    expect(p.udp.checksum).toBe(0xffff)
    // Rewrite to a port and back: the incremental path must also avoid writing 0.
    p.setSrcPort(77)
    p.setSrcPort(3)
    expect(p.udp.checksum).not.toBe(0)
    expect(p.verifyChecksums()).toBeNull()
  })
})

describe('RFC 1624: incremental update equals a full recompute after every setter', () => {
  const same = (a: number, b: number) => expect(a % 0xffff).toBe(b % 0xffff)
  const compareWithFull = (p: IpPacket) => {
    expect(p.verifyChecksums()).toBeNull()
    const copy = Uint8Array.from(p.buf.subarray(p.off, p.off + p.len))
    const q = new IpPacket()
    expect(q.reset(copy, 0, copy.length)).toBeNull()
    q.fillChecksums()
    if (p.version === 4) same(p.ipv4.checksum, q.ipv4.checksum)
    if (p.l4ChecksumOff >= 0) {
      const mine = (p.buf[p.l4ChecksumOff] << 8) | p.buf[p.l4ChecksumOff + 1]
      const full = (copy[q.l4ChecksumOff] << 8) | copy[q.l4ChecksumOff + 1]
      same(mine, full)
    }
  }
  const op = fc.oneof(
    fc.record({
      k: fc.constant('src'),
      v: fc.nat(0xffffffff),
      a: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    }),
    fc.record({
      k: fc.constant('dst'),
      v: fc.nat(0xffffffff),
      a: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    }),
    fc.record({ k: fc.constant('sport'), v: fc.integer({ min: 0, max: 0xffff }) }),
    fc.record({ k: fc.constant('dport'), v: fc.integer({ min: 0, max: 0xffff }) }),
    fc.record({ k: fc.constant('echo'), v: fc.integer({ min: 0, max: 0xffff }) }),
    fc.record({ k: fc.constant('ttl'), v: fc.integer({ min: 0, max: 255 }) }),
  )
  test('setSrc/Dst (v4, v6), setSrc/DstPort, setEchoId, setTtl, in any order', () => {
    fc.assert(
      fc.property(anyPacket, fc.array(op, { minLength: 1, maxLength: 6 }), ({ bytes }, ops) => {
        const b = Uint8Array.from(bytes)
        const { p } = parse(b)
        for (const o of ops) {
          const v = (o as { v: number }).v
          const a = (o as { a?: Uint8Array }).a
          if (o.k === 'src') p.version === 4 ? p.setSrc4(v) : p.setSrc6(a!, 0)
          else if (o.k === 'dst') p.version === 4 ? p.setDst4(v) : p.setDst6(a!, 0)
          else if (o.k === 'sport') p.setSrcPort(v)
          else if (o.k === 'dport') p.setDstPort(v)
          else if (o.k === 'echo') p.setEchoId(v)
          else p.setTtl(v)
          compareWithFull(p)
        }
        // The key fields follow the setters.
        const again = parse(b).p
        expect([again.src4, again.dst4, again.srcPort, again.dstPort, again.ttl]).toEqual([
          p.src4,
          p.dst4,
          p.srcPort,
          p.dstPort,
          p.ttl,
        ])
      }),
      { numRuns: 300 },
    )
  })

  test('quote setters keep the quoted IPv4 header, quoted transport and outer ICMP checksums right', () => {
    fc.assert(
      fc.property(
        icmpError,
        fc.nat(0xffffffff),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        (e, v4, v6, port, port2) => {
          const b = Uint8Array.from(e.bytes)
          const { p, r } = parse(b)
          expect(r).toBeNull()
          const q = p.quote
          if (e.v6) {
            q.setDst6(v6, 0)
            q.setSrc6(v6, 0)
          } else {
            q.setDst4(v4)
            q.setSrc4(v4 ^ 0x5a5a)
          }
          q.setSrcPort(port)
          q.setDstPort(port2)
          q.setEchoId(port)
          // The outer ICMP checksum verifies over the rewritten quote.
          expect(p.verifyChecksums()).toBeNull()
          // The quoted IPv4 header checksum verifies.
          if (!e.v6) expect(finish(sum(b, q.off, q.ipHeaderLen, 0))).toBe(0)
          // A complete quote is a whole packet again: its transport checksum verifies too.
          if (e.quote.length === e.quoted.length) {
            const inner = parse(b, q.off, q.len)
            expect(inner.r).toBeNull()
            expect(inner.p.verifyChecksums()).toBeNull()
            if (e.inner === 'echo') expect(inner.p.srcPort).toBe(port)
            else expect([inner.p.srcPort, inner.p.dstPort]).toEqual([port, port2])
          }
          // And re-parsing the error gives the rewritten key.
          const again = parse(b).p.quote
          expect([again.srcPort, again.dstPort]).toEqual(e.inner === 'echo' ? [port, port] : [port, port2])
          if (!e.v6) expect([again.src4, again.dst4]).toEqual([(v4 ^ 0x5a5a) >>> 0, v4])
        },
      ),
      { numRuns: 300 },
    )
  })

  test('outer rewrites of an ICMPv6 error keep its pseudo-header checksum right', () => {
    const b = Uint8Array.from(V.ICMP6_UNREACH_TRUNCATED_TCP)
    const { p } = parse(b)
    p.setSrc6(a6('fd00:2021:1111:8000::7'), 0)
    p.setDst6(a6('fd00::99'), 0)
    expect(p.verifyChecksums()).toBeNull()
  })
})
