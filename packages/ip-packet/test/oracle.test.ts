/**
 * Issue 2: an independent oracle. Packets our builder makes are decoded by
 * scapy (Debian python3-scapy, through /usr/bin/python3 and
 * test/oracle/decode.py); scapy's fields and checksum verdicts must agree with
 * ours. Skipped, with the reason printed, where scapy is not installed.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import {
  buildIcmp4,
  buildIcmp6,
  buildIpv4,
  buildIpv6,
  buildUdp4,
  buildUdp6,
  IpPacket,
  ipv4FromText,
  ipv6FromText,
  L4_ICMP,
  L4_TCP,
  L4_UDP,
} from '../src/index.ts'
import { anyPacket, icmpError, ipv4Spec, ipv6Spec, udpSpec } from './arbitraries.ts'

const PYTHON = '/usr/bin/python3'
const SCRIPT = `${import.meta.dir}/oracle/decode.py`

function scapyAvailable(): string | null {
  try {
    const r = Bun.spawnSync([PYTHON, '-c', 'import scapy.all'], { stderr: 'pipe' })
    return r.exitCode === 0 ? null : `${PYTHON} cannot import scapy (apt install python3-scapy)`
  } catch {
    return `${PYTHON} not found`
  }
}
const missing = scapyAvailable()
if (missing) console.warn(`skipping the scapy oracle test: ${missing}`)

type Scapy = Record<string, unknown> & { ext?: string[] }

function decodeAll(packets: Uint8Array[]): Scapy[] {
  const input = `${packets.map((p) => Buffer.from(p).toString('hex')).join('\n')}\n`
  const r = Bun.spawnSync([PYTHON, SCRIPT], { stdin: Buffer.from(input), stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`decode.py failed: ${r.stderr.toString()}`)
  return r.stdout
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Scapy)
}

/** The bytes after an IPv4 header. */
const transport = (b: Uint8Array) => b.subarray((b[0] & 15) * 4)
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const EXT_NAMES: Record<number, string> = { 0: 'hbh', 43: 'routing', 44: 'fragment', 60: 'dstopts' }

/** Our view of the chain, in order, by walking Next Header fields from the parsed offsets. */
function extChain(p: IpPacket): string[] {
  const names: string[] = []
  let nh = p.buf[p.off + 6]
  let at = p.off + 40
  while (nh in EXT_NAMES && at < p.l4Off) {
    names.push(EXT_NAMES[nh])
    const len = nh === 44 ? 8 : (p.buf[at + 1] + 1) * 8
    nh = p.buf[at]
    at += len
  }
  return names
}

function compare(bytes: Uint8Array, s: Scapy) {
  const p = new IpPacket()
  const r = p.reset(bytes, 0, bytes.length)
  expect([null, 'ipv4-fragment', 'ipv6-fragment']).toContain(r)
  expect(s.version).toBe(p.version)
  if (p.version === 4) {
    expect(ipv4FromText(s.src as string)).toBe(p.src4)
    expect(ipv4FromText(s.dst as string)).toBe(p.dst4)
    expect(s.ip_ok).toBe(true)
    expect(s.total_len).toBe(p.ipLen)
    expect(s.ihl).toBe(p.ipHeaderLen / 4)
    expect([s.frag, s.mf, s.df]).toEqual([p.ipv4.fragmentOffset, p.ipv4.moreFragments, p.ipv4.dontFragment])
  } else {
    expect(hex(ipv6FromText(s.src as string)!)).toBe(hex(bytes.subarray(p.srcAddrOff, p.srcAddrOff + 16)))
    expect(hex(ipv6FromText(s.dst as string)!)).toBe(hex(bytes.subarray(p.dstAddrOff, p.dstAddrOff + 16)))
    expect([s.tc, s.fl, s.plen]).toEqual([p.ipv6.trafficClass, p.ipv6.flowLabel, p.ipv6.payloadLen])
    expect(s.ext).toEqual(extChain(p))
    expect(s.ext?.length).toBe(p.ipv6.extCount)
    if (p.ipv6.fragmentHeaderOff >= 0) {
      expect([s.frag, s.mf, s.frag_id]).toEqual([
        p.ipv6.fragmentOffset,
        p.ipv6.moreFragments,
        p.ipv6.fragmentId,
      ])
    }
  }
  expect(s.ttl).toBe(p.ttl)
  expect(s.proto).toBe(p.protocol)
  if (p.l4 === L4_TCP || p.l4 === L4_UDP) {
    expect([s.sport, s.dport, s.l4_ok]).toEqual([p.srcPort, p.dstPort, true])
    if (p.l4 === L4_TCP) {
      expect([s.seq, s.ack, s.flags, s.window, s.dataofs]).toEqual([
        p.tcp.seq,
        p.tcp.ack,
        p.tcp.flags,
        p.tcp.window,
        p.tcp.headerLen / 4,
      ])
    } else {
      expect([s.udp_len, s.udp_chksum]).toEqual([p.udp.length, p.udp.checksum])
    }
  } else if (p.l4 === L4_ICMP) {
    expect([s.icmp_type, s.icmp_code, s.l4_ok]).toEqual([p.icmpType, p.icmpCode, true])
    if (p.isIcmpEcho) {
      const m = p.version === 4 ? p.icmpv4 : p.icmpv6
      expect([s.echo_id, s.echo_seq]).toEqual([m.echoId, m.echoSeq])
    }
  }
  expect(s.payload).toBe(hex(bytes.subarray(p.payloadOff, p.payloadOff + p.payloadLen)))
}

describe('issue 2 oracle: scapy decodes what the builder makes', () => {
  test.skipIf(missing !== null)(
    'UDP/TCP/ICMP echo v4+v6, extension headers, options, ICMP errors, fragments',
    () => {
      const seed = 20261125
      const packets: Uint8Array[] = [
        ...fc.sample(anyPacket, { numRuns: 240, seed }).map((x) => x.bytes),
        ...fc.sample(icmpError, { numRuns: 40, seed }).map((x) => x.bytes),
        // IPv4 fragments (first with MF, a later one) and IPv6 with a Fragment header.
        ...fc
          .sample(fc.tuple(ipv4Spec, ipv6Spec, udpSpec, fc.integer({ min: 1, max: 100 })), {
            numRuns: 20,
            seed,
          })
          .flatMap(([ip4, ip6, u, k]) => [
            buildIpv4({
              ...ip4,
              moreFragments: true,
              protocol: 17,
              payload: transport(buildUdp4({ ...ip4, ...u })),
            }),
            buildIpv4({ ...ip4, fragmentOffset: 8 * k, protocol: 17, payload: u.payload }),
            buildIpv6({
              ...ip6,
              ext: [{ type: 44, offset: 8 * k, more: true, id: u.srcPort }],
              protocol: 17,
              payload: u.payload,
            }),
            buildUdp6({ ...ip6, ext: [{ type: 0 }, { type: 43 }, { type: 60 }], ...u }),
            buildIcmp4({ ...ip4, type: 3, code: 4, rest: 1280, payload: buildUdp4({ ...ip4, ...u }) }),
            buildIcmp6({ ...ip6, type: 2, rest: 1280, payload: buildUdp6({ ...ip6, ...u }) }),
          ]),
      ]
      const decoded = decodeAll(packets)
      expect(decoded.length).toBe(packets.length)
      packets.forEach((b, i) => {
        compare(b, decoded[i])
      })
    },
  )
})
