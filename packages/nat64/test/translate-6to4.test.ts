import { describe, expect, test } from 'bun:test'
import {
  buildIcmp6,
  buildIcmp6Echo,
  buildIpv6,
  buildTcp6,
  buildUdp6,
  get16,
  get32,
  ipv4ToText,
} from '@gatehouse/ip-packet'
import {
  nat64Options,
  PairMapper,
  Rfc6052Mapper,
  Rfc6791Pool,
  TranslateResult,
  translate,
} from '../src/index.ts'
import { allFailures, bytesOf, hex, payload, place, v4, v6 } from './helpers.ts'

const pool6 = new Rfc6052Mapper('64:ff9b:1::/96')
const opts = nat64Options()
const res = new TranslateResult()
const A6 = v6('64:ff9b:1::c000:201') // 192.0.2.1
const B6 = v6('64:ff9b:1::c633:6402') // 198.51.100.2
const A4 = v4('192.0.2.1')
const B4 = v4('198.51.100.2')

function run(p: Uint8Array, o = opts, mapper: Rfc6052Mapper | PairMapper = pool6) {
  const pb = place(p, 0)
  const r = translate(pb, mapper, o, res)
  return { r, pb }
}

describe('RFC 7915 §5.1 IPv6 header -> IPv4 header', () => {
  test('RFC 7915 §5.1: version 4, IHL 5, TOS = traffic class, total length, TTL = hop limit, protocol, addresses, header checksum', () => {
    const p = buildTcp6({
      src: A6,
      dst: B6,
      trafficClass: 0x2e,
      flowLabel: 0x12345,
      hopLimit: 33,
      srcPort: 5,
      dstPort: 6,
      payload: payload(40),
    })
    const { r, pb } = run(p)
    expect(r.action).toBe('translated')
    const o = bytesOf(r.packets[0])
    expect(r.packets[0].buf).toBe(pb.buf)
    expect(r.packets[0].off).toBe(20)
    expect(o[0]).toBe(0x45)
    expect(o[1]).toBe(0x2e)
    expect(get16(o, 2)).toBe(20 + 60)
    expect(o[8]).toBe(33)
    expect(o[9]).toBe(6)
    expect(ipv4ToText(get32(o, 12))).toBe('192.0.2.1')
    expect(ipv4ToText(get32(o, 16))).toBe('198.51.100.2')
    expect(o.slice(40)).toEqual(p.slice(60))
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §5.1: DF=0 and a fresh identification at or below 1260 bytes; DF=1 above', () => {
    const small = bytesOf(
      run(buildUdp6({ src: A6, dst: B6, srcPort: 1, dstPort: 2, payload: payload(100) })).r.packets[0],
    )
    expect(get16(small, 6) & 0x4000).toBe(0)
    const id1 = get16(small, 4)
    const small2 = bytesOf(
      run(buildUdp6({ src: A6, dst: B6, srcPort: 1, dstPort: 2, payload: payload(100) })).r.packets[0],
    )
    expect(get16(small2, 4)).not.toBe(id1)
    const edge = bytesOf(
      run(buildUdp6({ src: A6, dst: B6, srcPort: 1, dstPort: 2, payload: payload(1232) })).r.packets[0],
    )
    expect(edge.length).toBe(1260)
    expect(get16(edge, 6) & 0x4000).toBe(0)
    const big = bytesOf(
      run(buildUdp6({ src: A6, dst: B6, srcPort: 1, dstPort: 2, payload: payload(1233) })).r.packets[0],
    )
    expect(big.length).toBe(1261)
    expect(get16(big, 6)).toBe(0x4000)
    expect(get16(big, 4)).toBe(0)
  })

  test('RFC 7915 §5.1: Hop-by-Hop, Destination Options and Routing (Segments Left 0) headers are skipped', () => {
    const p = buildUdp6({
      src: A6,
      dst: B6,
      ext: [{ type: 0 }, { type: 60 }, { type: 43 }, { type: 60, data: new Uint8Array(14) }],
      srcPort: 7,
      dstPort: 8,
      payload: payload(20),
    })
    const { r } = run(p)
    expect(r.action).toBe('translated')
    const o = bytesOf(r.packets[0])
    expect(o[9]).toBe(17)
    expect(get16(o, 2)).toBe(20 + 28)
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §5.1: a Routing header with Segments Left > 0 is answered with Parameter Problem 4/0 pointing at it', () => {
    const rh = new Uint8Array(6)
    rh[0] = 0 // routing type
    rh[1] = 1 // segments left
    const p = buildUdp6({ src: A6, dst: B6, ext: [{ type: 43, data: rh }], srcPort: 7, dstPort: 8 })
    const { r } = run(p)
    expect(r.action).toBe('icmp-error')
    expect(r.reason).toBe('nat64-routing-header')
    const e = bytesOf(r.packets[0])
    expect([e[40], e[41], get32(e, 44)]).toEqual([4, 0, 43])
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §5.1: a Fragment header becomes the IPv4 fragment fields (id low 16 bits, offset, MF, DF=0)', () => {
    const p = buildIpv6({
      src: A6,
      dst: B6,
      ext: [{ type: 44, offset: 1232, more: true, id: 0xabcd1234 }],
      protocol: 17,
      payload: payload(80),
    })
    const { r } = run(p)
    const o = bytesOf(r.packets[0])
    expect(get16(o, 4)).toBe(0x1234)
    expect(get16(o, 6)).toBe(0x2000 | (1232 / 8))
    expect(o[9]).toBe(17)
    expect(o.slice(20)).toEqual(p.slice(48))
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §5.1: an extension header after the Fragment header is refused with 1/1 (§5.4)', () => {
    const p = buildUdp6({
      src: A6,
      dst: B6,
      ext: [{ type: 44, id: 1 }, { type: 60 }],
      srcPort: 1,
      dstPort: 2,
    })
    const { r } = run(p)
    expect(r.reason).toBe('nat64-ext-header-after-fragment')
    const e = bytesOf(r.packets[0])
    expect([e[40], e[41]]).toEqual([1, 1])
  })

  test('RFC 7915 §5.1: too big for the IPv4 MTU with DF: Packet Too Big with MTU + 20, never below 1280', () => {
    const p = buildTcp6({ src: A6, dst: B6, srcPort: 1, dstPort: 2, payload: payload(1400) })
    const { r } = run(p, nat64Options({ mtu4: 1400 }))
    expect(r.reason).toBe('nat64-packet-too-big')
    const e = bytesOf(r.packets[0])
    expect([e[40], e[41], get32(e, 44)]).toEqual([2, 0, 1420])
    expect(e.length).toBe(1280)
    expect(allFailures(r.packets[0])).toEqual([])
    const low = run(p, nat64Options({ mtu4: 1000 })).r
    expect(get32(bytesOf(low.packets[0]), 44)).toBe(1280)
  })

  test('RFC 7915 §5.1: an IPv6 fragment larger than the IPv4 MTU is fragmented further in IPv4', () => {
    const body = payload(1200)
    const p = buildIpv6({
      src: A6,
      dst: B6,
      ext: [{ type: 44, offset: 0, more: true, id: 9 }],
      protocol: 132,
      payload: body,
    })
    const { r } = run(p, nat64Options({ mtu4: 576 }))
    expect(r.action).toBe('translated')
    expect(r.count).toBe(3)
    let data: number[] = []
    for (let i = 0; i < r.count; i++) {
      const f = bytesOf(r.packets[i])
      expect(f.length).toBeLessThanOrEqual(576)
      expect(get16(f, 4)).toBe(9)
      expect(get16(f, 6) & 0x2000).toBe(0x2000) // all MF: the original had M=1
      expect((get16(f, 6) & 0x1fff) * 8).toBe(data.length)
      data = data.concat([...f.slice(20)])
      expect(allFailures(r.packets[i])).toEqual([])
    }
    expect(hex(new Uint8Array(data))).toBe(hex(body))
  })

  test('RFC 7915 §5.1 (router behaviour): hop limit decremented when configured; 1 answers 3/0', () => {
    const dec = nat64Options({ decrementTtl: true })
    const p = buildUdp6({ src: A6, dst: B6, hopLimit: 1, srcPort: 1, dstPort: 2 })
    const { r } = run(p, dec)
    expect(r.reason).toBe('nat64-hop-limit-exceeded')
    const e = bytesOf(r.packets[0])
    expect([e[40], e[41]]).toEqual([3, 0])
    expect(hex(e.slice(48))).toBe(hex(p))
    expect(allFailures(r.packets[0])).toEqual([])
    const q = buildUdp6({ src: A6, dst: B6, hopLimit: 10, srcPort: 1, dstPort: 2 })
    expect(bytesOf(run(q, dec).r.packets[0])[8]).toBe(9)
  })

  test('RFC 2675: a jumbogram cannot be translated', () => {
    const p = buildUdp6({ src: A6, dst: B6, ext: [{ type: 0 }], srcPort: 1, dstPort: 2 })
    p[4] = 0
    p[5] = 0
    expect(run(p).r.action).toBe('drop')
  })
})

