import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import {
  ipFromText,
  ipToText,
  ipv4FromText,
  ipv4InPrefix,
  ipv4PrefixMask,
  ipv4ToText,
  ipv6Copy,
  ipv6Equals,
  ipv6FromText,
  ipv6InPrefix,
  ipv6IsV4Mapped,
  ipv6ToText,
  ipv6Word,
  parseCidr,
} from '../src/index.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const v6 = (s: string) => {
  const b = ipv6FromText(s)
  if (b === null) throw new Error(`bad test address ${s}`)
  return b
}

describe('IPv4 text (RFC 791 §3.2 dotted quad)', () => {
  test('known values', () => {
    expect(ipv4FromText('192.0.2.1')).toBe(0xc0000201)
    expect(ipv4FromText('0.0.0.0')).toBe(0)
    expect(ipv4FromText('255.255.255.255')).toBe(0xffffffff)
    expect(ipv4ToText(0xc0000201)).toBe('192.0.2.1')
    expect(ipv4ToText(0xffffffff)).toBe('255.255.255.255')
    expect(ipv4ToText(0x64640001)).toBe('100.100.0.1')
  })

  test('rejects malformed text: parts, range, leading zeros (octal ambiguity), junk', () => {
    for (const s of [
      '',
      '1',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '1.2.3.04',
      '01.2.3.4',
      '1..2.3',
      '1.2.3.4 ',
      ' 1.2.3.4',
      '1.2.3.',
      '.1.2.3',
      '1.2.3.4/8',
      '0x1.2.3.4',
      '1.2.3.1000',
      '::1',
    ]) {
      expect(ipv4FromText(s)).toBeNull()
    }
  })

  test('round trip: every u32 survives text and back', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), (a) => {
        expect(ipv4FromText(ipv4ToText(a))).toBe(a)
      }),
    )
  })

  test('parses exactly what a strict dotted-quad regex accepts', () => {
    const strict =
      /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9.]{0,17}$/), (s) => {
        expect(ipv4FromText(s) !== null).toBe(strict.test(s))
      }),
    )
  })

  test('prefix mask and membership (RFC 4632 §3.1)', () => {
    expect(ipv4PrefixMask(0)).toBe(0)
    expect(ipv4PrefixMask(11)).toBe(0xffe00000)
    expect(ipv4PrefixMask(32)).toBe(0xffffffff)
    expect(ipv4InPrefix(ipv4FromText('100.127.255.255')!, ipv4FromText('100.96.0.0')!, 11)).toBe(true)
    expect(ipv4InPrefix(ipv4FromText('100.128.0.0')!, ipv4FromText('100.96.0.0')!, 11)).toBe(false)
    expect(ipv4InPrefix(0xdeadbeef, 0, 0)).toBe(true)
  })
})

