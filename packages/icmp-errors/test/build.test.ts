import { describe, expect, test } from 'bun:test'
import { get16, get32 } from '@gatehouse/ip-packet'
import fc from 'fast-check'
import {
  buildIcmpv4Error,
  buildIcmpv6Error,
  buildV4AdminProhibited,
  buildV4FragmentationNeeded,
  buildV4NetUnreachable,
  buildV4ParameterProblem,
  buildV6AddressUnreachable,
  buildV6AdminProhibited,
  buildV6PacketTooBig,
  buildV6ParameterProblem,
  ICMP_REASONS,
  IcmpRateLimiter,
  type IcmpReason,
  type Icmpv4ErrorSpec,
  type Icmpv6ErrorSpec,
} from '../src/index.ts'
import { icmp, icmpv4Ok, icmpv6Ok, ipv4HeaderOk, ipv4Packet, ipv6Packet, tcp, udp, v6 } from './helpers.ts'

/** Hostile-input runs; `FUZZ_RUNS=1000000 bun run fuzz` for a long campaign. */
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 500)

const GW4 = 0x64400001 // 100.64.0.1
const GW6 = v6('fd00:2021:1111::1')
const out = new Uint8Array(2048)

function asLen(r: number | string): number {
  if (typeof r !== 'number') throw new Error(`declined: ${r}`)
  return r
}

describe('ICMPv4 errors (RFC 792, RFC 1812 §4.3.2)', () => {
  const pkt = ipv4Packet(udp(40000, 53, 12), { src: 0x0a000001, dst: 0x08080808, tos: 0x10 })

  test('RFC 792: 3/0 network unreachable quotes the whole small datagram, from the gateway to the source', () => {
    const n = asLen(buildV4NetUnreachable(pkt, 0, pkt.length, GW4, out, 0))
    expect(n).toBe(20 + 8 + pkt.length)
    expect(out[0]).toBe(0x45)
    expect(get16(out, 2)).toBe(n)
    expect(out[9]).toBe(1)
    expect(get32(out, 12)).toBe(GW4)
    expect(get32(out, 16)).toBe(0x0a000001)
    expect(out[20]).toBe(3)
    expect(out[21]).toBe(0)
    expect(get32(out, 24)).toBe(0)
    expect(Array.from(out.subarray(28, n))).toEqual(Array.from(pkt))
    expect(ipv4HeaderOk(out)).toBe(true)
    expect(icmpv4Ok(out)).toBe(true)
  })

  test('RFC 6864 §4.2: the error is an atomic datagram (DF set, offset 0, identification 0)', () => {
    asLen(buildV4NetUnreachable(pkt, 0, pkt.length, GW4, out, 0))
    expect([out[4], out[5], out[6], out[7]]).toEqual([0, 0, 0x40, 0])
  })

  test('RFC 1812 §4.3.2.5: precedence 6 (internetwork control), TOS bits of the offending packet', () => {
    asLen(buildV4NetUnreachable(pkt, 0, pkt.length, GW4, out, 0))
    expect(out[1] & 0xe0).toBe(0xc0)
    expect(out[1] & 0x1c).toBe(0x10)
  })

  test('RFC 1812 §4.3.2.3: a large datagram is quoted up to a 576-byte error', () => {
    const big = ipv4Packet(tcp(1234, 443, 1400))
    const n = asLen(buildV4AdminProhibited(big, 0, big.length, GW4, out, 0))
    expect(n).toBe(576)
    expect(out[21]).toBe(13)
    expect(Array.from(out.subarray(28, 576))).toEqual(Array.from(big.subarray(0, 548)))
    expect(icmpv4Ok(out)).toBe(true)
  })

  test('RFC 1191 §4: 3/4 carries the next-hop MTU in bytes 6-7', () => {
    const n = asLen(buildV4FragmentationNeeded(pkt, 0, pkt.length, 1280, GW4, out, 0))
    expect(out.subarray(20, 28)).toEqual(new Uint8Array([3, 4, out[22], out[23], 0, 0, 0x05, 0x00]))
    expect(icmpv4Ok(out.subarray(0, n))).toBe(true)
  })

  test('RFC 792: 12/0 parameter problem carries the pointer in byte 4', () => {
    asLen(buildV4ParameterProblem(pkt, 0, pkt.length, 9, GW4, out, 0))
    expect(out[20]).toBe(12)
    expect(out[24]).toBe(9)
    expect(icmpv4Ok(out)).toBe(true)
  })

  test('writes at an offset and reads the offending packet at an offset', () => {
    const buf = new Uint8Array(100 + pkt.length)
    buf.set(pkt, 37)
    const n = asLen(buildV4NetUnreachable(buf, 37, pkt.length, GW4, out, 11))
    expect(ipv4HeaderOk(out, 11)).toBe(true)
    expect(icmpv4Ok(out, 11)).toBe(true)
    expect(Array.from(out.subarray(11 + 28, 11 + n))).toEqual(Array.from(pkt))
  })

  test('the quote shrinks to the output buffer, but never below the IP header + 8 bytes (RFC 792)', () => {
    const big = ipv4Packet(tcp(1234, 443, 1400))
    const small = new Uint8Array(100)
    expect(asLen(buildV4NetUnreachable(big, 0, big.length, GW4, small, 0))).toBe(100)
    expect(icmpv4Ok(small)).toBe(true)
    expect(buildV4NetUnreachable(big, 0, big.length, GW4, new Uint8Array(55), 0)).toBe(
      'icmp-buffer-too-small',
    )
  })

  test('unsupported types and malformed offending packets are declined', () => {
    const spec: Icmpv4ErrorSpec = { type: 0, code: 0, src: GW4 }
    expect(buildIcmpv4Error(pkt, 0, pkt.length, spec, out, 0)).toBe('icmp-unsupported-type')
    spec.type = 3
    expect(buildIcmpv4Error(pkt, 0, 19, spec, out, 0)).toBe('icmp-offending-malformed')
    const v6pkt = ipv6Packet(udp(1, 2))
    expect(buildIcmpv4Error(v6pkt, 0, v6pkt.length, spec, out, 0)).toBe('icmp-offending-malformed')
  })
})

