import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import {
  DROP_REASONS,
  Icmpv4View,
  Icmpv6View,
  IpPacket,
  Ipv4View,
  Ipv6View,
  QuotedPacket,
  TcpView,
  UdpView,
} from '../src/index.ts'
import { anyPacket, FUZZ_RUNS, icmpError } from './arbitraries.ts'

/** Every enumerable getter of a view's prototype chain returns a finite number or a boolean. */
function assertGettersSane(view: object) {
  let proto = Object.getPrototypeOf(view)
  while (proto && proto !== Object.prototype) {
    for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (!d.get) continue
      const v = d.get.call(view)
      if (typeof v === 'boolean') continue
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new Error(`${proto.constructor.name}.${name} = ${v}`)
    }
    proto = Object.getPrototypeOf(proto)
  }
}

const views = () => [
  new Ipv4View(),
  new Ipv6View(),
  new TcpView(),
  new UdpView(),
  new Icmpv4View(),
  new Icmpv6View(),
]

describe('smoltcp contract: once check() passes, no accessor reads out of bounds (NaN/undefined)', () => {
  test('random bytes at random offsets, every view', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.nat(100),
        fc.nat(100),
        fc.boolean(),
        (b, o, l, v6) => {
          if (b.length > 0) b[0] = v6 ? 0x60 | (b[0] & 15) : 0x40 | (b[0] & 15)
          for (const view of views()) {
            view.reset(b, o, l)
            const r = view.check()
            if (r === null) assertGettersSane(view)
            else expect(DROP_REASONS).toContain(r)
          }
        },
      ),
      { numRuns: FUZZ_RUNS || 1000 },
    )
  })

  test('valid packets: the layer views agree with check() and stay in bounds', () => {
    fc.assert(
      fc.property(fc.oneof(anyPacket, icmpError), (x) => {
        const b = x.bytes
        const v = b[0] >> 4
        if (v === 4) {
          const ip = new Ipv4View().reset(b, 0, b.length)
          expect(ip.check()).toBeNull()
          expect(ip.verifyChecksum()).toBe(true)
          assertGettersSane(ip)
        } else {
          const ip = new Ipv6View().reset(b, 0, b.length)
          expect(ip.check()).toBeNull()
          assertGettersSane(ip)
          expect(ip.upperOff + ip.upperLen).toBe(b.length)
        }
      }),
      { numRuns: 200 },
    )
  })

  test('QuotedPacket never throws on random quotes and stays in bounds', () => {
    const q = new QuotedPacket()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 90 }), fc.constantFrom(0, 4, 6), (b, v) => {
        if (b.length > 0 && v !== 0) b[0] = (v << 4) | (b[0] & 15)
        const r = q.reset(b, 0, b.length, v, -1)
        if (r !== null) {
          expect(DROP_REASONS).toContain(r)
          return
        }
        for (const n of [q.srcPort, q.dstPort, q.protocol, q.src4, q.dst4, q.totalLen, q.l4Off, q.l4Len]) {
          expect(Number.isFinite(n)).toBe(true)
        }
        expect(q.l4Off + Math.min(q.l4Len, 8)).toBeLessThanOrEqual(b.length)
        assertGettersSane(q)
      }),
      { numRuns: FUZZ_RUNS || 1000 },
    )
  })
})

