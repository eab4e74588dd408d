/**
 * Property tests (fast-check): round trips restore what RFC 7915 preserves,
 * every checksum verifies after every translation, and no input crashes.
 */
import { describe, expect, test } from 'bun:test'
import {
  buildIcmp4,
  buildIcmp4Echo,
  buildIcmp6,
  buildIcmp6Echo,
  buildIpv4,
  buildIpv6,
  buildTcp4,
  buildTcp6,
  buildUdp4,
  buildUdp6,
  get16,
} from '@gatehouse/ip-packet'
import fc from 'fast-check'
import { nat64Options, Rfc6052Mapper, Rfc6791Pool, TranslateResult, translate } from '../src/index.ts'
import { allFailures, bytesOf, hex, place } from './helpers.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
const pool6 = new Rfc6052Mapper('64:ff9b:1::/96')
const opts = nat64Options({ pool6791: new Rfc6791Pool('203.0.113.0/24', '2001:db8:ffff::/96') })
const res = new TranslateResult(Array.from({ length: 60 }, () => new Uint8Array(1500)))

const addr4 = fc.integer({ min: 0x01000000, max: 0xdfffffff })
function embed(a: number): Uint8Array {
  const o = new Uint8Array(16)
  pool6.embed(a, o, 0)
  return o
}
const kind = fc.constantFrom('tcp', 'udp', 'echo', 'echo-reply', 'other')
const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max })

interface Spec {
  kind: string
  src: number
  dst: number
  tos: number
  ttl: number
  flow: number
  sport: number
  dport: number
  body: Uint8Array
}
const spec = (maxBody: number) =>
  fc.record({
    kind,
    src: addr4,
    dst: addr4,
    tos: fc.integer({ min: 0, max: 255 }),
    ttl: fc.integer({ min: 1, max: 255 }),
    flow: fc.integer({ min: 0, max: 0xfffff }),
    sport: fc.integer({ min: 0, max: 65535 }),
    dport: fc.integer({ min: 0, max: 65535 }),
    // fast-check's arrays favour short lengths; half the bodies get a uniformly chosen size so that big packets
    // (fragmentation, DF above 1260, truncation to 576/1280) are as common as small ones.
    body: fc.oneof(
      bytes(maxBody),
      fc
        .tuple(fc.integer({ min: 0, max: maxBody }), fc.integer({ min: 0, max: 255 }))
        .map(([n, seed]) => new Uint8Array(n).map((_, i) => (i * 131 + seed) & 0xff)),
    ),
  })

function make6(s: Spec): Uint8Array {
  const ip = { src: embed(s.src), dst: embed(s.dst), trafficClass: s.tos, hopLimit: s.ttl, flowLabel: s.flow }
  switch (s.kind) {
    case 'tcp':
      return buildTcp6({ ...ip, srcPort: s.sport, dstPort: s.dport, seq: s.sport * 7, payload: s.body })
    case 'udp':
      return buildUdp6({ ...ip, srcPort: s.sport, dstPort: s.dport, payload: s.body })
    case 'echo':
    case 'echo-reply':
      return buildIcmp6Echo({
        ...ip,
        id: s.sport,
        seq: s.dport,
        reply: s.kind === 'echo-reply',
        payload: s.body,
      })
    default:
      return buildIpv6({ ...ip, protocol: 253, payload: s.body })
  }
}

function make4(s: Spec, df: boolean, ident: number): Uint8Array {
  const ip = { src: s.src, dst: s.dst, tos: s.tos, ttl: s.ttl, ident, dontFragment: df }
  switch (s.kind) {
    case 'tcp':
      return buildTcp4({ ...ip, srcPort: s.sport, dstPort: s.dport, payload: s.body })
    case 'udp':
      return buildUdp4({ ...ip, srcPort: s.sport, dstPort: s.dport, payload: s.body })
    case 'echo':
    case 'echo-reply':
      return buildIcmp4Echo({
        ...ip,
        id: s.sport,
        seq: s.dport,
        reply: s.kind === 'echo-reply',
        payload: s.body,
      })
    default:
      return buildIpv4({ ...ip, protocol: 253, payload: s.body })
  }
}

