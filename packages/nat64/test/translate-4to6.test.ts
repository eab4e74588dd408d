import { describe, expect, test } from 'bun:test'
import {
  buildIcmp4,
  buildIcmp4Echo,
  buildIpv4,
  buildTcp4,
  buildUdp4,
  get16,
  get32,
  ipv6ToText,
} from '@gatehouse/ip-packet'
import {
  type AddressMapper,
  nat64Options,
  PairMapper,
  Rfc6052Mapper,
  Rfc6791Pool,
  TranslateResult,
  translate,
} from '../src/index.ts'
import { allFailures, bytesOf, hex, payload, place, v4, v6Upper } from './helpers.ts'

const pool6 = new Rfc6052Mapper('64:ff9b:1::/96')
const opts = nat64Options()
const res = new TranslateResult()
const A4 = v4('192.0.2.1')
const B4 = v4('198.51.100.2')
const A6 = '64:ff9b:1::c000:201'
const B6 = '64:ff9b:1::c633:6402'
const text = (b: Uint8Array, o: number) => ipv6ToText(b, o)

function run(p: Uint8Array, o = opts, mapper: AddressMapper = pool6, headroom = 28) {
  const pb = place(p, headroom)
  const r = translate(pb, mapper, o, res)
  return { r, pb }
}

