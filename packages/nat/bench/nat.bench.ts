/**
 * NAT lookups and creation on a table of 10 000 confirmed sessions (10 clients).
 * Lookups on tuples (the core) beside a naive string-keyed Map oracle, then the
 * packet-view path on real bytes beside its copy+parse baseline.
 */
import { buildTcp4, buildTcp6, buildUdp4, IpPacket } from '@gatehouse/ip-packet'
import { bench, do_not_optimize, summary } from 'mitata'
import {
  clientIp4,
  clientIp6,
  outFlow,
  parse4,
  parse6,
  populated,
  proxy4,
  proxy6,
  REAL4,
  replyFlow,
} from './fixture.ts'

const nat = populated(10)
let now = 1

// ---- tuples --------------------------------------------------------------------------------

// Client 3's sessions: proxy k has ports 20000 + (k >> 1) * 125 + p (see fixture.ts).
const out4b = outFlow(3, 1, 40) // TCP, IPv4 proxy, port 20040
const in4b = replyFlow(3, 1, 40)
const out6b = outFlow(3, 5, 40 + 2 * 125) // TCP, IPv6 proxy, port 20290
const in6 = replyFlow(3, 5, 40 + 2 * 125)
for (const v of [
  nat.handleOutboundFlow(now, 3, out4b, false),
  nat.handleInboundFlow(now, in4b),
  nat.handleOutboundFlow(now, 3, out6b, false),
  nat.handleInboundFlow(now, in6),
]) {
  if (v !== 'forward') throw new Error(`bench setup: ${v}`)
}

// The naive oracle: a Map keyed by a string built per packet, as a first draft would.
const naive = new Map<string, number>()
for (let c = 0; c < 10; c++) {
  for (let k = 0; k < 8; k++) {
    for (let p = 0; p < 125; p++) {
      const port = 20000 + p + (k >> 1) * 125
      naive.set(`${c}|${p & 1 ? 17 : 6}|${port}|${k < 4 ? proxy4(c, k) : proxy6(c, k - 4)}`, port)
    }
  }
}
const naiveProxy = proxy4(3, 1)

summary(() => {
  bench('outbound existing session tcp4 (tuple)', () => {
    do_not_optimize(nat.handleOutboundFlow(now, 3, out4b, false))
  })
  bench('outbound existing session tcp6 (tuple)', () => {
    do_not_optimize(nat.handleOutboundFlow(now, 3, out6b, false))
  })
  bench('inbound reply tcp4 (tuple)', () => {
    do_not_optimize(nat.handleInboundFlow(now, in4b))
  })
  bench('inbound reply tcp6 (tuple)', () => {
    do_not_optimize(nat.handleInboundFlow(now, in6))
  })
  bench('naive Map<string> lookup (oracle)', () => {
    do_not_optimize(naive.get(`${3}|${6}|${20040}|${naiveProxy}`))
  })
})

// ---- packet views ----------------------------------------------------------------------------

const c4 = parse4(clientIp4(3))
const c6 = parse6(clientIp6(3))
const tcp4Out = buildTcp4({
  src: c4,
  dst: parse4(proxy4(3, 1)),
  srcPort: 20040,
  dstPort: 443,
  payload: new Uint8Array(24),
})
const tcp6Out = buildTcp6({
  src: c6,
  dst: parse6(proxy6(3, 1)),
  srcPort: 20290,
  dstPort: 443,
  payload: new Uint8Array(4),
})
const tcp4In = buildTcp4({
  src: parse4(REAL4[1]),
  dst: c4,
  srcPort: 443,
  dstPort: 20040,
  payload: new Uint8Array(24),
})
const udp4Big = buildUdp4({
  src: c4,
  dst: parse4(proxy4(3, 1)),
  srcPort: 20041,
  dstPort: 443,
  payload: new Uint8Array(1172),
})
const work = new Uint8Array(2048)
const pkt = new IpPacket()

function load(bytes: Uint8Array): void {
  work.set(bytes)
  pkt.reset(work, 0, bytes.length)
}

for (const [b, dir] of [
  [tcp4Out, 'out'],
  [tcp6Out, 'out'],
  [udp4Big, 'out'],
  [tcp4In, 'in'],
] as const) {
  load(b)
  const v = dir === 'out' ? nat.handleOutbound(now, 3, pkt, false) : nat.handleInbound(now, pkt)
  if (v !== 'forward') throw new Error(`bench setup view ${v}`)
}

summary(() => {
  bench('copy+parse tcp4 64B (baseline)', () => {
    load(tcp4Out)
    do_not_optimize(pkt.dstPort)
  })
  bench('copy+parse+outbound rewrite tcp4 64B', () => {
    load(tcp4Out)
    do_not_optimize(nat.handleOutbound(now, 3, pkt, false))
  })
  bench('copy+parse+inbound rewrite tcp4 64B', () => {
    load(tcp4In)
    do_not_optimize(nat.handleInbound(now, pkt))
  })
  bench('copy+parse+outbound rewrite tcp6 64B', () => {
    load(tcp6Out)
    do_not_optimize(nat.handleOutbound(now, 3, pkt, false))
  })
  bench('copy+parse udp4 1200B (baseline)', () => {
    load(udp4Big)
    do_not_optimize(pkt.dstPort)
  })
  bench('copy+parse+outbound rewrite udp4 1200B', () => {
    load(udp4Big)
    do_not_optimize(nat.handleOutbound(now, 3, pkt, false))
  })
})

// ---- creation --------------------------------------------------------------------------------

// A session created and at once ended by a RST; the next iteration re-creates it, releasing
// the remembered tuple: create + end + release per iteration, in the 10k table.
const syn = outFlow(4, 2, 124) // even port index: TCP
const rst = outFlow(4, 2, 124)
rst.tcpFlags = 0x04
summary(() => {
  bench('create+RST session tcp4 (10k table)', () => {
    do_not_optimize(nat.handleOutboundFlow(now, 4, rst, false))
  })
  bench('outbound existing session tcp4 (same table)', () => {
    do_not_optimize(nat.handleOutboundFlow(now, 4, syn, false))
  })
})

// Keep the clock moving a little so nothing is constant-folded.
setInterval(() => {
  now++
}, 1).unref()

// Setup check: the RST bench really creates and resets TCP sessions.
{
  const before = nat.sessions.rst
  nat.handleOutboundFlow(now, 4, rst, false)
  if (nat.sessions.rst !== before + 1) throw new Error('bench setup: RST did not end a TCP session')
}