/** Transport checksum offset from the start of the upper layer, or -1. */
function csumOff(kind: string): number {
  return kind === 'tcp' ? 16 : kind === 'udp' ? 6 : kind === 'other' ? -1 : 2
}

function blank(b: Uint8Array, o: number): Uint8Array {
  const c = b.slice()
  if (o >= 0) {
    c[o] = 0
    c[o + 1] = 0
  }
  return c
}

describe('round trips', () => {
  test('RFC 7915 §4.1/§5.1: IPv6 -> IPv4 -> IPv6 restores every field except the flow label (zeroed, §4.1)', () => {
    fc.assert(
      fc.property(spec(1100), (s) => {
        const p6 = make6(s)
        const pb = place(p6, 28)
        const r1 = translate(pb, pool6, opts, res)
        expect(r1.action).toBe('translated')
        expect(allFailures(r1.packets[0])).toEqual([])
        const mid = bytesOf(r1.packets[0])
        const r2 = translate(place(mid, 28), pool6, opts, res)
        expect(r2.action).toBe('translated')
        expect(allFailures(r2.packets[0])).toEqual([])
        const back = bytesOf(r2.packets[0])
        const want = p6.slice()
        want[1] &= 0xf0
        want[2] = 0
        want[3] = 0
        const c = csumOff(s.kind)
        expect(hex(blank(back, c < 0 ? -1 : 40 + c))).toBe(hex(blank(want, c < 0 ? -1 : 40 + c)))
      }),
      { numRuns: RUNS },
    )
  })

  test('RFC 7915 §4.1/§5.1: IPv4 -> IPv6 -> IPv4 restores TOS, length, TTL, protocol, addresses and payload', () => {
    fc.assert(
      fc.property(spec(1100), fc.boolean(), fc.integer({ min: 0, max: 65535 }), (s, df, ident) => {
        const p4 = make4(s, df, ident)
        const r1 = translate(place(p4, 28), pool6, opts, res)
        expect(r1.action).toBe('translated')
        expect(allFailures(r1.packets[0])).toEqual([])
        const r2 = translate(place(bytesOf(r1.packets[0]), 0), pool6, opts, res)
        expect(r2.action).toBe('translated')
        expect(allFailures(r2.packets[0])).toEqual([])
        const back = bytesOf(r2.packets[0])
        const c = csumOff(s.kind)
        // Identification, flags and header checksum are the translator's (RFC 7915 §5.1); the rest is preserved.
        const norm = (b: Uint8Array) => {
          const x = blank(b, c < 0 ? -1 : 20 + c)
          x.fill(0, 4, 8)
          x.fill(0, 10, 12)
          return hex(x)
        }
        expect(norm(back)).toBe(norm(p4))
        // RFC 7915 §5.1: DF=0 at or below 1260 bytes.
        expect(get16(back, 6) & 0x4000).toBe(back.length > 1260 ? 0x4000 : 0)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('checksums after every translation', () => {
  test('RFC 7915 §4.5/§5.5: any packet, fragmented or not, translates with valid checksums (both ways)', () => {
    fc.assert(
      fc.property(spec(3000), fc.boolean(), (s, v6first) => {
        const p = v6first ? make6({ ...s, body: s.body.subarray(0, 1400) }) : make4(s, false, 1)
        const r = translate(place(p, 28), pool6, opts, res)
        if (r.action === 'drop') return
        for (let i = 0; i < r.count; i++) expect(allFailures(r.packets[i])).toEqual([])
      }),
      { numRuns: RUNS },
    )
  })

  test('RFC 7915 §4.3/§5.3: ICMP errors quoting any packet translate with valid outer, inner IP and inner transport checksums', () => {
    const types4: [number, number, number][] = [
      [3, 0, 0],
      [3, 1, 0],
      [3, 3, 0],
      [3, 4, 1300],
      [3, 13, 0],
      [11, 0, 0],
      [12, 0, 9 << 24],
    ]
    const types6: [number, number, number][] = [
      [1, 0, 0],
      [1, 4, 0],
      [2, 0, 1400],
      [3, 0, 0],
      [4, 0, 7],
      [4, 1, 6],
    ]
    fc.assert(
      fc.property(
        spec(1400),
        fc.integer({ min: 0, max: 6 }),
        fc.boolean(),
        addr4,
        fc.integer({ min: 8, max: 1500 }),
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: 32 }),
        (s, t, v6side, router, cut, headroom, tailroom) => {
          let err: Uint8Array
          if (v6side) {
            const inner = make6(s)
            const [type, code, rest] = types6[t % types6.length]
            const quote = inner.subarray(0, Math.min(inner.length, 40 + cut))
            err = buildIcmp6({ src: embed(router), dst: embed(s.src), type, code, rest, payload: quote })
          } else {
            const inner = make4(s, true, 5)
            const [type, code, rest] = types4[t]
            const quote = inner.subarray(0, Math.min(inner.length, 20 + cut))
            err = buildIcmp4({ src: router, dst: s.src, type, code, rest, payload: quote })
          }
          // Any headroom: in place with 40+ bytes, in the scratch buffer with less.
          const r = translate(place(err, headroom, tailroom), pool6, opts, res)
          if (r.action === 'drop') return
          expect(r.action).toBe('translated')
          expect(r.packets[0].len).toBeLessThanOrEqual(v6side ? 576 : 1280)
          expect(allFailures(r.packets[0])).toEqual([])
        },
      ),
      { numRuns: RUNS },
    )
  })
})

describe('hostile input', () => {
  const check = (b: Uint8Array, off: number, len: number) => {
    const version = b[off] >> 4 // read first: translation rewrites the bytes in place
    const r = translate({ buf: b, off, len }, pool6, opts, res)
    expect(['translated', 'icmp-error', 'drop']).toContain(r.action)
    if (r.action === 'drop') {
      expect(typeof r.reason).toBe('string')
      return
    }
    expect(r.count).toBeGreaterThan(0)
    for (let i = 0; i < r.count; i++) {
      const p = r.packets[i]
      expect(p.off).toBeGreaterThanOrEqual(0)
      expect(p.off + p.len).toBeLessThanOrEqual(p.buf.length)
      expect(p.buf[p.off] >> 4).toBe(r.action === 'icmp-error' ? version : version === 4 ? 6 : 4)
    }
  }

  test('Issue 3: random bytes (with a plausible version nibble) never throw', () => {
    fc.assert(
      fc.property(
        bytes(1600),
        fc.constantFrom(0x40, 0x45, 0x46, 0x4f, 0x60, 0x00),
        fc.integer({ min: 0, max: 28 }),
        (b, first, head) => {
          const buf = new Uint8Array(head + b.length + 8)
          buf.set(b, head)
          if (b.length > 0) buf[head] = (first & 0xf0) | (b[0] & 0x0f)
          check(buf, head, b.length)
        },
      ),
      { numRuns: RUNS * 3 },
    )
  })

  test('Issue 3: truncated and bit-flipped valid packets and errors never throw', () => {
    fc.assert(
      fc.property(
        spec(1400),
        fc.boolean(),
        fc.boolean(),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (s, v6first, asError, cutSeed, flips) => {
          let p = v6first ? make6(s) : make4(s, false, 3)
          if (asError) {
            p = v6first
              ? buildIcmp6({
                  src: embed(s.dst),
                  dst: embed(s.src),
                  type: 1,
                  code: 4,
                  payload: p.subarray(0, 600),
                })
              : buildIcmp4({ src: s.dst, dst: s.src, type: 3, code: 3, payload: p.subarray(0, 500) })
          }
          const b = new Uint8Array(28 + p.length)
          b.set(p, 28)
          for (const [i, v] of flips) b[28 + (i % p.length)] = v
          const len = cutSeed % (p.length + 1)
          check(b, 28, len)
        },
      ),
      { numRuns: RUNS * 2 },
    )
  })
})