describe('RFC 7915 §4.1 IPv4 header -> IPv6 header', () => {
  test('RFC 7915 §4.1: version, traffic class = TOS, flow label 0, payload length, next header, hop limit = TTL, addresses', () => {
    const p = buildTcp4({
      src: A4,
      dst: B4,
      tos: 0xb8,
      ttl: 42,
      srcPort: 1000,
      dstPort: 80,
      payload: payload(50),
    })
    const { r } = run(p)
    expect(r.action).toBe('translated')
    expect(r.count).toBe(1)
    const o = bytesOf(r.packets[0])
    expect(o[0] >> 4).toBe(6)
    expect(((o[0] & 15) << 4) | (o[1] >> 4)).toBe(0xb8)
    expect(get32(o, 0) & 0xfffff).toBe(0)
    expect(get16(o, 4)).toBe(20 + 50)
    expect(o[6]).toBe(6)
    expect(o[7]).toBe(42)
    expect(text(o, 8)).toBe(A6)
    expect(text(o, 24)).toBe(B6)
    expect(o.length).toBe(40 + 70)
    // The payload is the IPv4 payload, checksum aside.
    expect(o.slice(40 + 20)).toEqual(p.slice(40))
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §4.1: in place, the IPv6 header sits in the 20 bytes of headroom before the packet', () => {
    const p = buildUdp4({ src: A4, dst: B4, srcPort: 53, dstPort: 5353, payload: payload(10) })
    const { r, pb } = run(p, opts, pool6, 20)
    expect(r.packets[0].buf).toBe(pb.buf)
    expect(r.packets[0].off).toBe(0)
    expect(r.packets[0].len).toBe(p.length + 20)
  })

  test('RFC 7915 §4.1: without headroom the payload moves into the tailroom; with neither the drop is nat64-no-room', () => {
    const p = buildUdp4({ src: A4, dst: B4, srcPort: 53, dstPort: 5353, payload: payload(10) })
    const withTail = place(p, 0, 20)
    expect(translate(withTail, pool6, opts, res).action).toBe('translated')
    expect(allFailures(res.packets[0])).toEqual([])
    const none = place(p, 0, 0)
    expect(translate(none, pool6, opts, res).reason).toBe('nat64-no-room')
  })

  test('RFC 7915 §4.1: IPv4 options are dropped (not translated)', () => {
    const rr = new Uint8Array([7, 7, 4, 0, 0, 0, 0, 0]) // Record Route, then padding
    const p = buildTcp4({ src: A4, dst: B4, ipOptions: rr, srcPort: 1, dstPort: 2, payload: payload(8) })
    expect((p[0] & 15) * 4).toBe(28)
    const { r } = run(p)
    expect(r.action).toBe('translated')
    const o = bytesOf(r.packets[0])
    expect(get16(o, 4)).toBe(p.length - 28)
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §4.1: an unexpired source route option is answered with ICMPv4 3/5', () => {
    const lsrr = new Uint8Array([131, 7, 4, 10, 0, 0, 1, 0]) // pointer 4 <= length 7: unexpired
    const p = buildTcp4({ src: A4, dst: B4, ipOptions: lsrr, srcPort: 1, dstPort: 2 })
    const { r } = run(p)
    expect(r.action).toBe('icmp-error')
    expect(r.reason).toBe('nat64-source-route')
    const e = bytesOf(r.packets[0])
    expect(e[20]).toBe(3)
    expect(e[21]).toBe(5)
    expect(get32(e, 16)).toBe(A4)
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §4.1: ICMP (1) becomes ICMPv6 (58)', () => {
    const p = buildIcmp4Echo({ src: A4, dst: B4, id: 7, seq: 1, payload: payload(16) })
    const { r } = run(p)
    expect(bytesOf(r.packets[0])[6]).toBe(58)
  })

  test('RFC 7915 §4.1 (router behaviour): TTL decremented when configured; TTL 1 answers 11/0', () => {
    const dec = nat64Options({ decrementTtl: true })
    const p = buildUdp4({ src: A4, dst: B4, ttl: 9, srcPort: 1, dstPort: 2, payload: payload(4) })
    expect(bytesOf(run(p, dec).r.packets[0])[7]).toBe(8)
    expect(bytesOf(run(p, opts).r.packets[0])[7]).toBe(9)
    const dying = buildUdp4({ src: A4, dst: B4, ttl: 1, srcPort: 1, dstPort: 2, payload: payload(4) })
    const { r } = run(dying, dec)
    expect(r.action).toBe('icmp-error')
    expect(r.reason).toBe('nat64-ttl-exceeded')
    const e = bytesOf(r.packets[0])
    expect([e[20], e[21]]).toEqual([11, 0])
    // The quote is the untouched original.
    expect(hex(e.slice(28, 28 + dying.length))).toBe(hex(dying))
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §4.1: an IPv4 fragment gets a Fragment header with the same identification, offset and M', () => {
    const p = buildIpv4({
      src: A4,
      dst: B4,
      ident: 0xbeef,
      moreFragments: true,
      fragmentOffset: 1480,
      protocol: 17,
      payload: payload(64),
    })
    const { r } = run(p)
    expect(r.action).toBe('translated')
    const o = bytesOf(r.packets[0])
    expect(o[6]).toBe(44)
    expect(get16(o, 4)).toBe(8 + 64)
    expect(o[40]).toBe(17)
    expect(get16(o, 42)).toBe(1480 | 1)
    expect(get32(o, 44)).toBe(0xbeef)
    expect(o.slice(48)).toEqual(p.slice(20))
  })

  test('RFC 7915 §4.1: DF=0 and bigger than the lowest IPv6 MTU: fragmented to fit 1280', () => {
    const body = payload(1400)
    const p = buildUdp4({ src: A4, dst: B4, ident: 0x1234, srcPort: 9, dstPort: 10, payload: body })
    const { r } = run(p)
    expect(r.action).toBe('translated')
    expect(r.count).toBe(2)
    const f0 = bytesOf(r.packets[0])
    const f1 = bytesOf(r.packets[1])
    expect(f0.length).toBeLessThanOrEqual(1280)
    expect(f1.length).toBeLessThanOrEqual(1280)
    expect(get32(f0, 44)).toBe(0x1234)
    expect(get32(f1, 44)).toBe(0x1234)
    expect(get16(f0, 42) & 1).toBe(1)
    expect(get16(f1, 42) & 1).toBe(0)
    const firstLen = f0.length - 48
    expect(firstLen % 8).toBe(0)
    expect(get16(f1, 42) & 0xfff8).toBe(firstLen)
    // Reassembled, the UDP datagram verifies against the IPv6 pseudo-header.
    const whole = new Uint8Array(40 + firstLen + f1.length - 48)
    whole.set(f0.slice(0, 40))
    whole[6] = 17
    whole.set(f0.slice(48), 40)
    whole.set(f1.slice(48), 40 + firstLen)
    whole[4] = (whole.length - 40) >> 8
    whole[5] = (whole.length - 40) & 0xff
    expect(hex(whole.slice(48))).toBe(hex(body))
    expect(allFailures({ buf: whole, off: 0, len: whole.length })).toEqual([])
  })

  test('RFC 7915 §4.1: lowestIpv6Mtu raises the fragment size', () => {
    const p = buildUdp4({ src: A4, dst: B4, srcPort: 9, dstPort: 10, payload: payload(1400) })
    const { r } = run(p, nat64Options({ lowestIpv6Mtu: 1500 }))
    expect(r.count).toBe(1)
  })

  test('RFC 7915 §4.1 + RFC 1191: DF=1 and too big for the IPv6 MTU: Fragmentation Needed with MTU - 20', () => {
    const p = buildTcp4({
      src: A4,
      dst: B4,
      dontFragment: true,
      srcPort: 9,
      dstPort: 10,
      payload: payload(1440),
    })
    expect(p.length).toBe(1480)
    const { r } = run(p, nat64Options({ mtu6: 1480 }))
    expect(r.action).toBe('icmp-error')
    expect(r.reason).toBe('nat64-fragmentation-needed')
    const e = bytesOf(r.packets[0])
    expect([e[20], e[21]]).toEqual([3, 4])
    expect(get16(e, 26)).toBe(1460)
    expect(e.length).toBeLessThanOrEqual(576)
    expect(allFailures(r.packets[0])).toEqual([])
    // Fits: translated whole, above 1280, because DF asks the sender to do PMTUD.
    expect(run(p, nat64Options({ mtu6: 1500 })).r.count).toBe(1)
  })

  test('Issue 3: too few fragment buffers is a drop, not a crash', () => {
    const p = buildUdp4({ src: A4, dst: B4, srcPort: 9, dstPort: 10, payload: payload(4000) })
    const small = new TranslateResult([new Uint8Array(1500)])
    expect(translate(place(p), pool6, opts, small).reason).toBe('nat64-too-many-fragments')
    const big = new TranslateResult(Array.from({ length: 4 }, () => new Uint8Array(1500)))
    const r = translate(place(p), pool6, opts, big)
    expect(r.count).toBe(4)
  })
})

