import { describe, expect, test } from 'bun:test'
import { ipv4ToText, ipv6ToText } from '@gatehouse/ip-packet'
import fc from 'fast-check'
import { EamtMapper, PairMapper, parseEamtEntry, Rfc6052Mapper, Rfc6791Pool } from '../src/index.ts'
import { v4, v6 } from './helpers.ts'

const out = new Uint8Array(16)
const text6 = (b: Uint8Array) => ipv6ToText(b, 0)

describe('RFC 6052 prefix mapper', () => {
  // RFC 6052 §2.4, Table 1: 192.0.2.33 under each prefix length.
  const table: [string, string][] = [
    ['2001:db8::/32', '2001:db8:c000:221::'],
    ['2001:db8:100::/40', '2001:db8:1c0:2:21::'],
    ['2001:db8:122::/48', '2001:db8:122:c000:2:2100::'],
    ['2001:db8:122:300::/56', '2001:db8:122:3c0:0:221::'],
    ['2001:db8:122:344::/64', '2001:db8:122:344:c0:2:2100:0'],
    ['2001:db8:122:344::/96', '2001:db8:122:344::c000:221'],
  ]
  for (const [prefix, expected] of table) {
    test(`RFC 6052 §2.4: 192.0.2.33 under ${prefix} is ${expected}`, () => {
      const m = new Rfc6052Mapper(prefix)
      expect(m.embed(v4('192.0.2.33'), out, 0)).toBe(true)
      expect(text6(out)).toBe(expected)
      expect(m.extract(v6(expected), 0)).toBe(v4('192.0.2.33'))
      expect(m.dst6to4(v6(expected), 0)).toBe(v4('192.0.2.33'))
    })
  }

  test('RFC 6052 §2.2: only lengths 32, 40, 48, 56, 64, 96', () => {
    expect(() => new Rfc6052Mapper('2001:db8::/33')).toThrow(/pool6/)
    expect(() => new Rfc6052Mapper('2001:db8::/128')).toThrow(/pool6/)
  })

  test('RFC 6052 §2.2: a prefix with the u octet (bits 64-71) set is refused', () => {
    expect(() => new Rfc6052Mapper('2001:db8:0:0:ff00::/96')).toThrow(/bits 64-71/)
  })

  test('RFC 6052 §2.2: an address whose u octet is not zero is not IPv4-embedded', () => {
    const m = new Rfc6052Mapper('2001:db8:122:344::/64')
    const a = v6('2001:db8:122:344:c0:2:2100:0')
    a[8] = 1
    expect(m.extract(a, 0)).toBe(-1)
  })

  test('RFC 6052 §2.3: an address outside the prefix does not map', () => {
    const m = new Rfc6052Mapper('64:ff9b::/96')
    expect(m.src6to4(v6('2001:db8::1'), 0)).toBe(-1)
  })

  test('RFC 6052 §3.1: the Well-Known Prefix refuses non-global IPv4 (unless allowed)', () => {
    const strict = new Rfc6052Mapper('64:ff9b::/96')
    expect(strict.embed(v4('10.0.0.1'), out, 0)).toBe(false)
    expect(strict.extract(v6('64:ff9b::10.0.0.1'), 0)).toBe(-1)
    expect(strict.embed(v4('8.8.8.8'), out, 0)).toBe(true)
    const loose = new Rfc6052Mapper('64:ff9b::/96', undefined, { wkpGlobalOnly: false })
    expect(loose.extract(v6('64:ff9b::10.0.0.1'), 0)).toBe(v4('10.0.0.1'))
    // A network-specific prefix carries private addresses (RFC 6052 §3.2).
    expect(new Rfc6052Mapper('64:ff9b:1::/96').embed(v4('10.0.0.1'), out, 0)).toBe(true)
  })

  test('RFC 6052 §2.2: extract(embed(a)) = a for every length (property)', () => {
    const ms = [32, 40, 48, 56, 64, 96].map((l) => new Rfc6052Mapper(`2001:db8::/${l}`))
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 5 }), (a, i) => {
        const m = ms[i]
        expect(m.embed(a, out, 0)).toBe(true)
        expect(out[8]).toBe(0) // the u octet is always zero
        expect(m.extract(out, 0)).toBe(a)
      }),
      { numRuns: 300 },
    )
  })
})