describe('RFC 7915 §5.2 ICMPv6 -> ICMPv4', () => {
  test('RFC 7915 §5.2: Echo Request 128 -> 8, Reply 129 -> 0; the pseudo-header leaves the checksum', () => {
    for (const [reply, t4] of [
      [false, 8],
      [true, 0],
    ] as const) {
      const p = buildIcmp6Echo({ src: A6, dst: B6, id: 99, seq: 3, reply, payload: payload(56) })
      const { r } = run(p)
      const o = bytesOf(r.packets[0])
      expect(o[9]).toBe(1)
      expect([o[20], o[21], get16(o, 24), get16(o, 26)]).toEqual([t4, 0, 99, 3])
      expect(allFailures(r.packets[0])).toEqual([])
    }
  })

  test('RFC 7915 §5.2: MLD (130-132), ND (133-137) and unknown informational messages are dropped', () => {
    for (const type of [130, 131, 132, 133, 134, 135, 136, 137, 200]) {
      expect(run(buildIcmp6({ src: A6, dst: B6, type, payload: payload(16) })).r.reason).toBe(
        'nat64-icmp-type-untranslatable',
      )
    }
  })
})

/** An ICMPv6 error from `from` to A about a UDP packet A -> B. */
function icmp6Error(type: number, code: number, rest: number, from = B6, quoteLen = 40) {
  const orig = buildUdp6({
    src: A6,
    dst: B6,
    hopLimit: 2,
    srcPort: 4000,
    dstPort: 33434,
    payload: payload(quoteLen),
  })
  return { orig, err: buildIcmp6({ src: from, dst: A6, hopLimit: 60, type, code, rest, payload: orig }) }
}

