/**
 * Independent oracle: scapy (Debian python3-scapy, run with /usr/bin/python3)
 * decodes what the translator wrote; fields and every checksum must agree.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  buildIcmp4,
  buildIcmp4Echo,
  buildIcmp6,
  buildIcmp6Echo,
  buildIpv6,
  buildTcp4,
  buildTcp6,
  buildUdp4,
  buildUdp6,
} from '@gatehouse/ip-packet'
import { nat64Options, Rfc6052Mapper, TranslateResult, translate } from '../src/index.ts'
import { bytesOf, hex, payload, place, v4, v6 } from './helpers.ts'

const PY = '/usr/bin/python3'
function scapyAvailable(): string | null {
  if (!existsSync(PY)) return `${PY} not found`
  const r = Bun.spawnSync([PY, '-c', 'import scapy.all'], { stderr: 'pipe' })
  return r.exitCode === 0 ? null : `scapy not importable by ${PY}`
}
const missing = scapyAvailable()
if (missing) console.warn(`skipping scapy oracle: ${missing} (apt install python3-scapy)`)

interface Case {
  name: string
  input: Uint8Array
  expect: Record<string, unknown>
  l4?: Record<string, unknown>
  inner?: Record<string, unknown>
}

const pool6 = new Rfc6052Mapper('64:ff9b:1::/96')
const opts = nat64Options({ mtu4: 1400 })
const A4 = '192.0.2.1'
const B4 = '198.51.100.2'
const A6 = '64:ff9b:1::c000:201'
const B6 = '64:ff9b:1::c633:6402'

const cases: Case[] = [
  {
    name: 'RFC 7915 §4.1/§4.5: TCP 4->6',
    input: buildTcp4({
      src: v4(A4),
      dst: v4(B4),
      tos: 0x10,
      ttl: 61,
      srcPort: 443,
      dstPort: 40000,
      payload: payload(300),
    }),
    expect: { version: 6, tc: 0x10, fl: 0, nh: 6, hlim: 61, src: A6, dst: B6, plen: 320 },
    l4: { layer: 'TCP', ok: true, sport: 443, dport: 40000 },
  },
  {
    name: 'RFC 7915 §4.1/§4.5: UDP 4->6',
    input: buildUdp4({ src: v4(A4), dst: v4(B4), srcPort: 53, dstPort: 1053, payload: payload(100) }),
    expect: { version: 6, nh: 17, src: A6, dst: B6, plen: 108 },
    l4: { layer: 'UDP', ok: true, sport: 53, dport: 1053 },
  },
  {
    name: 'RFC 7915 §4.2: echo request 4->6',
    input: buildIcmp4Echo({ src: v4(A4), dst: v4(B4), id: 77, seq: 9, payload: payload(56) }),
    expect: { version: 6, nh: 58, src: A6, dst: B6 },
    l4: { layer: 'ICMPv6EchoRequest', ok: true, type: 128, code: 0, id: 77, seq: 9 },
  },
  {
    name: 'RFC 7915 §5.1/§5.5: TCP 6->4',
    input: buildTcp6({
      src: v6(A6),
      dst: v6(B6),
      trafficClass: 0x20,
      hopLimit: 17,
      srcPort: 5555,
      dstPort: 80,
      payload: payload(500),
    }),
    expect: {
      version: 4,
      ihl: 5,
      tos: 0x20,
      ttl: 17,
      proto: 6,
      src: A4,
      dst: B4,
      len: 540,
      flags: 0,
      ip_ok: true,
    },
    l4: { layer: 'TCP', ok: true, sport: 5555, dport: 80 },
  },
  {
    name: 'RFC 7915 §5.1: 6->4 above 1260 bytes sets DF, id 0',
    input: buildUdp6({ src: v6(A6), dst: v6(B6), srcPort: 1, dstPort: 2, payload: payload(1300) }),
    expect: { version: 4, flags: 2, id: 0, len: 1328, ip_ok: true },
    l4: { layer: 'UDP', ok: true },
  },
  {
    name: 'RFC 7915 §5.2: echo reply 6->4',
    input: buildIcmp6Echo({ src: v6(A6), dst: v6(B6), id: 3, seq: 4, reply: true, payload: payload(40) }),
    expect: { version: 4, proto: 1, ip_ok: true },
    l4: { layer: 'ICMP', ok: true, type: 0, code: 0, id: 3, seq: 4 },
  },
  {
    name: 'RFC 7915 §5.1: 6->4 fragment header to IPv4 fragment fields',
    input: buildIpv6({
      src: v6(A6),
      dst: v6(B6),
      ext: [{ type: 44, offset: 64, more: true, id: 0x10203 }],
      protocol: 17,
      payload: payload(64),
    }),
    expect: { version: 4, flags: 1, frag: 64, id: 0x0203, proto: 17, ip_ok: true },
  },
  {
    name: 'RFC 7915 §4.1: 4->6 fragmentation to 1280',
    input: buildUdp4({
      src: v4(A4),
      dst: v4(B4),
      ident: 4242,
      srcPort: 9,
      dstPort: 9,
      payload: payload(2000),
    }),
    expect: { version: 6, nh: 44, frag_offset: 0, frag_m: 1, frag_id: 4242, frag_nh: 17 },
  },
  {
    name: 'RFC 7915 §4.3: port unreachable 4->6 with its quote',
    input: buildIcmp4({
      src: v4(B4),
      dst: v4(A4),
      type: 3,
      code: 3,
      payload: buildUdp4({
        src: v4(A4),
        dst: v4(B4),
        ttl: 5,
        srcPort: 4000,
        dstPort: 33434,
        payload: payload(30),
      }),
    }),
    expect: { version: 6, nh: 58, src: B6, dst: A6 },
    l4: { layer: 'ICMPv6DestUnreach', ok: true, type: 1, code: 4 },
    inner: { version: 6, src: A6, dst: B6, nh: 17, hlim: 5 },
  },
  {
    name: 'RFC 7915 §4.2: fragmentation needed 4->6 is a Packet Too Big',
    input: buildIcmp4({
      src: v4(B4),
      dst: v4(A4),
      type: 3,
      code: 4,
      rest: 1400,
      payload: buildTcp4({
        src: v4(A4),
        dst: v4(B4),
        dontFragment: true,
        srcPort: 1,
        dstPort: 2,
        payload: payload(20),
      }),
    }),
    expect: { version: 6, src: B6, dst: A6 },
    l4: { layer: 'ICMPv6PacketTooBig', ok: true, type: 2, code: 0, mtu: 1420 },
    inner: { version: 6, nh: 6 },
  },
  {
    name: 'RFC 7915 §5.3: time exceeded 6->4 with its quote',
    input: buildIcmp6({
      src: v6(B6),
      dst: v6(A6),
      type: 3,
      code: 0,
      payload: buildTcp6({
        src: v6(A6),
        dst: v6(B6),
        hopLimit: 1,
        srcPort: 7,
        dstPort: 8,
        payload: payload(64),
      }),
    }),
    expect: { version: 4, proto: 1, src: B4, dst: A4, ip_ok: true },
    l4: { layer: 'ICMP', ok: true, type: 11, code: 0 },
    inner: { version: 4, src: A4, dst: B4, proto: 6, ttl: 1, ok: true },
  },
  {
    name: 'RFC 7915 §5.2: Packet Too Big 6->4 is Fragmentation Needed',
    input: buildIcmp6({
      src: v6(B6),
      dst: v6(A6),
      type: 2,
      code: 0,
      rest: 1300,
      payload: buildUdp6({ src: v6(A6), dst: v6(B6), srcPort: 7, dstPort: 8, payload: payload(1200) }),
    }),
    expect: { version: 4, proto: 1, len: 576, ip_ok: true },
    l4: { layer: 'ICMP', ok: true, type: 3, code: 4, mtu: 1280 },
    inner: { version: 4, proto: 17, ok: true },
  },
  {
    name: 'RFC 7915 §5.1: Packet Too Big generated for an IPv4 MTU of 1400',
    input: buildTcp6({ src: v6(A6), dst: v6(B6), srcPort: 1, dstPort: 2, payload: payload(1420) }),
    expect: { version: 6, nh: 58, src: B6, dst: A6 },
    l4: { layer: 'ICMPv6PacketTooBig', ok: true, type: 2, mtu: 1420 },
  },
]

describe('independent oracle (scapy)', () => {
  test.skipIf(missing !== null)(
    'RFC 7915: translated packets decode in scapy with the expected fields and valid checksums',
    () => {
      const res = new TranslateResult()
      const outs: string[] = []
      const counts: number[] = []
      for (const c of cases) {
        const r = translate(place(c.input, 28), pool6, opts, res)
        expect(r.action === 'drop' ? `${c.name}: ${r.reason}` : c.name).toBe(c.name)
        counts.push(r.count)
        for (let i = 0; i < r.count; i++) outs.push(hex(bytesOf(r.packets[i])))
      }
      const py = Bun.spawnSync([PY, join(import.meta.dir, 'oracle.py')], {
        stdin: new TextEncoder().encode(JSON.stringify(outs)),
        stdout: 'pipe',
        stderr: 'pipe',
      })
      expect(py.stderr.toString()).toBe('')
      const decoded = JSON.parse(py.stdout.toString()) as Record<string, unknown>[]
      let k = 0
      for (let ci = 0; ci < cases.length; ci++) {
        const c = cases[ci]
        for (let i = 0; i < counts[ci]; i++, k++) {
          const d = decoded[k]
          if (i > 0) continue // fragments 2..n: fields checked through the first
          expect({ name: c.name, ...d }).toMatchObject({ name: c.name, ...c.expect })
          if (d.version === 4) expect({ name: c.name, ip_ok: d.ip_ok }).toEqual({ name: c.name, ip_ok: true })
          if (c.l4) expect({ name: c.name, ...(d.l4 as object) }).toMatchObject({ name: c.name, ...c.l4 })
          if (c.inner)
            expect({ name: c.name, ...(d.inner as object) }).toMatchObject({ name: c.name, ...c.inner })
        }
      }
      expect(k).toBe(decoded.length)
    },
  )
})