describe('RFC 7915 §4.2 ICMPv4 -> ICMPv6', () => {
  test('RFC 7915 §4.2: Echo Request 8 -> 128 and Echo Reply 0 -> 129; id, seq and data kept; checksum now covers the pseudo-header', () => {
    for (const [reply, t6] of [
      [false, 128],
      [true, 129],
    ] as const) {
      const p = buildIcmp4Echo({ src: A4, dst: B4, id: 0x4242, seq: 7, reply, payload: payload(32) })
      const { r } = run(p)
      const o = bytesOf(r.packets[0])
      expect(o[40]).toBe(t6)
      expect(get16(o, 44)).toBe(0x4242)
      expect(get16(o, 46)).toBe(7)
      expect(o.slice(48)).toEqual(p.slice(28))
      expect(allFailures(r.packets[0])).toEqual([])
    }
  })

  test('RFC 7915 §4.2: timestamp, information, address mask, router discovery, redirect, source quench: dropped', () => {
    for (const type of [13, 14, 15, 16, 17, 18, 9, 10, 5, 4, 6, 42]) {
      const p = buildIcmp4({ src: A4, dst: B4, type, code: 0, payload: payload(28) })
      const { r } = run(p)
      expect(r.action).toBe('drop')
    }
  })

  test('RFC 7915 §4.1: a fragmented ICMPv4 message is dropped (its ICMPv6 checksum needs the whole length)', () => {
    const p = buildIpv4({ src: A4, dst: B4, protocol: 1, moreFragments: true, payload: payload(64) })
    expect(run(p).r.reason).toBe('nat64-icmp-fragmented')
  })
})

/** An ICMPv4 error from `from` to A about a UDP packet A -> B (the original translated 6->4). */
function icmp4Error(type: number, code: number, rest: number, from = B4, quoteLen = 40, ext?: Uint8Array) {
  const orig = buildUdp4({
    src: A4,
    dst: B4,
    ttl: 3,
    srcPort: 4000,
    dstPort: 33434,
    payload: payload(quoteLen),
  })
  let body: Uint8Array = orig
  if (ext) {
    const padded = new Uint8Array(Math.max(128, (orig.length + 3) & ~3) + ext.length)
    padded.set(orig)
    padded.set(ext, padded.length - ext.length)
    body = padded
  }
  return { orig, err: buildIcmp4({ src: from, dst: A4, ttl: 50, type, code, rest, payload: body }) }
}

