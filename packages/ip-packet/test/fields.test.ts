/** The field helpers other packages use: byte helpers, the IPv4 options walk, the IPv6 extension-header predicate. */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import {
  buildIpv4,
  buildIpv6,
  get16,
  get32,
  IPV4_OPT_END,
  IPV4_OPT_LSRR,
  IPV4_OPT_NOP,
  IPV4_OPT_SSRR,
  Ipv4View,
  Ipv6View,
  isIpv6ExtensionHeader,
  put16,
  put32,
} from '../src/index.ts'

describe('RFC 791 §3.1 network byte order: get16/get32/put16/put32', () => {
  test('a known address: 192.168.0.1 is c0 a8 00 01, its high half c0a8', () => {
    const b = new Uint8Array(6)
    put32(b, 1, 0xc0a80001)
    expect(Array.from(b)).toEqual([0, 0xc0, 0xa8, 0x00, 0x01, 0])
    expect(get32(b, 1)).toBe(0xc0a80001)
    expect(get16(b, 1)).toBe(0xc0a8)
  })

  test('property: put then get returns the value (u16: its low 16 bits), at any offset, touching only its bytes', () => {
    fc.assert(
      fc.property(fc.nat(12), fc.nat(0xffffffff), (o, v) => {
        const b = new Uint8Array(20).fill(0xee)
        put32(b, o, v)
        expect(get32(b, o)).toBe(v)
        put16(b, o + 4, v)
        expect(get16(b, o + 4)).toBe(v & 0xffff)
        expect(b[o - 1] ?? 0xee).toBe(0xee)
        expect(b[o + 6]).toBe(0xee)
      }),
      { numRuns: 200 },
    )
  })
})

/** An IPv4 header with these option bytes (padded with End of Option List by the builder), checked. */
function withOptions(options: number[]): Ipv4View {
  const b = buildIpv4({
    src: 0x0a000001,
    dst: 0x0a000002,
    protocol: 17,
    payload: new Uint8Array(8),
    ipOptions: Uint8Array.from(options),
  })
  const v = new Ipv4View().reset(b, 0, b.length)
  expect(v.check()).toBeNull()
  return v
}

describe('RFC 791 §3.1 options walk: Ipv4View.hasUnexpiredSourceRoute (RFC 7915 §4.1)', () => {
  test('no options: false', () => {
    expect(withOptions([]).hasUnexpiredSourceRoute()).toBe(false)
  })
  test('LSRR and SSRR with the pointer on an address (4 <= length 7): true', () => {
    expect(withOptions([IPV4_OPT_LSRR, 7, 4, 10, 0, 0, 9]).hasUnexpiredSourceRoute()).toBe(true)
    expect(withOptions([IPV4_OPT_SSRR, 7, 4, 10, 0, 0, 9]).hasUnexpiredSourceRoute()).toBe(true)
  })
  test('a route whose pointer is past its length is used up: false', () => {
    expect(withOptions([IPV4_OPT_LSRR, 7, 8, 10, 0, 0, 9]).hasUnexpiredSourceRoute()).toBe(false)
  })
  test('No Operation options before the route are skipped; End of Option List ends the walk', () => {
    expect(
      withOptions([IPV4_OPT_NOP, IPV4_OPT_NOP, IPV4_OPT_SSRR, 7, 4, 1, 2, 3, 4]).hasUnexpiredSourceRoute(),
    ).toBe(true)
    expect(withOptions([IPV4_OPT_END, IPV4_OPT_LSRR, 7, 4, 1, 2, 3, 4]).hasUnexpiredSourceRoute()).toBe(false)
  })
  test('another option (Record Route, 7) is stepped over by its length; alone it is no source route', () => {
    expect(
      withOptions([7, 7, 4, 0, 0, 0, 0, IPV4_OPT_LSRR, 7, 4, 1, 2, 3, 4]).hasUnexpiredSourceRoute(),
    ).toBe(true)
    expect(withOptions([7, 7, 4, 0, 0, 0, 0]).hasUnexpiredSourceRoute()).toBe(false)
  })
  test('a malformed option (length < 2, or past the header) ends the walk with false', () => {
    expect(withOptions([7, 1, IPV4_OPT_LSRR, 7, 4, 1, 2, 3, 4]).hasUnexpiredSourceRoute()).toBe(false)
    expect(withOptions([IPV4_OPT_LSRR, 40, 4, 1, 2, 3, 4]).hasUnexpiredSourceRoute()).toBe(false)
  })

  // A model: options as a list, encoded; the answer is whether a route with pointer <= length comes before any End.
  type Opt = { kind: 'nop' } | { kind: 'end' } | { kind: 'tlv'; type: number; len: number; ptr: number }
  const opt: fc.Arbitrary<Opt> = fc.oneof(
    fc.constant<Opt>({ kind: 'nop' }),
    fc.constant<Opt>({ kind: 'end' }),
    fc
      .record({
        type: fc.constantFrom(IPV4_OPT_LSRR, IPV4_OPT_SSRR, 7, 68, 130),
        len: fc.integer({ min: 3, max: 11 }),
        ptr: fc.nat(15),
      })
      .map((r): Opt => ({ kind: 'tlv', ...r })),
  )
  const encode = (opts: Opt[]) =>
    opts.flatMap((o) =>
      o.kind === 'nop'
        ? [IPV4_OPT_NOP]
        : o.kind === 'end'
          ? [IPV4_OPT_END]
          : [o.type, o.len, o.ptr, ...new Array<number>(o.len - 3).fill(0)],
    )
  function model(opts: Opt[]): boolean {
    for (const o of opts) {
      if (o.kind === 'end') return false
      if (o.kind === 'tlv' && (o.type === IPV4_OPT_LSRR || o.type === IPV4_OPT_SSRR) && o.ptr <= o.len)
        return true
    }
    return false
  }

  test('property: well-formed option lists agree with the model', () => {
    fc.assert(
      fc.property(
        fc.array(opt, { maxLength: 8 }).filter((o) => encode(o).length <= 40),
        (opts) => {
          expect(withOptions(encode(opts)).hasUnexpiredSourceRoute()).toBe(model(opts))
        },
      ),
      { numRuns: 300 },
    )
  })

  test('property: random option bytes never throw and give a boolean', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(typeof withOptions(Array.from(bytes)).hasUnexpiredSourceRoute()).toBe('boolean')
      }),
      { numRuns: 300 },
    )
  })
})

describe('RFC 8200 §4: isIpv6ExtensionHeader', () => {
  test('true exactly for the Next Header values Ipv6View walks past as an extension header', () => {
    // One 8-byte header whose own Next Header is 59 (No Next Header): a walked type counts one extension header
    // and ends at 59; any other type is the upper layer itself.
    const ext = new Uint8Array(16)
    ext[0] = 59
    const walked: number[] = []
    for (let nh = 0; nh < 256; nh++) {
      const b = buildIpv6({ src: new Uint8Array(16), dst: new Uint8Array(16), protocol: nh, payload: ext })
      const v = new Ipv6View().reset(b, 0, b.length)
      expect(v.check()).toBeNull()
      if (v.extCount === 1) walked.push(nh)
      expect(isIpv6ExtensionHeader(nh)).toBe(v.extCount === 1)
    }
    // RFC 8200 §4 and RFC 7045 §4's list, ESP (50) excluded: its next header is encrypted.
    expect(walked).toEqual([0, 43, 44, 51, 60, 135, 139, 140])
  })
})