describe('IPv6 text (RFC 4291 §2.2 in, RFC 5952 §4 out)', () => {
  test('RFC 5952 §4.1: leading zeros suppressed', () => {
    expect(ipv6ToText(v6('2001:0db8::0001'))).toBe('2001:db8::1')
  })
  test('RFC 5952 §4.2.1: the longest zero run is shortened', () => {
    expect(ipv6ToText(v6('2001:db8:0:0:0:0:2:1'))).toBe('2001:db8::2:1')
  })
  test('RFC 5952 §4.2.2: a single zero group is not shortened', () => {
    expect(ipv6ToText(v6('2001:db8:0:1:1:1:1:1'))).toBe('2001:db8:0:1:1:1:1:1')
  })
  test('RFC 5952 §4.2.3: the longest run wins, the first on a tie', () => {
    expect(ipv6ToText(v6('2001:0:0:1:0:0:0:1'))).toBe('2001:0:0:1::1')
    expect(ipv6ToText(v6('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1')
  })
  test('RFC 5952 §4.3: lowercase', () => {
    expect(ipv6ToText(v6('2001:DB8::ABCD'))).toBe('2001:db8::abcd')
  })
  test('RFC 5952 §2: every variant of one address gives the same bytes', () => {
    const want = hex(v6('2001:db8:0:0:1:0:0:1'))
    for (const s of [
      '2001:db8:0:0:1:0:0:1',
      '2001:0db8:0:0:1:0:0:1',
      '2001:db8::1:0:0:1',
      '2001:db8::0:1:0:0:1',
      '2001:0db8::1:0:0:1',
      '2001:db8:0:0:1::1',
      '2001:db8:0000:0:1::1',
      '2001:DB8:0:0:1::1',
    ]) {
      expect(hex(v6(s))).toBe(want)
    }
  })
  test('RFC 5952 §5: IPv4-mapped addresses print a dotted quad; embedded IPv4 is accepted', () => {
    expect(ipv6ToText(v6('::ffff:192.0.2.1'))).toBe('::ffff:192.0.2.1')
    expect(hex(v6('::ffff:192.0.2.1'))).toBe('00000000000000000000ffffc0000201')
    expect(hex(v6('64:ff9b::192.0.2.33'))).toBe('0064ff9b0000000000000000c0000221')
    expect(ipv6ToText(v6('64:ff9b::192.0.2.33'))).toBe('64:ff9b::c000:221')
    expect(ipv6IsV4Mapped(v6('::ffff:1.2.3.4'), 0)).toBe(true)
    expect(ipv6IsV4Mapped(v6('::fffe:1.2.3.4'), 0)).toBe(false)
  })
  test('special addresses', () => {
    expect(ipv6ToText(new Uint8Array(16))).toBe('::')
    expect(ipv6ToText(v6('::1'))).toBe('::1')
    expect(ipv6ToText(v6('1::'))).toBe('1::')
    expect(ipv6ToText(v6('fd00:2021:1111:8000:100:100:111:0'))).toBe('fd00:2021:1111:8000:100:100:111:0')
    expect(ipv6ToText(v6('1:0:0:0:0:0:0:0'))).toBe('1::')
    expect(ipv6ToText(v6('0:0:0:0:0:0:0:1'))).toBe('::1')
  })
  test('rejects malformed text', () => {
    for (const s of [
      '',
      ':',
      ':::',
      '1:::2',
      '1::2::3',
      ':1::2',
      '1::2:',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      '::1:2:3:4:5:6:7:8',
      '12345::',
      'g::',
      '::1.2.3',
      '::1.2.3.256',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::1.2.3.4:5',
      'fe80::1%eth0',
      '[::1]',
      '1.2.3.4',
      ' ::1',
    ]) {
      expect(ipv6FromText(s)).toBeNull()
    }
  })
  test('writes at an offset into a caller buffer and leaves it untouched on failure', () => {
    const out = new Uint8Array(40).fill(0xaa)
    expect(ipv6FromText('2001:db8::1', out, 8)).toBe(out)
    expect(hex(out.subarray(8, 24))).toBe('20010db8000000000000000000000001')
    expect(out[7]).toBe(0xaa)
    expect(out[24]).toBe(0xaa)
    const before = hex(out)
    expect(ipv6FromText('1::2::3', out, 8)).toBeNull()
    expect(hex(out)).toBe(before)
    expect(ipv6ToText(out, 8)).toBe('2001:db8::1')
  })
  test('round trip: any 16 bytes survive canonical text and back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect(hex(v6(ipv6ToText(b)))).toBe(hex(b))
      }),
    )
  })
  test('round trip with many zeros (exercises :: placement)', () => {
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }))
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (g) => {
        const b = new Uint8Array(16)
        g.forEach((w, i) => {
          b[2 * i] = w >> 8
          b[2 * i + 1] = w & 0xff
        })
        const text = ipv6ToText(b)
        expect(hex(v6(text))).toBe(hex(b))
        // An independent RFC 5952 serializer: the WHATWG URL host parser (it never uses the dotted form).
        if (!ipv6IsV4Mapped(b, 0)) expect(`[${text}]`).toBe(new URL(`http://[${text}]/`).hostname)
      }),
    )
  })
  test('accepts what the WHATWG URL parser accepts, for full and shortened forms', () => {
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        const b = ipv6FromText(s)
        expect(b).not.toBeNull()
        // Bun's URL parser rejects some valid mixed forms (e.g. 0:0::0:0:0.0.0.0); compare where it parses.
        if (!URL.canParse(`http://[${s}]/`)) return
        const viaUrl = v6(new URL(`http://[${s}]/`).hostname.slice(1, -1))
        expect(hex(b!)).toBe(hex(viaUrl))
      }),
    )
  })
})

