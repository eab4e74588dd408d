/** struct ifreq as TUNSETIFF uses it (<linux/if.h>): name in bytes 0..15, flags u16 LE at 16. */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { encodeIfreq, ifreqFlags, ifreqName } from '../src/ifreq.ts'
import { openTun, TunConfigError } from '../src/index.ts'

const ifname = fc
  .string({
    unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.'),
    minLength: 1,
    maxLength: 15,
  })
  .filter((s) => s.length > 0)
const short = fc.string({ unit: fc.constantFrom(...'abcxyz019-_.'), minLength: 1, maxLength: 7 })

describe('struct ifreq (linux/if.h)', () => {
  test('deconstruct: "tun0" with IFF_TUN|IFF_NO_PI is 74 75 6e 30, zeros, 01 10 at byte 16', () => {
    const ifr = encodeIfreq('tun0', 0x1001)
    expect(ifr.length).toBe(40)
    expect([...ifr.subarray(0, 5)]).toEqual([0x74, 0x75, 0x6e, 0x30, 0])
    expect([...ifr.subarray(16, 18)]).toEqual([0x01, 0x10])
    expect(ifr.subarray(18).every((b) => b === 0)).toBe(true)
  })

  test('round trip: any name of 1..15 bytes and any 16-bit flags', () => {
    fc.assert(
      fc.property(ifname, fc.integer({ min: 0, max: 0xffff }), (name, flags) => {
        const ifr = encodeIfreq(name, flags)
        expect(ifreqName(ifr)).toBe(name)
        expect(ifreqFlags(ifr)).toBe(flags)
      }),
      { numRuns: 200 },
    )
  })

  test('hostile bytes: decoding any 40 bytes never throws and names stay within 16 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (b) => {
        const n = ifreqName(b)
        expect(new TextEncoder().encode(n).length).toBeLessThanOrEqual(16 * 3) // U+FFFD is 3 bytes
        const f = ifreqFlags(b)
        expect(Number.isInteger(f) && f >= 0 && f <= 0xffff).toBe(true)
      }),
      { numRuns: 200 },
    )
  })

  test('a 16-byte name does not fit (IFNAMSIZ includes the NUL)', () => {
    expect(() => encodeIfreq('a'.repeat(16), 0)).toThrow(RangeError)
  })
})

describe('options (issue 7)', () => {
  test('any name that is not 1..15 bytes without space, / or : is refused as TunConfigError("name")', () => {
    const bad = fc.oneof(
      fc.string({ minLength: 16, maxLength: 40 }),
      // At most 7 + 1 + 7 bytes, so the bad character is always inside the 15 bytes that would fit.
      fc.tuple(short, fc.constantFrom(' ', '/', ':', '\t'), short).map(([a, c, b]) => `${a}${c}${b}`),
    )
    fc.assert(
      fc.property(bad, (name) => {
        let err: unknown
        try {
          openTun({ name, mtu: 1500, addresses: [], routes: [] })
        } catch (e) {
          err = e
        }
        expect(err).toBeInstanceOf(TunConfigError)
        expect((err as TunConfigError).field).toBe('name')
      }),
      { numRuns: 100 },
    )
  })
})
