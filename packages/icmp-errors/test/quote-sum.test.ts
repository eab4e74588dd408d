/**
 * The derived quote sum (src/quote-sum.ts) against the full recomputation: the error built each way must be
 * the same bytes for every packet with a valid transport checksum, and for a corrupted one the error's
 * checksum must fail by exactly the offending packet's own discrepancy (the documented behaviour).
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { fold, get16, get32, pseudoV4, pseudoV6, sum } from '@gatehouse/ip-packet'
import fc from 'fast-check'
import { useDerivedQuoteSum } from '../src/build.ts'
import {
  buildIcmpv4Error,
  buildIcmpv6Error,
  type Icmpv4ErrorSpec,
  type Icmpv6ErrorSpec,
} from '../src/index.ts'
import { newOffending, peekV4, peekV6 } from '../src/peek.ts'
import { derivedQuoteSum } from '../src/quote-sum.ts'
import { icmp, icmpv4Ok, icmpv6Ok, ipv4Packet, ipv6Packet, tcp, udp, v6 } from './helpers.ts'

const GW4 = 0x64400001
const GW6 = v6('fd00:2021:1111::1')

afterEach(() => useDerivedQuoteSum(true))

type Kind = 'tcp' | 'udp' | 'udp-zero' | 'udp-bad-len' | 'icmp' | 'gre'
const KINDS: Kind[] = ['tcp', 'udp', 'udp-zero', 'udp-bad-len', 'icmp', 'gre']

/** A transport segment of `kind` with `dataLen` bytes of `data` after its header (checksum left to the packet builder). */
function segment(
  kind: Kind,
  dataLen: number,
  data: Uint8Array,
  v: 4 | 6,
): { proto: number; bytes: Uint8Array } {
  const d = new Uint8Array(dataLen)
  for (let i = 0; i < dataLen; i++) d[i] = data[i % data.length]
  if (kind === 'tcp') {
    const t = tcp(40000, 443, dataLen)
    t.set(d, 20)
    return { proto: 6, bytes: t }
  }
  if (kind === 'udp' || kind === 'udp-zero' || kind === 'udp-bad-len') {
    const u = udp(40000, 53, d)
    if (kind === 'udp-bad-len') u[5] ^= 0x01
    return { proto: 17, bytes: u }
  }
  if (kind === 'icmp') return { proto: v === 4 ? 1 : 58, bytes: icmp(v === 4 ? 8 : 128, 0, 0x12340001, d) }
  const g = new Uint8Array(4 + dataLen)
  g.set(d, 4)
  return { proto: 47, bytes: g }
}

/** Extension headers for ipv6Packet: 8 bytes each, Hdr Ext Len 0, a PadN option. */
type Ext = 'none' | 'hop-by-hop' | 'dest-opts' | 'routing' | 'fragment'
const EXTS: Ext[] = ['none', 'hop-by-hop', 'dest-opts', 'routing', 'fragment']
function ext(e: Ext): { type: number; bytes: Uint8Array }[] {
  if (e === 'none') return []
  if (e === 'routing') return [{ type: 43, bytes: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0]) }] // segments left 0
  if (e === 'fragment') return [{ type: 44, bytes: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 7]) }] // atomic
  return [{ type: e === 'hop-by-hop' ? 0 : 60, bytes: new Uint8Array([0, 0, 1, 4, 0, 0, 0, 0]) }]
}

function packet4(
  kind: Kind,
  dataLen: number,
  data: Uint8Array,
  shape: 'plain' | 'options' | 'first-fragment',
): Uint8Array {
  const s = segment(kind, dataLen, data, 4)
  const p = ipv4Packet(s.bytes, {
    src: 0x0a000001,
    dst: 0xc0000250,
    proto: s.proto,
    ihl: shape === 'options' ? 24 : 20,
    mf: shape === 'first-fragment',
  })
  if (kind === 'udp-zero') p.fill(0, (p[0] & 15) * 4 + 6, (p[0] & 15) * 4 + 8)
  return p
}

function packet6(kind: Kind, dataLen: number, data: Uint8Array, e: Ext): Uint8Array {
  const s = segment(kind, dataLen, data, 6)
  const p = ipv6Packet(s.bytes, {
    src: v6('fd00:2021:1111::2'),
    dst: v6('fd00:2021:1111:8000::1'),
    proto: s.proto,
    ext: ext(e),
  })
  if (kind === 'udp-zero') p.fill(0, p.length - s.bytes.length + 6, p.length - s.bytes.length + 8)
  return p
}