describe('ipFromText / parseCidr', () => {
  test('either family', () => {
    expect(ipFromText('10.0.0.1')).toEqual({ family: 4, addr4: 0x0a000001 })
    const a = ipFromText('fd00::1')
    expect(a?.family).toBe(6)
    expect(a && ipToText(a)).toBe('fd00::1')
    expect(ipFromText('nonsense')).toBeNull()
  })
  test('RFC 4632 §3.1 / RFC 4291 §2.3 prefixes from the mission', () => {
    const p4 = parseCidr('100.96.0.0/11')
    expect(p4).toEqual({ family: 4, addr4: 0x64600000, addr6: new Uint8Array(16), prefixLen: 11 })
    const p6 = parseCidr('fd00:2021:1111:8000::/107')
    expect(p6?.family).toBe(6)
    expect(p6?.prefixLen).toBe(107)
    expect(ipv6ToText(p6!.addr6)).toBe('fd00:2021:1111:8000::')
    expect(parseCidr('10.0.0.1')?.prefixLen).toBe(32)
    expect(parseCidr('::1')?.prefixLen).toBe(128)
    expect(parseCidr('10.0.0.1/24')?.addr4).toBe(0x0a000001) // host bits kept as written
  })
  test('rejects bad prefixes', () => {
    for (const s of [
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/',
      '10.0.0.0/08',
      '10.0.0.0/-1',
      '/8',
      'x/8',
      '10.0.0.0/8/8',
    ]) {
      expect(parseCidr(s)).toBeNull()
    }
  })
  test('ipv6InPrefix agrees with a bit-by-bit oracle', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 128 }),
        fc.integer({ min: 0, max: 128 }),
        (a, p, len, copy) => {
          // Make the first `copy` bits equal so matches are common.
          const b = Uint8Array.from(a)
          for (let bit = 0; bit < copy; bit++) {
            const m = 0x80 >> (bit % 8)
            b[bit >> 3] = (b[bit >> 3] & ~m) | (p[bit >> 3] & m)
          }
          let want = true
          for (let bit = 0; bit < len; bit++) {
            const m = 0x80 >> (bit % 8)
            if ((b[bit >> 3] & m) !== (p[bit >> 3] & m)) want = false
          }
          expect(ipv6InPrefix(b, 0, p, 0, len)).toBe(want)
        },
      ),
    )
  })
})

describe('in-place IPv6 helpers', () => {
  test('ipv6Equals / ipv6Copy / ipv6Word at offsets', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.nat(15),
        fc.nat(15),
        fc.nat(15),
        (a, ao, bo, flip) => {
          const A = new Uint8Array(32)
          const B = new Uint8Array(32).fill(0x55)
          A.set(a, ao)
          ipv6Copy(A, ao, B, bo)
          expect(hex(B.subarray(bo, bo + 16))).toBe(hex(a))
          expect(ipv6Equals(A, ao, B, bo)).toBe(true)
          expect(ipv6Word(B, bo, 3)).toBe(new DataView(a.buffer, a.byteOffset).getUint32(12))
          B[bo + flip] ^= 1
          expect(ipv6Equals(A, ao, B, bo)).toBe(false)
        },
      ),
    )
  })
})
