/**
 * Issue 3 benchmarks: one translation per iteration, in place, both
 * directions, TCP/UDP/ICMP echo at 64 and 1400 bytes, and ICMP errors with
 * their quoted packet.
 *
 * Translation rewrites the packet's headers in place, so each iteration first
 * restores the input's header bytes (a 28..60-byte `set` from a template;
 * the whole packet for the ICMP errors, translated in place too); `restore
 * only` measures that copy alone, in the same summary, so the translation's
 * own cost is the difference.
 */
import {
  buildIcmp4,
  buildIcmp4Echo,
  buildIcmp6,
  buildIcmp6Echo,
  buildTcp4,
  buildTcp6,
  buildUdp4,
  buildUdp6,
  ipv6FromText,
} from '@gatehouse/ip-packet'
import { bench, do_not_optimize, summary } from 'mitata'
import { NAT64_HEADROOM, nat64Options, PairMapper, TranslateResult, translate } from '../src/index.ts'

const A6 = ipv6FromText('fd00:2021:1111::1')!
const B6 = ipv6FromText('fd00:2021:1111:8000::5')!
const A4 = 0x64400001 // 100.64.0.1
const B4 = 0x5db8d822 // 93.184.216.34
// The gateway's mapper: a fixed pair (the common case on the packet path).
const mapper = new PairMapper(A6, A4, B6, B4)
const opts = nat64Options()
const res = new TranslateResult()

/** Payload size that makes the whole IP packet `total` bytes. */
const pl = (total: number, overhead: number) => new Uint8Array(total - overhead).fill(0x5a)

interface Case {
  name: string
  bytes: Uint8Array
  /** Bytes the translation rewrites (IP header + transport header). */
  restore: number
}

const cases: Case[] = []
for (const size of [64, 1400]) {
  cases.push(
    {
      name: `6->4 tcp ${size}B`,
      bytes: buildTcp6({
        src: A6,
        dst: B6,
        srcPort: 40000,
        dstPort: 443,
        flags: 0x10,
        payload: pl(size, 60),
      }),
      restore: 60,
    },
    {
      name: `4->6 tcp ${size}B`,
      bytes: buildTcp4({
        src: B4,
        dst: A4,
        dontFragment: true,
        srcPort: 443,
        dstPort: 40000,
        flags: 0x10,
        payload: pl(size, 40),
      }),
      restore: 40,
    },
    {
      name: `6->4 udp ${size}B`,
      bytes: buildUdp6({ src: A6, dst: B6, srcPort: 40000, dstPort: 53, payload: pl(size, 48) }),
      restore: 48,
    },
    {
      name: `4->6 udp ${size}B`,
      bytes: buildUdp4({
        src: B4,
        dst: A4,
        dontFragment: true,
        srcPort: 53,
        dstPort: 40000,
        payload: pl(size, 28),
      }),
      restore: 28,
    },
    {
      name: `6->4 icmp echo ${size}B`,
      bytes: buildIcmp6Echo({ src: A6, dst: B6, id: 7, seq: 1, payload: pl(size, 48) }),
      restore: 48,
    },
    {
      name: `4->6 icmp echo ${size}B`,
      bytes: buildIcmp4Echo({
        src: B4,
        dst: A4,
        dontFragment: true,
        id: 7,
        seq: 1,
        reply: true,
        payload: pl(size, 28),
      }),
      restore: 28,
    },
  )
}
// ICMP errors: a router's error about a 1400-byte TCP packet, quoted as much as the sender's family allows.
const tcp4 = buildTcp4({ src: A4, dst: B4, srcPort: 40000, dstPort: 443, payload: pl(1400, 40) })
const tcp6 = buildTcp6({ src: A6, dst: B6, srcPort: 40000, dstPort: 443, payload: pl(1400, 60) })
const err4 = buildIcmp4({ src: B4, dst: A4, type: 3, code: 3, payload: tcp4.subarray(0, 576 - 28) })
const err6 = buildIcmp6({ src: B6, dst: A6, type: 1, code: 4, payload: tcp6.subarray(0, 1280 - 48) })
cases.push(
  // Translated in place (headroom 48): the whole packet is restored each time.
  { name: `4->6 icmp error (3/3, ${err4.length}B)`, bytes: err4, restore: err4.length },
  { name: `6->4 icmp error (1/4, ${err6.length}B)`, bytes: err6, restore: err6.length },
)

function work(c: Case) {
  const buf = new Uint8Array(NAT64_HEADROOM + c.bytes.length)
  buf.set(c.bytes, NAT64_HEADROOM)
  const head = c.bytes.slice(0, Math.max(c.restore, 1))
  const pkt = { buf, off: NAT64_HEADROOM, len: c.bytes.length }
  return { buf, head, pkt }
}

for (const size of ['64B', '1400B', 'error']) {
  summary(() => {
    for (const c of cases.filter((x) =>
      size === 'error' ? x.name.includes('error') : x.name.endsWith(` ${size}`),
    )) {
      const { buf, head, pkt } = work(c)
      // Check once, outside the measurement, that the case really translates.
      const r = translate(pkt, mapper, opts, res)
      if (r.action !== 'translated') throw new Error(`${c.name}: ${r.action} ${r.reason}`)
      // Warm up to the optimizing JIT tier so that the first case measured is not the one that pays for it.
      for (let i = 0; i < 50_000; i++) {
        buf.set(head, NAT64_HEADROOM)
        pkt.off = NAT64_HEADROOM
        translate(pkt, mapper, opts, res)
      }
      buf.set(c.bytes, NAT64_HEADROOM)
      bench(`translate ${c.name}`, () => {
        buf.set(head, NAT64_HEADROOM)
        pkt.off = NAT64_HEADROOM
        do_not_optimize(translate(pkt, mapper, opts, res).count)
      })
    }
    if (size === '1400B') {
      // No restore needed: 6->4 then 4->6 brings the packet back to where and what it was (the flow label is 0).
      const c = cases.find((x) => x.name === '6->4 tcp 1400B')!
      const { pkt } = work(c)
      const mid = { buf: pkt.buf, off: 0, len: 0 }
      bench('round trip 6->4->6 tcp 1400B (two translations)', () => {
        const r = translate(pkt, mapper, opts, res)
        mid.off = r.packets[0].off
        mid.len = r.packets[0].len
        do_not_optimize(translate(mid, mapper, opts, res).count)
      })
    }
    {
      const { buf, head } = work(size === 'error' ? cases[cases.length - 1] : cases[0])
      bench(`restore only ${size} (${head.length} B copy)`, () => {
        buf.set(head, NAT64_HEADROOM)
        do_not_optimize(buf[NAT64_HEADROOM])
      })
    }
  })
}