describe('RFC 7915 §5.3 ICMPv6 errors -> ICMPv4 errors', () => {
  test('RFC 7915 §5.3: port unreachable 1/4 -> 3/3; the quoted packet is translated, every checksum right', () => {
    const { orig, err } = icmp6Error(1, 4, 0)
    const { r } = run(err)
    expect(r.action).toBe('translated')
    const o = bytesOf(r.packets[0])
    expect([o[20], o[21]]).toEqual([3, 3])
    expect(get32(o, 12)).toBe(B4)
    expect(get32(o, 16)).toBe(A4)
    expect(o[28]).toBe(0x45)
    expect(get16(o, 30)).toBe(20 + 8 + 40)
    expect(o[28 + 8]).toBe(2)
    expect(o[28 + 9]).toBe(17)
    expect(get32(o, 28 + 12)).toBe(A4)
    expect(get32(o, 28 + 16)).toBe(B4)
    expect(o.slice(48 + 8)).toEqual(orig.slice(48))
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §5.2: Destination Unreachable, Time Exceeded and Parameter Problem codes map per the table', () => {
    const cases: [number, number, [number, number] | null][] = [
      [1, 0, [3, 1]],
      [1, 1, [3, 10]],
      [1, 2, [3, 1]],
      [1, 3, [3, 1]],
      [1, 4, [3, 3]],
      [1, 5, null],
      [1, 6, null],
      [3, 0, [11, 0]],
      [3, 1, [11, 1]],
      [4, 0, [12, 0]],
      [4, 1, [3, 2]],
      [4, 2, null],
    ]
    for (const [t, c, want] of cases) {
      const { r } = run(icmp6Error(t, c, 0).err)
      if (want === null) expect(r.action).toBe('drop')
      else {
        const o = bytesOf(r.packets[0])
        expect([o[20], o[21]]).toEqual(want)
        expect(allFailures(r.packets[0])).toEqual([])
      }
    }
  })

  test('RFC 7915 §5.2: Packet Too Big -> Fragmentation Needed with min(MTU - 20, mtu4, mtu6 - 20)', () => {
    const mtuOf = (adv: number, o = opts) =>
      get16(bytesOf(run(icmp6Error(2, 0, adv).err, o).r.packets[0]), 26)
    expect(mtuOf(1400)).toBe(1380)
    expect(mtuOf(1500, nat64Options({ mtu4: 1400 }))).toBe(1400)
    expect(mtuOf(9000, nat64Options({ mtu6: 1500 }))).toBe(1480)
    const { r } = run(icmp6Error(2, 0, 1400).err)
    expect([bytesOf(r.packets[0])[20], bytesOf(r.packets[0])[21]]).toEqual([3, 4])
  })

  test('RFC 7915 §5.2 Figure 6: Parameter Problem pointers remapped; untranslatable ones dropped', () => {
    const cases: [number, number | null][] = [
      [0, 0],
      [1, 1],
      [2, null],
      [3, null],
      [4, 2],
      [5, 2],
      [6, 9],
      [7, 8],
      [8, 12],
      [23, 12],
      [24, 16],
      [39, 16],
      [40, null],
    ]
    for (const [p6, p4] of cases) {
      const { r } = run(icmp6Error(4, 0, p6).err)
      if (p4 === null) expect(r.reason).toBe('nat64-icmp-pointer-untranslatable')
      else expect(bytesOf(r.packets[0])[24]).toBe(p4)
    }
  })

  test('RFC 7915 §5.3: the translated error is cut to 576 bytes', () => {
    const { r } = run(icmp6Error(1, 4, 0, B6, 1100).err)
    const o = bytesOf(r.packets[0])
    expect(o.length).toBe(576)
    expect(get16(o, 2)).toBe(576)
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 6791: an error from an untranslatable router takes an IPv4 source from the pool, or is dropped', () => {
    const router = v6('2001:db8:dead::1')
    const { err } = icmp6Error(3, 0, 0, router)
    expect(run(err).r.reason).toBe('nat64-icmp-source-unmappable')
    const { r } = run(err, nat64Options({ pool6791: new Rfc6791Pool('203.0.113.0/28') }))
    expect(r.action).toBe('translated')
    expect((get32(bytesOf(r.packets[0]), 12) & 0xfffffff0) >>> 0).toBe(v4('203.0.113.0'))
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §5.3: a quoted ICMPv6 echo becomes an ICMPv4 echo (type, checksum)', () => {
    const echo = buildIcmp6Echo({ src: A6, dst: B6, id: 5, seq: 6, payload: payload(24) })
    const err = buildIcmp6({ src: B6, dst: A6, type: 3, code: 0, payload: echo })
    const o = bytesOf(run(err).r.packets[0])
    expect(o[28 + 9]).toBe(1)
    expect(o[48]).toBe(8)
    expect(allFailures({ buf: o, off: 0, len: o.length })).toEqual([])
  })

  test('RFC 7915 §5.3: an ICMPv6 error quoting an ICMPv6 error is dropped', () => {
    const inner = buildIcmp6({ src: A6, dst: B6, type: 1, code: 0, payload: payload(48) })
    expect(run(buildIcmp6({ src: B6, dst: A6, type: 1, code: 4, payload: inner })).r.reason).toBe(
      'nat64-icmp-error-in-error',
    )
  })

  test('RFC 4884: an ICMPv6 extension is kept, the length re-expressed in 32-bit words', () => {
    const orig = buildUdp6({ src: A6, dst: B6, srcPort: 1, dstPort: 2, payload: payload(40) })
    const ext = new Uint8Array([0x20, 0, 0, 0, 0, 8, 1, 1, 0, 0, 0, 5])
    const body = new Uint8Array(128 + ext.length)
    body.set(orig)
    body.set(ext, 128)
    const err = buildIcmp6({ src: B6, dst: A6, type: 3, code: 0, rest: (16 << 24) >>> 0, payload: body })
    const o = bytesOf(translate(place(err, 0, 20), pool6, opts, res).packets[0])
    expect(o[25]).toBe(128 / 4)
    expect(hex(o.slice(28 + 128))).toBe(hex(ext))
    expect(allFailures({ buf: o, off: 0, len: o.length })).toEqual([])
    // Without the 20 bytes of tailroom the padding needs, the extension is left out (length 0), the rest intact.
    const cut = bytesOf(run(err).r.packets[0])
    expect(cut[25]).toBe(0)
    expect(cut.length).toBe(28 + 20 + 48)
    expect(allFailures({ buf: cut, off: 0, len: cut.length })).toEqual([])
  })
})