describe('RFC 7757 EAMT mapper', () => {
  const eamt = new EamtMapper([
    '192.0.2.1=2001:db8:aaaa::5',
    '198.51.100.0/24=2001:db8:bbbb::/120',
    '192.0.2.8/29=2001:db8:cccc::/125',
    '203.0.113.0/24=2001:db8:dddd::/120',
    '203.0.113.128/25=2001:db8:eeee::/121',
  ])

  test('RFC 7757 §3.2: a /32 entry maps one address both ways', () => {
    expect(eamt.dst6to4(v6('2001:db8:aaaa::5'), 0)).toBe(v4('192.0.2.1'))
    expect(eamt.dst4to6(v4('192.0.2.1'), out, 0)).toBe(true)
    expect(text6(out)).toBe('2001:db8:aaaa::5')
  })

  test('RFC 7757 §3.2: the suffix is copied at bit level', () => {
    expect(eamt.dst4to6(v4('198.51.100.7'), out, 0)).toBe(true)
    expect(text6(out)).toBe('2001:db8:bbbb::7')
    expect(eamt.dst4to6(v4('192.0.2.9'), out, 0)).toBe(true)
    expect(text6(out)).toBe('2001:db8:cccc::1')
    expect(ipv4ToText(eamt.src6to4(v6('2001:db8:cccc::7'), 0))).toBe('192.0.2.15')
  })

  test('RFC 7757 §3.3: the longest matching prefix wins, both directions', () => {
    expect(eamt.dst4to6(v4('203.0.113.200'), out, 0)).toBe(true)
    expect(text6(out)).toBe('2001:db8:eeee::48')
    expect(eamt.dst4to6(v4('203.0.113.5'), out, 0)).toBe(true)
    expect(text6(out)).toBe('2001:db8:dddd::5')
    expect(ipv4ToText(eamt.src6to4(v6('2001:db8:eeee::7f'), 0))).toBe('203.0.113.255')
  })

  test('RFC 7757 §3.3: no entry and no pool6 means unmappable', () => {
    expect(eamt.dst4to6(v4('8.8.8.8'), out, 0)).toBe(false)
    expect(eamt.dst6to4(v6('2001:db8:ffff::1'), 0)).toBe(-1)
  })

  test('RFC 7757 §3.3: no entry falls back to the RFC 6052 pool6', () => {
    const m = new EamtMapper(['192.0.2.1=2001:db8:aaaa::5'], { pool6: new Rfc6052Mapper('64:ff9b::/96') })
    expect(m.dst4to6(v4('8.8.8.8'), out, 0)).toBe(true)
    expect(text6(out)).toBe('64:ff9b::808:808')
    expect(m.src6to4(v6('64:ff9b::8.8.4.4'), 0)).toBe(v4('8.8.4.4'))
    expect(m.src6to4(v6('2001:db8:aaaa::5'), 0)).toBe(v4('192.0.2.1'))
  })

  test('RFC 7757 §4.2: a hairpinned packet (both IPv4 addresses EAM-mapped) takes the pool6 source', () => {
    const m = new EamtMapper(['192.0.2.1=2001:db8:a::1', '192.0.2.2=2001:db8:b::2'], {
      pool6: new Rfc6052Mapper('64:ff9b:1::/96'),
    })
    // A (2001:db8:a::1) sends to B through B's pool6 address 64:ff9b:1::192.0.2.2.
    expect(m.src6to4(v6('2001:db8:a::1'), 0)).toBe(v4('192.0.2.1'))
    expect(m.dst6to4(v6('64:ff9b:1::192.0.2.2'), 0)).toBe(v4('192.0.2.2'))
    // The IPv4 packet 192.0.2.1 -> 192.0.2.2 comes back in: destination by EAM, source by pool6.
    expect(m.dst4to6(v4('192.0.2.2'), out, 0)).toBe(true)
    expect(text6(out)).toBe('2001:db8:b::2')
    expect(m.src4to6(v4('192.0.2.1'), v4('192.0.2.2'), out, 0)).toBe(true)
    expect(text6(out)).toBe('64:ff9b:1::c000:201')
    // Not hairpinned (destination not EAM-mapped): the source keeps its EAM form.
    expect(m.src4to6(v4('192.0.2.1'), v4('8.8.8.8'), out, 0)).toBe(true)
    expect(text6(out)).toBe('2001:db8:a::1')
    const off = new EamtMapper(['192.0.2.1=2001:db8:a::1', '192.0.2.2=2001:db8:b::2'], {
      pool6: new Rfc6052Mapper('64:ff9b:1::/96'),
      hairpinning: false,
    })
    expect(off.src4to6(v4('192.0.2.1'), v4('192.0.2.2'), out, 0)).toBe(true)
    expect(text6(out)).toBe('2001:db8:a::1')
  })

  test('RFC 7757 §3.2: entries with different suffix lengths are refused', () => {
    expect(() => parseEamtEntry('192.0.2.0/24=2001:db8::/64')).toThrow(/suffix/)
    expect(() => parseEamtEntry('nonsense')).toThrow(/eamt/)
    expect(() => new EamtMapper(['192.0.2.0/24=2001:db8::/120', '192.0.2.0/24=2001:db8:1::/120'])).toThrow(
      /duplicate/,
    )
  })

  test('RFC 7757 §3.2: to4(to6(a)) = a inside an entry (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (h) => {
        const a = (v4('198.51.100.0') | h) >>> 0
        expect(eamt.src4to6(a, 0, out, 0)).toBe(true)
        expect(eamt.src6to4(out, 0)).toBe(a)
      }),
      { numRuns: 100 },
    )
  })
})