describe('RFC 7915 §4.3 ICMPv4 errors -> ICMPv6 errors', () => {
  test('RFC 7915 §4.3: port unreachable 3/3 -> 1/4; the quoted packet is translated, every checksum right', () => {
    const { orig, err } = icmp4Error(3, 3, 0)
    // 48 bytes of headroom: translated in place, the quote not copied.
    const { r, pb } = run(err, opts, pool6, 48)
    expect(r.packets[0].buf).toBe(pb.buf)
    expect(r.action).toBe('translated')
    const o = bytesOf(r.packets[0])
    expect([o[40], o[41]]).toEqual([1, 4])
    expect(text(o, 8)).toBe(B6)
    expect(text(o, 24)).toBe(A6)
    // Inner: an IPv6 header A6 -> B6, next header UDP, hop limit from the quoted TTL, UDP header and data intact.
    expect(o[48] >> 4).toBe(6)
    expect(o[48 + 6]).toBe(17)
    expect(o[48 + 7]).toBe(3)
    expect(text(o, 48 + 8)).toBe(A6)
    expect(text(o, 48 + 24)).toBe(B6)
    expect(get16(o, 48 + 4)).toBe(orig.length - 20)
    expect(o.slice(88 + 8)).toEqual(orig.slice(28))
    expect(o.length).toBe(48 + 40 + orig.length - 20)
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §4.2: Destination Unreachable codes map per the table', () => {
    const want: Record<number, [number, number] | null> = {
      0: [1, 0],
      1: [1, 0],
      2: [4, 1],
      3: [1, 4],
      5: [1, 0],
      6: [1, 0],
      7: [1, 0],
      8: [1, 0],
      9: [1, 1],
      10: [1, 1],
      11: [1, 0],
      12: [1, 0],
      13: [1, 1],
      14: null,
      15: [1, 1],
      16: null,
    }
    for (const [code, expected] of Object.entries(want)) {
      const { err } = icmp4Error(3, Number(code), 0)
      const { r } = run(err)
      if (expected === null) {
        expect(r.reason).toBe('nat64-icmp-code-untranslatable')
      } else {
        expect(r.action).toBe('translated')
        const o = bytesOf(r.packets[0])
        expect([o[40], o[41]]).toEqual(expected)
        if (Number(code) === 2) expect(get32(o, 44)).toBe(6) // pointer to Next Header
        expect(allFailures(r.packets[0])).toEqual([])
      }
    }
  })

  test('RFC 7915 §4.2: Time Exceeded 11/x -> 3/x', () => {
    for (const code of [0, 1]) {
      const { r } = run(icmp4Error(11, code, 0).err)
      const o = bytesOf(r.packets[0])
      expect([o[40], o[41]]).toEqual([3, code])
    }
  })

  test('RFC 7915 §4.2: Fragmentation Needed -> Packet Too Big, MTU + 20, bounded by the MTUs, 1280 floor, plateau for 0', () => {
    const mtuOf = (adv: number, o = opts) => {
      const { r } = run(icmp4Error(3, 4, adv & 0xffff).err, o)
      const e = bytesOf(r.packets[0])
      expect([e[40], e[41]]).toEqual([2, 0])
      expect(allFailures(r.packets[0])).toEqual([])
      return get32(e, 44)
    }
    expect(mtuOf(1400)).toBe(1420)
    expect(mtuOf(1492, nat64Options({ mtu6: 1500, mtu4: 1500 }))).toBe(1500)
    expect(mtuOf(1480, nat64Options({ mtu6: 1400 }))).toBe(1400)
    expect(mtuOf(576)).toBe(1280)
    // RFC 1191 §7 plateau below the quoted total length (68 bytes here): 68 -> 88 -> floor 1280.
    expect(mtuOf(0)).toBe(1280)
  })

  test('RFC 7915 §4.2 Figure 3: Parameter Problem pointers remapped; untranslatable ones dropped', () => {
    const cases: [number, number | null][] = [
      [0, 0],
      [1, 1],
      [2, 4],
      [3, 4],
      [4, null],
      [6, null],
      [8, 7],
      [9, 6],
      [10, null],
      [12, 8],
      [15, 8],
      [16, 24],
      [19, 24],
      [20, null],
    ]
    for (const [p4, p6] of cases) {
      const { r } = run(icmp4Error(12, 0, (p4 << 24) >>> 0).err)
      if (p6 === null) expect(r.reason).toBe('nat64-icmp-pointer-untranslatable')
      else {
        const o = bytesOf(r.packets[0])
        expect([o[40], o[41], get32(o, 44)]).toEqual([4, 0, p6])
      }
    }
    expect(run(icmp4Error(12, 1, 0).err).r.reason).toBe('nat64-icmp-code-untranslatable')
    expect(run(icmp4Error(12, 2, 9 << 24).err).r.action).toBe('translated')
  })

  test('RFC 7915 §4.3: the translated error is cut to 1280 bytes; the quote loses its tail, not its headers', () => {
    const { err } = icmp4Error(3, 3, 0, B4, 1400)
    const { r } = run(err)
    expect(r.action).toBe('translated')
    expect(r.packets[0].buf).toBe(res.errorBuf) // 28 bytes of headroom: built in the scratch buffer
    const o = bytesOf(r.packets[0])
    expect(o.length).toBe(1280)
    expect(get16(o, 4)).toBe(1240)
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §4.3: an ICMP error quoting an ICMP error is dropped', () => {
    const inner = buildIcmp4({ src: A4, dst: B4, type: 3, code: 1, payload: payload(28) })
    const err = buildIcmp4({ src: B4, dst: A4, type: 3, code: 3, payload: inner })
    expect(run(err).r.reason).toBe('nat64-icmp-error-in-error')
  })

  test('RFC 7915 §4.3: a quoted ICMP echo is translated too (type and checksum)', () => {
    const echo = buildIcmp4Echo({ src: A4, dst: B4, id: 1, seq: 2, payload: payload(20) })
    const err = buildIcmp4({ src: B4, dst: A4, type: 11, code: 0, payload: echo })
    const { r } = run(err)
    const o = bytesOf(r.packets[0])
    expect(o[48 + 6]).toBe(58)
    expect(o[88]).toBe(128)
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 768 / RFC 7915 §4.3: a quoted UDP packet sent without a checksum (0) keeps 0: nothing to adjust', () => {
    const orig = buildUdp4({ src: A4, dst: B4, ttl: 3, srcPort: 4000, dstPort: 33434, zeroChecksum: true })
    const { r } = run(buildIcmp4({ src: B4, dst: A4, type: 3, code: 3, payload: orig }))
    expect(r.action).toBe('translated')
    const o = bytesOf(r.packets[0])
    expect(o[48 + 6]).toBe(17)
    expect(get16(o, 88 + 6)).toBe(0)
  })

  test('RFC 7915 §4.3: a quoted fragment gets a Fragment header', () => {
    const frag = buildIpv4({
      src: A4,
      dst: B4,
      protocol: 17,
      ident: 77,
      moreFragments: true,
      payload: payload(40),
    })
    const err = buildIcmp4({ src: B4, dst: A4, type: 11, code: 1, payload: frag })
    const { r } = run(err)
    const o = bytesOf(r.packets[0])
    expect(o[48 + 6]).toBe(44)
    expect(get32(o, 88 + 4)).toBe(77)
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 4884: an extension after the original datagram is kept, with the length in 64-bit words', () => {
    const ext = new Uint8Array([0x20, 0, 0, 0, 0, 8, 1, 1, 0, 0, 0, 5]) // version 2 header + one object
    const { orig, err } = icmp4Error(11, 0, (32 << 16) >>> 0, B4, 40, ext) // 32 words = 128 bytes
    for (const headroom of [28, 48]) {
      const { r } = run(err, opts, pool6, headroom)
      expect(hex(bytesOf(r.packets[0]))).toBe(hex(bytesOf(run(err, opts, pool6, 28).r.packets[0])))
    }
    const { r } = run(err)
    const o = bytesOf(r.packets[0])
    expect(o[44]).toBe(128 / 8) // 40+8+68 = 108 -> padded to 128
    expect(o.length).toBe(48 + 128 + ext.length)
    expect(o.slice(48 + 128)).toEqual(ext)
    expect(o.slice(48 + 40 + 8, 48 + 40 + 8 + 40)).toEqual(orig.slice(28))
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 6791: an error from a router with no mapping takes its source from the pool, or is dropped', () => {
    const pair = new PairMapper(A6, A4, B6, B4)
    const router = v4('203.0.113.1')
    const { err } = icmp4Error(11, 0, 0, router)
    expect(run(err, opts, pair).r.reason).toBe('nat64-icmp-source-unmappable')
    const withPool = nat64Options({ pool6791: new Rfc6791Pool(null, '2001:db8:ffff::/96') })
    const { r } = run(err, withPool, pair)
    expect(r.action).toBe('translated')
    const o = bytesOf(r.packets[0])
    expect(text(o, 8)).toBe('2001:db8:ffff::cb00:7101')
    expect(text(o, 24)).toBe(A6)
    expect(allFailures(r.packets[0])).toEqual([])
  })
})