describe('layer view setters write what the getters read', () => {
  test('Ipv4View', () => {
    const b = new Uint8Array(24)
    const ip = new Ipv4View().reset(b, 0, 24)
    ip.setHeaderLen(24)
    ip.setTotalLen(24)
    ip.setTos(0xb8)
    ip.setIdent(0xbeef)
    ip.setFragment(true, true, 1480)
    ip.setTtl(7)
    ip.setProtocol(17)
    ip.setSrcAddr(0xc0000201)
    ip.setDstAddr(0x0a000001)
    ip.fillChecksum()
    expect(ip.check()).toBeNull()
    expect([ip.version, ip.headerLen, ip.tos, ip.ident, ip.dontFragment, ip.moreFragments]).toEqual([
      4,
      24,
      0xb8,
      0xbeef,
      true,
      true,
    ])
    expect([ip.fragmentOffset, ip.ttl, ip.protocol, ip.srcAddr, ip.dstAddr]).toEqual([
      1480, 7, 17, 0xc0000201, 0x0a000001,
    ])
    expect(ip.verifyChecksum()).toBe(true)
  })
  test('Ipv6View, TcpView, UdpView, Icmp views', () => {
    const b = new Uint8Array(40)
    const ip = new Ipv6View().reset(b, 0, 40)
    ip.setVersionTcFlow(0xab, 0xfedcb)
    ip.setPayloadLen(0)
    ip.setNextHeader(59)
    ip.setHopLimit(3)
    expect(ip.check()).toBeNull()
    expect([ip.version, ip.trafficClass, ip.flowLabel, ip.nextHeader, ip.hopLimit, ip.upperProtocol]).toEqual(
      [6, 0xab, 0xfedcb, 59, 3, 59],
    )
    const t = new TcpView().reset(new Uint8Array(24), 0, 24)
    t.setSrcPort(1)
    t.setDstPort(2)
    t.setSeq(0xfffffffe)
    t.setAck(5)
    t.setHeaderLen(24)
    t.setFlags(0x12)
    t.setWindow(9)
    t.setUrgent(4)
    expect(t.check()).toBeNull()
    expect([
      t.srcPort,
      t.dstPort,
      t.seq,
      t.ack,
      t.headerLen,
      t.syn,
      t.ackFlag,
      t.fin,
      t.window,
      t.urgent,
    ]).toEqual([1, 2, 0xfffffffe, 5, 24, true, true, false, 9, 4])
    const u = new UdpView().reset(new Uint8Array(8), 0, 8)
    u.setSrcPort(3)
    u.setDstPort(4)
    u.setLength(8)
    expect(u.check()).toBeNull()
    expect([u.srcPort, u.dstPort, u.payloadLen]).toEqual([3, 4, 0])
    const m4 = new Icmpv4View().reset(new Uint8Array(8), 0, 8)
    m4.setType(3)
    m4.setCode(4)
    m4.setRestOfHeader(1400)
    expect([m4.isError, m4.isEcho, m4.mtu]).toEqual([true, false, 1400])
    const m6 = new Icmpv6View().reset(new Uint8Array(8), 0, 8)
    m6.setType(2)
    m6.setRestOfHeader(1280)
    expect([m6.isError, m6.mtu]).toEqual([true, 1280])
    m6.setType(128)
    m6.setEchoId(7)
    m6.setEchoSeq(8)
    expect([m6.isError, m6.isEcho, m6.echoId, m6.echoSeq]).toEqual([false, true, 7, 8])
  })
})

describe('IpPacket.reset (checks written out for speed) agrees with the layer views’ check()', () => {
  test('on valid, mutated and random packets', () => {
    const flipped = fc
      .tuple(
        fc.oneof(anyPacket, icmpError),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      )
      .map(([x, flips]) => {
        const b = Uint8Array.from(x.bytes)
        for (const [i, v] of flips) b[i % b.length] = v
        return b
      })
    const random = fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.constantFrom(0x45, 0x60, 0x4f))
      .map(([b, first]) => {
        b[0] = first
        return b
      })
    fc.assert(
      fc.property(fc.oneof(flipped, random), (b) => {
        const p = new IpPacket()
        const r = p.reset(b, 0, b.length)
        const v = b[0] >> 4
        if (v !== 4 && v !== 6) return expect(r).toBe('ip-bad-version')
        const ip = v === 4 ? new Ipv4View().reset(b, 0, b.length) : new Ipv6View().reset(b, 0, b.length)
        const ipVerdict = ip.check()
        if (ipVerdict !== null && ipVerdict !== 'ipv6-fragment') return expect(r).toBe(ipVerdict)
        if (v === 4 && (ip as Ipv4View).fragmentOffset !== 0) return expect(r).toBe('ipv4-fragment')
        if (ipVerdict === 'ipv6-fragment') return expect(r).toBe('ipv6-fragment')
        const proto = v === 4 ? (ip as Ipv4View).protocol : (ip as Ipv6View).upperProtocol
        const off = v === 4 ? (ip as Ipv4View).payloadOff : (ip as Ipv6View).upperOff
        const len = v === 4 ? (ip as Ipv4View).payloadLen : (ip as Ipv6View).upperLen
        if (proto === 6) expect(r).toBe(new TcpView().reset(b, off, len).check())
        else if (
          proto === 17 &&
          !(v === 4 ? (ip as Ipv4View).moreFragments : (ip as Ipv6View).moreFragments)
        ) {
          expect(r).toBe(new UdpView().reset(b, off, len).check())
        } else if (proto === 1 && v === 4) {
          const m = new Icmpv4View().reset(b, off, len)
          const mr = m.check()
          if (mr !== null || !m.isError) expect(r).toBe(mr)
        } else if (proto === 58 && v === 6) {
          const m = new Icmpv6View().reset(b, off, len)
          const mr = m.check()
          if (mr !== null || !m.isError) expect(r).toBe(mr)
        }
      }),
      { numRuns: FUZZ_RUNS || 2000 },
    )
  })
})
