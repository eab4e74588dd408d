/** Rules that span both directions or several mappers. */
import { describe, expect, test } from 'bun:test'
import {
  buildIcmp6,
  buildIpv4,
  buildIpv6,
  buildTcp6,
  buildUdp4,
  buildUdp6,
  get16,
  get32,
  ipv6ToText,
} from '@gatehouse/ip-packet'
import {
  EamtMapper,
  nat64Options,
  Rfc6052Mapper,
  TranslateResult,
  Translator,
  translate,
} from '../src/index.ts'
import { allFailures, bytesOf, hex, payload, place, v4, v6 } from './helpers.ts'

const res = new TranslateResult(Array.from({ length: 8 }, () => new Uint8Array(1500)))
const opts = nat64Options()

describe('RFC 7757 §4.2 hairpinning through the translator', () => {
  test('RFC 7757 §4.2: an EAM node reaching another through its pool6 address gets replies from that pool6 address', () => {
    const m = new EamtMapper(['192.0.2.1=2001:db8:a::1', '192.0.2.2=2001:db8:b::2'], {
      pool6: new Rfc6052Mapper('64:ff9b:1::/96'),
    })
    // A -> B's pool6 address: 6->4 gives 192.0.2.1 -> 192.0.2.2, which the network routes back in.
    const p = buildUdp6({
      src: v6('2001:db8:a::1'),
      dst: v6('64:ff9b:1::192.0.2.2'),
      srcPort: 1,
      dstPort: 2,
      payload: payload(20),
    })
    const r1 = translate(place(p), m, opts, res)
    const mid = bytesOf(r1.packets[0])
    expect([get32(mid, 12), get32(mid, 16)]).toEqual([v4('192.0.2.1'), v4('192.0.2.2')])
    // 4->6 of the hairpinned packet: destination B by its EAM, source A by pool6 (not A's EAM address).
    const r2 = translate(place(mid), m, opts, res)
    const out = bytesOf(r2.packets[0])
    expect(ipv6ToText(out, 8)).toBe('64:ff9b:1::c000:201')
    expect(ipv6ToText(out, 24)).toBe('2001:db8:b::2')
    expect(allFailures(r2.packets[0])).toEqual([])
    // B's reply to 64:ff9b:1::192.0.2.1 makes the trip back and reaches A from 64:ff9b:1::192.0.2.2.
    const reply = buildUdp6({
      src: v6('2001:db8:b::2'),
      dst: v6('64:ff9b:1::192.0.2.1'),
      srcPort: 2,
      dstPort: 1,
    })
    const r3 = translate(place(reply), m, opts, res)
    const r4 = translate(place(bytesOf(r3.packets[0])), m, opts, res)
    const back = bytesOf(r4.packets[0])
    expect(ipv6ToText(back, 8)).toBe('64:ff9b:1::c000:202')
    expect(ipv6ToText(back, 24)).toBe('2001:db8:a::1')
  })
})

describe('fragments across the translator', () => {
  const pool6 = new Rfc6052Mapper('64:ff9b:1::/96')
  const A4 = v4('192.0.2.1')
  const B4 = v4('198.51.100.2')

  test('RFC 7915 §4.1: a big IPv4 fragment in the middle of a datagram is cut further; offsets continue, M stays set', () => {
    const body = payload(2000)
    const p = buildIpv4({
      src: A4,
      dst: B4,
      protocol: 17,
      ident: 99,
      fragmentOffset: 4000,
      moreFragments: true,
      payload: body,
    })
    const r = translate(place(p), pool6, opts, res)
    expect(r.count).toBe(2)
    const f0 = bytesOf(r.packets[0])
    const f1 = bytesOf(r.packets[1])
    expect(get16(f0, 42)).toBe(4000 | 1)
    expect(get16(f1, 42)).toBe((4000 + f0.length - 48) | 1)
    expect(hex(new Uint8Array([...f0.slice(48), ...f1.slice(48)]))).toBe(hex(body))
  })

  test('RFC 7915 §4.1: the last piece of a datagram keeps M clear', () => {
    const p = buildIpv4({
      src: A4,
      dst: B4,
      protocol: 17,
      ident: 99,
      fragmentOffset: 1480,
      payload: payload(1500),
    })
    const r = translate(place(p), pool6, opts, res)
    expect(r.count).toBe(2)
    expect(get16(bytesOf(r.packets[0]), 42) & 1).toBe(1)
    expect(get16(bytesOf(r.packets[1]), 42) & 1).toBe(0)
  })

  test('RFC 7915 §5.1: an atomic fragment (offset 0, M=0) becomes DF=0 with the Fragment header identification', () => {
    const p = buildUdp6({
      src: v6('64:ff9b:1::c000:201'),
      dst: v6('64:ff9b:1::c633:6402'),
      ext: [{ type: 0 }, { type: 44, id: 0x77, offset: 0, more: false }],
      srcPort: 1,
      dstPort: 2,
      payload: payload(1300),
    })
    const r = translate(place(p), pool6, opts, res)
    const o = bytesOf(r.packets[0])
    expect(get16(o, 6)).toBe(0)
    expect(get16(o, 4)).toBe(0x77)
    expect(o[9]).toBe(17)
    expect(allFailures(r.packets[0])).toEqual([])
  })

  test('RFC 7915 §5.3: a quoted non-first fragment keeps its offset and its payload untouched', () => {
    const frag = buildIpv6({
      src: v6('64:ff9b:1::c000:201'),
      dst: v6('64:ff9b:1::c633:6402'),
      ext: [{ type: 44, id: 5, offset: 1232, more: true }],
      protocol: 6,
      payload: payload(100),
    })
    const err = buildIcmp6({
      src: v6('64:ff9b:1::c633:6402'),
      dst: v6('64:ff9b:1::c000:201'),
      type: 3,
      code: 1,
      payload: frag,
    })
    const r = translate(place(err), pool6, opts, res)
    const o = bytesOf(r.packets[0])
    expect([o[20], o[21]]).toEqual([11, 1])
    expect(get16(o, 28 + 6)).toBe(0x2000 | (1232 / 8))
    expect(get16(o, 28 + 4)).toBe(5)
    expect(hex(o.slice(48))).toBe(hex(frag.slice(48)))
    expect(allFailures(r.packets[0])).toEqual([])
  })
})