describe('RFC 7915 §4.4 errors the translator sends', () => {
  test('RFC 7915 §4.4: an untranslatable destination is answered with 3/13 (or dropped when configured)', () => {
    const pair = new PairMapper(A6, A4, B6, B4)
    const p = buildUdp4({ src: A4, dst: v4('8.8.8.8'), srcPort: 1, dstPort: 2, payload: payload(4) })
    const { r } = run(p, opts, pair)
    expect(r.reason).toBe('nat64-untranslatable-v4')
    expect([bytesOf(r.packets[0])[20], bytesOf(r.packets[0])[21]]).toEqual([3, 13])
    expect(run(p, nat64Options({ errorOnUntranslatable: false }), pair).r.reason).toBe('nat64-dst-unmappable')
  })
  test('RFC 7915 §4.4: the error comes from errorSource4 when configured', () => {
    const p = buildUdp4({ src: A4, dst: B4, ttl: 1, srcPort: 1, dstPort: 2 })
    const { r } = run(p, nat64Options({ decrementTtl: true, errorSource4: '192.0.2.254' }))
    expect(get32(bytesOf(r.packets[0]), 12)).toBe(v4('192.0.2.254'))
  })
})

describe('RFC 7915 §4.5 transport', () => {
  test('RFC 7915 §4.5: TCP and UDP checksums updated for the IPv6 pseudo-header', () => {
    for (const p of [
      buildTcp4({
        src: A4,
        dst: B4,
        srcPort: 443,
        dstPort: 50000,
        seq: 1,
        flags: 0x18,
        payload: payload(100),
      }),
      buildUdp4({ src: A4, dst: B4, srcPort: 53, dstPort: 50000, payload: payload(77) }),
    ]) {
      const { r } = run(p)
      expect(allFailures(r.packets[0])).toEqual([])
    }
  })

  test('RFC 7915 §4.5: UDP with checksum 0 is dropped by default, amended when configured', () => {
    const p = buildUdp4({
      src: A4,
      dst: B4,
      srcPort: 53,
      dstPort: 5353,
      zeroChecksum: true,
      payload: payload(33),
    })
    expect(run(p).r.reason).toBe('nat64-udp-checksum-zero')
    const { r } = run(p, nat64Options({ amendUdpChecksumZero: true }))
    expect(r.action).toBe('translated')
    const o = bytesOf(r.packets[0])
    expect(get16(o, 46)).not.toBe(0)
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §4.5: a fragmented UDP datagram with checksum 0 is never amended', () => {
    const udp = new Uint8Array(16)
    udp.set([0, 53, 0x14, 0xe9, 0, 40, 0, 0]) // length 40, checksum 0; only the first 16 bytes here
    const p = buildIpv4({ src: A4, dst: B4, protocol: 17, moreFragments: true, payload: udp })
    expect(run(p, nat64Options({ amendUdpChecksumZero: true })).r.reason).toBe(
      'nat64-udp-checksum-zero-fragment',
    )
  })

  test('RFC 7915 §4.1: an unknown transport (SCTP, GRE) passes through untouched', () => {
    for (const protocol of [132, 47, 50]) {
      const body = payload(60, protocol)
      const p = buildIpv4({ src: A4, dst: B4, protocol, payload: body })
      const { r } = run(p)
      const o = bytesOf(r.packets[0])
      expect(o[6]).toBe(protocol)
      expect(hex(o.slice(40))).toBe(hex(body))
    }
  })

  test('RFC 791 §3.1: malformed IPv4 is dropped with ip-packet reasons', () => {
    const p = buildUdp4({ src: A4, dst: B4, srcPort: 1, dstPort: 2 })
    const bad = p.slice()
    bad[10] ^= 1
    expect(run(bad).r.reason).toBe('ipv4-bad-checksum')
    expect(run(p.slice(0, 10)).r.reason).toBe('ipv4-truncated')
    const v = v6Upper // keep the helper import used
    expect(typeof v).toBe('function')
  })
})