describe('fixed pair mapper (the gateway)', () => {
  test('Issue 3: maps exactly a6<->a4 and b6<->b4, by value, both ways', () => {
    const m = new PairMapper('fd00::1', '100.64.0.1', 'fd00:2021:1111:8000::5', '93.184.216.34')
    expect(m.src6to4(v6('fd00::1'), 0)).toBe(v4('100.64.0.1'))
    expect(m.dst6to4(v6('fd00:2021:1111:8000::5'), 0)).toBe(v4('93.184.216.34'))
    expect(m.dst6to4(v6('fd00::2'), 0)).toBe(-1)
    expect(m.dst4to6(v4('100.64.0.1'), out, 0)).toBe(true)
    expect(text6(out)).toBe('fd00::1')
    expect(m.src4to6(v4('93.184.216.34'), 0, out, 0)).toBe(true)
    expect(text6(out)).toBe('fd00:2021:1111:8000::5')
    expect(m.src4to6(v4('192.0.2.1'), 0, out, 0)).toBe(false)
    m.set(v6('fd00::9'), 0, v4('100.64.0.9'), v6('fd00::a'), 0, v4('192.0.2.10'))
    expect(m.src6to4(v6('fd00::9'), 0)).toBe(v4('100.64.0.9'))
    expect(m.src6to4(v6('fd00::1'), 0)).toBe(-1)
  })
  test('Issue 3: bad configuration names the field', () => {
    expect(() => new PairMapper('nope', '1.2.3.4', '::1', '1.2.3.5')).toThrow(/a6/)
    expect(() => new PairMapper('::1', '1.2.3', '::2', '1.2.3.5')).toThrow(/a4/)
  })
})

describe('RFC 6791 pool', () => {
  test('RFC 6791 §4: IPv4 sources come from the pool, the same one for the same router', () => {
    const p = new Rfc6791Pool('192.0.2.0/29')
    const r1 = p.pick4(v6('2001:db8::1'), 0)
    expect((r1 & 0xfffffff8) >>> 0).toBe(v4('192.0.2.0'))
    expect(r1 & 7).not.toBe(0)
    expect(p.pick4(v6('2001:db8::1'), 0)).toBe(r1)
    expect(p.pick6(1, out, 0)).toBe(false)
  })
  test('RFC 6791 §4: an IPv6 pool of /96 carries the IPv4 router address', () => {
    const p = new Rfc6791Pool(null, '2001:db8:ffff::/96')
    expect(p.pick6(v4('203.0.113.9'), out, 0)).toBe(true)
    expect(text6(out)).toBe('2001:db8:ffff::cb00:7109')
    expect(p.pick4(out, 0)).toBe(-1)
    expect(() => new Rfc6791Pool('2001:db8::/64')).toThrow(/pool6791v4/)
  })
})