describe('counting', () => {
  test('STYLE §5: every outcome is counted once, under its reason', () => {
    const t = new Translator(new Rfc6052Mapper('64:ff9b:1::/96'), { amendUdpChecksumZero: false })
    const ok = buildTcp6({
      src: v6('64:ff9b:1::c000:201'),
      dst: v6('64:ff9b:1::c633:6402'),
      srcPort: 1,
      dstPort: 2,
    })
    const zero = buildUdp4({
      src: v4('192.0.2.1'),
      dst: v4('198.51.100.2'),
      srcPort: 1,
      dstPort: 2,
      zeroChecksum: true,
    })
    t.translate(place(ok))
    t.translate(place(zero))
    t.translate(place(new Uint8Array([0x50, 1, 2, 3])))
    expect(t.counts.translated).toBe(1)
    expect(t.counts['nat64-udp-checksum-zero']).toBe(1)
    expect(t.counts['ip-bad-version']).toBe(1)
    expect(Object.values(t.counts).reduce((a, b) => a + b, 0)).toBe(3)
  })
})

describe('rate limiting the errors the translator makes', () => {
  test('RFC 7915 §4.4 / RFC 4443 §2.4(f): with an errorLimiter, a burst of Packet Too Big is cut to the bucket', async () => {
    const { IcmpRateLimiter } = await import('@gatehouse/icmp-errors')
    const limiter = new IcmpRateLimiter({ ratePerSec: 1, burst: 2 })
    const t = new Translator(new Rfc6052Mapper('64:ff9b:1::/96'), { mtu4: 1280, errorLimiter: limiter })
    const big = buildTcp6({
      src: v6('64:ff9b:1::c000:201'),
      dst: v6('64:ff9b:1::c633:6402'),
      srcPort: 1,
      dstPort: 2,
      payload: payload(1400),
    })
    const actions = [0, 1, 2, 3].map((i) => t.translate(place(big), i).action)
    expect(actions).toEqual(['icmp-error', 'icmp-error', 'drop', 'drop'])
    expect(t.counts['icmp-rate-limited']).toBe(2)
    // A second later the bucket has a token again.
    expect(t.translate(place(big), 1100).action).toBe('icmp-error')
  })
})

describe('RFC 7915 traffic class options', () => {
  test('RFC 7915 §4.1: resetTrafficClass sends traffic class 0; §5.1: tos sets the IPv4 TOS', () => {
    const pool6 = new Rfc6052Mapper('64:ff9b:1::/96')
    const p4 = buildUdp4({ src: v4('192.0.2.1'), dst: v4('198.51.100.2'), tos: 0xb8, srcPort: 1, dstPort: 2 })
    const o6 = bytesOf(translate(place(p4), pool6, nat64Options({ resetTrafficClass: true }), res).packets[0])
    expect(((o6[0] & 15) << 4) | (o6[1] >> 4)).toBe(0)
    const p6 = buildUdp6({
      src: v6('64:ff9b:1::c000:201'),
      dst: v6('64:ff9b:1::c633:6402'),
      trafficClass: 0xb8,
      srcPort: 1,
      dstPort: 2,
    })
    const o4 = bytesOf(translate(place(p6), pool6, nat64Options({ tos: 0x20 }), res).packets[0])
    expect(o4[1]).toBe(0x20)
    expect(allFailures({ buf: o4, off: 0, len: o4.length })).toEqual([])
    expect(() => nat64Options({ tos: 300 })).toThrow(/tos/)
  })
})