describe('RFC 7915 §5.4 errors the translator sends', () => {
  test('RFC 7915 §5.4: untranslatable source 1/5, untranslatable destination 1/0; drops when configured', () => {
    const pair = new PairMapper(A6, A4, B6, B4)
    const badSrc = buildUdp6({ src: v6('2001:db8::99'), dst: B6, srcPort: 1, dstPort: 2 })
    const r1 = run(badSrc, opts, pair).r
    expect(r1.reason).toBe('nat64-src-untranslatable')
    expect([bytesOf(r1.packets[0])[40], bytesOf(r1.packets[0])[41]]).toEqual([1, 5])
    const badDst = buildUdp6({ src: A6, dst: v6('2001:db8::99'), srcPort: 1, dstPort: 2 })
    const r2 = run(badDst, opts, pair).r
    expect(r2.reason).toBe('nat64-dst-untranslatable')
    expect([bytesOf(r2.packets[0])[40], bytesOf(r2.packets[0])[41]]).toEqual([1, 0])
    expect(run(badDst, nat64Options({ errorOnUntranslatable: false }), pair).r.reason).toBe(
      'nat64-dst-unmappable',
    )
  })
})

describe('RFC 7915 §5.5 transport', () => {
  test('RFC 7915 §5.5: TCP, UDP checksums updated for the IPv4 pseudo-header', () => {
    for (const p of [
      buildTcp6({ src: A6, dst: B6, srcPort: 1, dstPort: 2, flags: 2, payload: payload(333) }),
      buildUdp6({ src: A6, dst: B6, srcPort: 1, dstPort: 2, payload: payload(1) }),
    ]) {
      expect(allFailures(run(p).r.packets[0])).toEqual([])
    }
  })
  test('RFC 7915 §5.1: an unknown upper layer passes through untouched', () => {
    const body = payload(50)
    const o = bytesOf(run(buildIpv6({ src: A6, dst: B6, protocol: 132, payload: body })).r.packets[0])
    expect(o[9]).toBe(132)
    expect(hex(o.slice(20))).toBe(hex(body))
  })
  test('RFC 8200 §3: malformed IPv6 is dropped with ip-packet reasons', () => {
    const p = buildUdp6({ src: A6, dst: B6, srcPort: 1, dstPort: 2 })
    expect(run(p.slice(0, 30)).r.reason).toBe('ipv6-truncated')
    const q = p.slice()
    q[5] += 10
    expect(run(q).r.reason).toBe('ipv6-bad-payload-len')
  })
})