/** The datagram placed at `at` in a buffer with `trailing` garbage bytes after it, as a receive pool would hold it. */
function embed(p: Uint8Array, at: number, trailing: number): Uint8Array {
  const b = new Uint8Array(at + p.length + trailing).fill(0x5a)
  b.set(p, at)
  return b
}

/** fold(Σ pseudo-header + Σ segment) of a datagram without IPv6 extension headers: 0xffff when its checksum is valid. */
function transportCheck(b: Uint8Array, o: number, version: 4 | 6): number {
  if (version === 4) {
    const ihl = (b[o] & 15) * 4
    const len = get16(b, o + 2) - ihl
    const proto = b[o + 9]
    const pseudo = proto === 1 ? 0 : pseudoV4(get32(b, o + 12), get32(b, o + 16), proto, len)
    return fold(sum(b, o + ihl, len, pseudo))
  }
  const len = get16(b, o + 4)
  return fold(sum(b, o + 40, len, pseudoV6(b, o + 8, o + 24, b[o + 6], len)))
}

/** fold(Σ) over the error's ICMP message (with its pseudo-header for ICMPv6): 0xffff when it verifies. */
function errorCheck(out: Uint8Array, o: number, version: 4 | 6): number {
  if (version === 4) return fold(sum(out, o + 20, get16(out, o + 2) - 20, 0))
  const len = get16(out, o + 4)
  return fold(sum(out, o + 40, len, pseudoV6(out, o + 8, o + 24, 58, len)))
}

const s4: Icmpv4ErrorSpec = { type: 3, code: 0, src: GW4 }
const s6: Icmpv6ErrorSpec = { type: 1, code: 3, src: GW6 }
const outA = new Uint8Array(1600)
const outB = new Uint8Array(1600)

/** Build the error twice, derived and fully summed, at `outOff` in `roomLen` bytes of output. */
function buildBoth(
  version: 4 | 6,
  b: Uint8Array,
  at: number,
  len: number,
  maxLen: number | undefined,
  roomLen: number,
  outOff: number,
): [number | string, number | string] {
  const a = outA.subarray(0, roomLen)
  const c = outB.subarray(0, roomLen)
  a.fill(0xaa)
  c.fill(0xaa)
  s4.maxLen = maxLen
  s6.maxLen = maxLen
  useDerivedQuoteSum(true)
  const rA =
    version === 4 ? buildIcmpv4Error(b, at, len, s4, a, outOff) : buildIcmpv6Error(b, at, len, s6, a, outOff)
  useDerivedQuoteSum(false)
  const rB =
    version === 4 ? buildIcmpv4Error(b, at, len, s4, c, outOff) : buildIcmpv6Error(b, at, len, s6, c, outOff)
  useDerivedQuoteSum(true)
  return [rA, rB]
}

/** Did the builder take the derived path for this packet and quote length? */
const off = newOffending()
function derives(version: 4 | 6, b: Uint8Array, at: number, len: number, quote: number): boolean {
  if (!(version === 4 ? peekV4(b, at, len, off) : peekV6(b, at, len, off))) return false
  return derivedQuoteSum(b, at, quote, off, version === 6) >= 0
}

// Data lengths that put the datagram on either side of the quote limits (548/1232 bytes quoted) and of
// the "tail at most half the quote" rule (822/1848 bytes), odd and even; and anything up to 1700.
const dataLen = fc.oneof(
  fc.integer({ min: 0, max: 1700 }),
  fc.integer({ min: 500, max: 560 }),
  fc.integer({ min: 780, max: 830 }),
  fc.integer({ min: 1180, max: 1240 }),
)
const maxLen = fc.option(fc.integer({ min: 48, max: 1400 }), { nil: undefined, freq: 2 })