describe('RFC 1122 §3.2.2 / RFC 1812 §4.3.2.7: when not to send an ICMPv4 error', () => {
  const cases: [string, Uint8Array, IcmpReason][] = [
    [
      'an ICMP error (3)',
      ipv4Packet(icmp(3, 3, 0, new Uint8Array(28)), { proto: 1 }),
      'icmp-about-icmp-error',
    ],
    [
      'an ICMP error (11)',
      ipv4Packet(icmp(11, 0, 0, new Uint8Array(28)), { proto: 1 }),
      'icmp-about-icmp-error',
    ],
    [
      'an ICMP error (12)',
      ipv4Packet(icmp(12, 0, 0, new Uint8Array(28)), { proto: 1 }),
      'icmp-about-icmp-error',
    ],
    [
      'an ICMP redirect (5)',
      ipv4Packet(icmp(5, 1, 0, new Uint8Array(28)), { proto: 1 }),
      'icmp-about-redirect',
    ],
    ['a non-first fragment', ipv4Packet(udp(1, 2), { fragOff: 185 }), 'icmp-non-first-fragment'],
    ['a multicast destination', ipv4Packet(udp(1, 2), { dst: 0xe0000001 }), 'icmp-dst-multicast'],
    ['the broadcast destination', ipv4Packet(udp(1, 2), { dst: 0xffffffff }), 'icmp-dst-broadcast'],
    ['a zero source', ipv4Packet(udp(1, 2), { src: 0 }), 'icmp-src-unspecified'],
    ['a loopback source', ipv4Packet(udp(1, 2), { src: 0x7f000001 }), 'icmp-src-loopback'],
    ['a multicast source', ipv4Packet(udp(1, 2), { src: 0xef000001 }), 'icmp-src-multicast'],
    ['the broadcast source', ipv4Packet(udp(1, 2), { src: 0xffffffff }), 'icmp-src-broadcast'],
    ['a Class E source', ipv4Packet(udp(1, 2), { src: 0xf0000001 }), 'icmp-src-reserved'],
  ]
  for (const [what, p, reason] of cases) {
    test(`never about ${what}: ${reason}`, () => {
      out.fill(0xaa, 0, 64)
      expect(buildV4NetUnreachable(p, 0, p.length, GW4, out, 0)).toBe(reason)
      expect(out[0]).toBe(0xaa) // nothing written
    })
  }

  test('an echo request, a first fragment and a unicast packet are answered', () => {
    for (const p of [
      ipv4Packet(icmp(8, 0, 0x00010001, new Uint8Array(56)), { proto: 1 }),
      ipv4Packet(udp(1, 2, 100), { mf: true }),
      ipv4Packet(tcp(1, 2)),
    ]) {
      expect(typeof buildV4NetUnreachable(p, 0, p.length, GW4, out, 0)).toBe('number')
    }
  })

  test('property: every decline is a known reason and writes nothing; every build verifies', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.constantFrom(1, 6, 17, 47),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 1600 }),
        (src, dst, proto, firstByte, frag, size) => {
          const payload = new Uint8Array(size).fill(7)
          if (size > 0) payload[0] = firstByte
          const p = ipv4Packet(payload, { src, dst, proto, fragOff: frag === 3 ? 100 : 0 })
          out.fill(0xaa, 0, 40)
          const r = buildV4NetUnreachable(p, 0, p.length, GW4, out, 0)
          if (typeof r === 'string') {
            expect(ICMP_REASONS).toContain(r)
            expect(out[0]).toBe(0xaa)
          } else {
            expect(r).toBeLessThanOrEqual(576)
            expect(r).toBe(28 + Math.min(p.length, 548))
            expect(ipv4HeaderOk(out)).toBe(true)
            expect(icmpv4Ok(out)).toBe(true)
            expect(get32(out, 16)).toBe(src)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('ICMPv6 errors (RFC 4443)', () => {
  const pkt = ipv6Packet(udp(40000, 53, 12), {
    src: v6('fd00:2021:1111::42'),
    dst: v6('fd00:2021:1111:8000::7'),
  })

  test('RFC 4443 §3.1: 1/3 address unreachable quotes the datagram, checksum over the pseudo-header', () => {
    const n = asLen(buildV6AddressUnreachable(pkt, 0, pkt.length, GW6, 0, out, 0))
    expect(n).toBe(48 + pkt.length)
    expect(out[0] >> 4).toBe(6)
    expect(get16(out, 4)).toBe(n - 40)
    expect(out[6]).toBe(58)
    expect(Array.from(out.subarray(8, 24))).toEqual(Array.from(GW6))
    expect(Array.from(out.subarray(24, 40))).toEqual(Array.from(pkt.subarray(8, 24)))
    expect(out[40]).toBe(1)
    expect(out[41]).toBe(3)
    expect(Array.from(out.subarray(48, n))).toEqual(Array.from(pkt))
    expect(icmpv6Ok(out)).toBe(true)
  })

  test('RFC 4443 §2.4(c): a 1400-byte packet is quoted up to a 1280-byte error', () => {
    const big = ipv6Packet(tcp(1234, 443, 1340), { proto: 6 })
    const n = asLen(buildV6AdminProhibited(big, 0, big.length, GW6, 0, out, 0))
    expect(n).toBe(1280)
    expect(out[41]).toBe(1)
    expect(Array.from(out.subarray(48, 1280))).toEqual(Array.from(big.subarray(0, 1232)))
    expect(icmpv6Ok(out)).toBe(true)
  })

  test('RFC 4443 §3.2: Packet Too Big carries the MTU in bytes 4-7', () => {
    asLen(buildV6PacketTooBig(pkt, 0, pkt.length, 1400, GW6, 0, out, 0))
    expect(out[40]).toBe(2)
    expect(get32(out, 44)).toBe(1400)
    expect(icmpv6Ok(out)).toBe(true)
  })

  test('RFC 4443 §3.4: Parameter Problem carries the pointer in bytes 4-7', () => {
    asLen(buildV6ParameterProblem(pkt, 0, pkt.length, 1, 40, GW6, 0, out, 0))
    expect(out[40]).toBe(4)
    expect(out[41]).toBe(1)
    expect(get32(out, 44)).toBe(40)
    expect(icmpv6Ok(out)).toBe(true)
  })

  test('unsupported types are declined', () => {
    const spec: Icmpv6ErrorSpec = { type: 128, code: 0, src: GW6 }
    expect(buildIcmpv6Error(pkt, 0, pkt.length, spec, out, 0)).toBe('icmp-unsupported-type')
  })
})

describe('RFC 4443 §2.4(e): when not to send an ICMPv6 error', () => {
  const hbh = { type: 0, bytes: new Uint8Array(8) }
  const frag = (offset: number) => {
    const b = new Uint8Array(8)
    b[2] = (offset << 3) >> 8
    b[3] = (offset << 3) & 0xff
    return { type: 44, bytes: b }
  }
  const cases: [string, Uint8Array, IcmpReason][] = [
    [
      '(e.1) an ICMPv6 error',
      ipv6Packet(icmp(1, 4, 0, new Uint8Array(48)), { proto: 58 }),
      'icmp-about-icmp-error',
    ],
    [
      '(e.1) a Packet Too Big',
      ipv6Packet(icmp(2, 0, 1280, new Uint8Array(48)), { proto: 58 }),
      'icmp-about-icmp-error',
    ],
    [
      '(e.1) an ICMPv6 error behind a hop-by-hop header',
      ipv6Packet(icmp(3, 0, 0, new Uint8Array(48)), { proto: 58, ext: [hbh] }),
      'icmp-about-icmp-error',
    ],
    [
      '(e.2) a Redirect',
      ipv6Packet(icmp(137, 0, 0, new Uint8Array(32)), { proto: 58 }),
      'icmp-about-redirect',
    ],
    ['(e.3) a multicast destination', ipv6Packet(udp(1, 2), { dst: v6('ff02::1') }), 'icmp-dst-multicast'],
    ['(e.6) the unspecified source', ipv6Packet(udp(1, 2), { src: v6('::') }), 'icmp-src-unspecified'],
    ['(e.6) a multicast source', ipv6Packet(udp(1, 2), { src: v6('ff02::1') }), 'icmp-src-multicast'],
    ['RFC 4291 §2.5.3: the loopback source', ipv6Packet(udp(1, 2), { src: v6('::1') }), 'icmp-src-loopback'],
  ]
  for (const [what, p, reason] of cases) {
    test(`never about ${what}: ${reason}`, () => {
      out.fill(0xaa, 0, 64)
      expect(buildV6AddressUnreachable(p, 0, p.length, GW6, 0, out, 0)).toBe(reason)
      expect(out[0]).toBe(0xaa)
    })
  }

  test('(e.3) exceptions: Packet Too Big and Parameter Problem code 2 may answer a multicast destination', () => {
    const p = ipv6Packet(udp(1, 2, 1400), { dst: v6('ff0e::1') })
    expect(typeof buildV6PacketTooBig(p, 0, p.length, 1280, GW6, 0, out, 0)).toBe('number')
    expect(typeof buildV6ParameterProblem(p, 0, p.length, 2, 40, GW6, 0, out, 0)).toBe('number')
    expect(buildV6ParameterProblem(p, 0, p.length, 1, 40, GW6, 0, out, 0)).toBe('icmp-dst-multicast')
  })

  test('an echo request, and an ICMPv6 error inside a non-first fragment (its type is not visible), are answered', () => {
    const echo = ipv6Packet(icmp(128, 0, 0x00010001, new Uint8Array(56)), { proto: 58 })
    expect(typeof buildV6AddressUnreachable(echo, 0, echo.length, GW6, 0, out, 0)).toBe('number')
    const tail = ipv6Packet(new Uint8Array(64).fill(1), { proto: 58, ext: [frag(8)] })
    expect(typeof buildV6AddressUnreachable(tail, 0, tail.length, GW6, 0, out, 0)).toBe('number')
  })

  test('property: random IPv6 packets give a known reason or a verifying error of at most 1280 bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.constantFrom(6, 17, 58),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 8, max: 1500 }),
        (src, dst, proto, firstByte, size) => {
          const payload = new Uint8Array(size)
          payload[0] = firstByte
          const p = ipv6Packet(payload, { src, dst, proto })
          const r = buildV6AddressUnreachable(p, 0, p.length, GW6, 0, out, 0)
          if (typeof r === 'string') expect(ICMP_REASONS).toContain(r)
          else {
            expect(r).toBe(48 + Math.min(p.length, 1232))
            expect(icmpv6Ok(out)).toBe(true)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('hostile input: random bytes never throw', () => {
  test('both builders, every type, random bytes at random offsets', () => {
    const s4: Icmpv4ErrorSpec = { type: 3, code: 0, src: GW4 }
    const s6: Icmpv6ErrorSpec = { type: 1, code: 3, src: GW6 }
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(20),
        fc.nat(220),
        fc.constantFrom(1, 2, 3, 4, 11, 12),
        (bytes, off, len, type) => {
          s4.type = type
          s6.type = type
          const o = Math.min(off, bytes.length)
          const l = Math.min(len, bytes.length - o)
          for (const r of [
            buildIcmpv4Error(bytes, o, l, s4, out, 0),
            buildIcmpv6Error(bytes, o, l, s6, out, 0),
            buildIcmpv4Error(bytes, o, len, s4, out, 0),
            buildIcmpv6Error(bytes, o, len, s6, out, 0),
          ]) {
            if (typeof r === 'string') expect(ICMP_REASONS).toContain(r)
            else expect(Number.isInteger(r)).toBe(true)
          }
        },
      ),
      { numRuns: FUZZ_RUNS },
    )
  })
})

describe('RFC 4443 §2.4(f) / RFC 1812 §4.3.2.8: the builder consults the limiter', () => {
  test('after the burst, errors to the same destination are refused as icmp-rate-limited', () => {
    const lim = new IcmpRateLimiter({ ratePerSec: 1, burst: 2, globalRatePerSec: 0 })
    const p = ipv4Packet(udp(1, 2))
    const res = [0, 1, 2].map(() => buildV4NetUnreachable(p, 0, p.length, GW4, out, 0, lim, 5))
    expect(typeof res[0]).toBe('number')
    expect(typeof res[1]).toBe('number')
    expect(res[2]).toBe('icmp-rate-limited')
    const q = ipv6Packet(udp(1, 2))
    const r6 = [0, 1, 2].map(() => buildV6AddressUnreachable(q, 0, q.length, GW6, 0, out, 0, lim, 5))
    expect(r6[2]).toBe('icmp-rate-limited')
    expect(lim.counters.limited).toBe(2)
    expect(lim.counters.allowed).toBe(4)
  })

  test('a declined packet takes no token', () => {
    const lim = new IcmpRateLimiter({ ratePerSec: 1, burst: 1, globalRatePerSec: 0 })
    const m = ipv4Packet(udp(1, 2), { dst: 0xe0000001 })
    expect(buildV4NetUnreachable(m, 0, m.length, GW4, out, 0, lim, 0)).toBe('icmp-dst-multicast')
    const p = ipv4Packet(udp(1, 2))
    expect(typeof buildV4NetUnreachable(p, 0, p.length, GW4, out, 0, lim, 0)).toBe('number')
  })
})