describe('RFC 1071 §2 / RFC 1624 §3: the derived quote sum equals the full recomputation', () => {
  test('property: IPv4 TCP/UDP/ICMP/other, plain, with options or first fragments: the same error byte for byte', () => {
    let derived = 0
    let runs = 0
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        fc.constantFrom('plain', 'plain', 'options', 'first-fragment'),
        dataLen,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 9 }),
        maxLen,
        fc.integer({ min: 40, max: 1600 }),
        fc.integer({ min: 0, max: 3 }),
        (kind, shape, n, data, at, trailing, max, room, outOff) => {
          const p = packet4(kind, n, data, shape as 'plain')
          const b = embed(p, at, trailing)
          const len = p.length + (trailing & 1 ? trailing : 0)
          const [rA, rB] = buildBoth(4, b, at, len, max, room, outOff)
          expect(rA).toBe(rB)
          expect(outA.subarray(0, room)).toEqual(outB.subarray(0, room))
          runs++
          if (typeof rA === 'number') {
            expect(icmpv4Ok(outA, outOff)).toBe(true)
            if (derives(4, b, at, len, rA - 28)) derived++
          }
        },
      ),
      { numRuns: 400 },
    )
    // The property must have exercised the derived path, not only the fallback.
    expect(derived).toBeGreaterThan(runs / 20)
  })

  test('property: IPv6 TCP/UDP/ICMPv6/other, with every kind of extension header: the same error byte for byte', () => {
    let derived = 0
    let runs = 0
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        fc.constantFrom(...EXTS, 'none', 'none'),
        dataLen,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 9 }),
        maxLen,
        fc.integer({ min: 60, max: 1600 }),
        fc.integer({ min: 0, max: 3 }),
        (kind, e, n, data, at, trailing, max, room, outOff) => {
          const p = packet6(kind, n, data, e as Ext)
          const b = embed(p, at, trailing)
          const len = p.length + (trailing & 1 ? trailing : 0)
          const [rA, rB] = buildBoth(6, b, at, len, max, room, outOff)
          expect(rA).toBe(rB)
          expect(outA.subarray(0, room)).toEqual(outB.subarray(0, room))
          runs++
          if (typeof rA === 'number') {
            expect(icmpv6Ok(outA, outOff)).toBe(true)
            if (derives(6, b, at, len, rA - 48)) derived++
          }
        },
      ),
      { numRuns: 400 },
    )
    expect(derived).toBeGreaterThan(runs / 20)
  })

  test('property: a datagram cut short (len below its total length) is summed in full and verifies', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<4 | 6>(4, 6),
        dataLen,
        fc.integer({ min: 1, max: 200 }),
        (version, n, cut) => {
          const data = new Uint8Array([1, 2, 3, 5, 8, 13])
          const p = version === 4 ? packet4('tcp', n, data, 'plain') : packet6('tcp', n, data, 'none')
          const len = Math.max(version === 4 ? 28 : 48, p.length - cut)
          if (len >= p.length) return
          const [rA, rB] = buildBoth(version, p, 0, len, undefined, 1600, 0)
          expect(rA).toBe(rB)
          expect(derives(version, p, 0, len, 8)).toBe(false)
          expect(version === 4 ? icmpv4Ok(outA) : icmpv6Ok(outA)).toBe(true)
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe('the derived path: when it is taken (src/quote-sum.ts)', () => {
  const data = new Uint8Array([9, 8, 7])
  test('the issue 4 bench packet (1400-byte TCP/IPv6, 1232 bytes quoted) derives; so do small whole datagrams', () => {
    const p = packet6('tcp', 1340, data, 'none')
    expect(p.length).toBe(1400)
    expect(derives(6, p, 0, p.length, 1232)).toBe(true)
    for (const k of ['tcp', 'udp', 'icmp'] as const) {
      const q4 = packet4(k, 11, data, 'plain')
      expect(derives(4, q4, 0, q4.length, q4.length)).toBe(true)
      const q6 = packet6(k, 11, data, 'hop-by-hop')
      expect(derives(6, q6, 0, q6.length, q6.length)).toBe(true)
    }
  })

  const cases: [string, 4 | 6, () => Uint8Array][] = [
    ['RFC 768: UDP without checksum (0)', 4, () => packet4('udp-zero', 100, data, 'plain')],
    ['RFC 8200 §8.1: IPv6 UDP with a zero checksum', 6, () => packet6('udp-zero', 100, data, 'none')],
    ['RFC 768: a UDP length other than the segment’s', 4, () => packet4('udp-bad-len', 100, data, 'plain')],
    [
      'RFC 791 §3.2: IPv4 options (a source route changes the pseudo-header)',
      4,
      () => packet4('tcp', 100, data, 'options'),
    ],
    [
      'RFC 791 §3.2: a first fragment (its checksum covers the reassembled datagram)',
      4,
      () => packet4('udp', 100, data, 'first-fragment'),
    ],
    [
      'RFC 8200 §8.1: a Routing header (final destination in the pseudo-header)',
      6,
      () => packet6('tcp', 100, data, 'routing'),
    ],
    [
      'RFC 8200 §4.5: a Fragment header, even an atomic fragment',
      6,
      () => packet6('udp', 100, data, 'fragment'),
    ],
    [
      'RFC 6275 §6.3: a Destination Options header (may hold a Home Address)',
      6,
      () => packet6('tcp', 100, data, 'dest-opts'),
    ],
    ['a protocol without a known checksum (GRE)', 4, () => packet4('gre', 100, data, 'plain')],
    ['ICMPv6 over IPv4 is no ICMPv4', 4, () => ipv4Packet(icmp(128, 0, 0, data), { proto: 58 })],
    [
      'a TCP segment too short to hold its checksum',
      6,
      () => packet6('gre', 10, data, 'none').map((x, i) => (i === 6 ? 6 : x)),
    ],
  ]
  for (const [what, version, make] of cases) {
    test(`falls back to summing the quote: ${what}`, () => {
      const p = make()
      expect(derives(version, p, 0, p.length, p.length)).toBe(false)
      const [rA, rB] = buildBoth(version, p, 0, p.length, undefined, 1600, 0)
      expect(rA).toBe(rB)
      expect(outA).toEqual(outB)
    })
  }

  test('IPv6 jumbogram-style payload length 0 falls back', () => {
    const p = packet6('tcp', 100, data, 'none')
    p.fill(0, 4, 6)
    expect(derives(6, p, 0, p.length, p.length)).toBe(false)
  })

  test('a tail longer than half the quote falls back: a 1400-byte IPv4 datagram in a 576-byte error', () => {
    const p = packet4('udp', 1372, data, 'plain')
    expect(derives(4, p, 0, p.length, 548)).toBe(false)
    // 1400 bytes: a 934-byte quote leaves 466 (≤ 467), a 933- or 932-byte one 468 (the odd byte goes to the tail).
    expect(derives(4, p, 0, p.length, 934)).toBe(true)
    expect(derives(4, p, 0, p.length, 933)).toBe(false)
    expect(derives(4, p, 0, p.length, 932)).toBe(false)
  })
})

describe('a corrupted transport checksum (the chosen behaviour: trusted, not verified)', () => {
  test('property: the error fails its check by exactly the offending packet’s discrepancy; the full path still verifies', () => {
    let derivedCorrupt = 0
    fc.assert(
      fc.property(
        fc.constantFrom<4 | 6>(4, 6),
        fc.constantFrom<Kind>('tcp', 'udp', 'icmp'),
        dataLen,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (version, kind, n, data, where, flip) => {
          const p = version === 4 ? packet4(kind, n, data, 'plain') : packet6(kind, n, data, 'none')
          const h = version === 4 ? 20 : 40
          const at = h + (where % (p.length - h))
          p[at] ^= flip
          const check = transportCheck(p, 0, version)
          // One changed byte moves the sum by a non-zero amount below 0xffff: never valid again.
          expect(check).not.toBe(0xffff)
          const [rA, rB] = buildBoth(version, p, 0, p.length, undefined, 1600, 0)
          if (typeof rA !== 'number' || typeof rB !== 'number') return // an echo turned into an error type
          expect(errorCheck(outB, 0, version)).toBe(0xffff)
          const quote = rA - (version === 4 ? 28 : 48)
          if (derives(version, p, 0, p.length, quote)) {
            derivedCorrupt++
            expect(errorCheck(outA, 0, version)).toBe(check)
            // Everything but the ICMP checksum field is the same.
            const ck = version === 4 ? 22 : 42
            outA[ck] = outB[ck]
            outA[ck + 1] = outB[ck + 1]
            expect(outA.subarray(0, rA)).toEqual(outB.subarray(0, rB))
          } else {
            expect(outA.subarray(0, rA)).toEqual(outB.subarray(0, rB))
          }
        },
      ),
      { numRuns: 300 },
    )
    expect(derivedCorrupt).toBeGreaterThan(30)
  })
})
