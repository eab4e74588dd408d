/**
 * The gateway core's packet path, end to end in memory: a WireGuard client (packages/wireguard)
 * encrypts, `GatewayState` decrypts, parses, checks access and NATs (or translates) and queues the
 * packet for the TUN device; and back: a reply from the TUN is NATed in reverse and encrypted.
 * Baselines in the same summary isolate the gateway's share: the client's encryption alone, and
 * the copy of the reply template alone.
 */
import { MessageType } from '@gatehouse/control'
import { buildUdp4, buildUdp6, IpPacket, ipv4FromText, ipv6FromText } from '@gatehouse/ip-packet'
import { bench, do_not_optimize, summary } from 'mitata'
import { Bench } from '../test/harness.ts'

const v4 = (s: string) => ipv4FromText(s)!
const v6 = (s: string) => ipv6FromText(s)!
const ALICE = { name: 'alice', ipv4: '100.64.0.2', ipv6: 'fd00:2021:1111::2', resources: ['web'] }
const b = new Bench(
  {
    a: { 'app.example.com': ['192.0.2.10'], 'v4only.example.com': ['192.0.2.20'] },
    aaaa: { 'app.example.com': ['2001:db8::10'] },
  },
  [ALICE],
)
b.connect('alice')
let rid = 1
for (const [domain, base] of [
  ['app.example.com', 1],
  ['v4only.example.com', 5],
] as const) {
  const ips: string[] = []
  for (let i = 0; i < 4; i++) ips.push(`100.96.0.${base + i}`)
  for (let i = 0; i < 4; i++) ips.push(`fd00:2021:1111:8000::${base + i}`)
  b.sendControl('alice', {
    type: MessageType.AssignedIps,
    requestId: rid++,
    resource: 'web',
    domain,
    proxyIps: ips,
  })
}
const c = b.client('alice')
const g = b.gateway
const now = b.now
const from = c.endpoint
const dgram = new Uint8Array(2048)

const udp4 = buildUdp4({
  src: v4(ALICE.ipv4),
  dst: v4('100.96.0.1'),
  srcPort: 5000,
  dstPort: 8080,
  payload: new Uint8Array(36),
})
const udp4big = buildUdp4({
  src: v4(ALICE.ipv4),
  dst: v4('100.96.0.1'),
  srcPort: 5000,
  dstPort: 8080,
  payload: new Uint8Array(1172),
})
const udp6to4 = buildUdp6({
  src: v6(ALICE.ipv6),
  dst: v6('fd00:2021:1111:8000::5'),
  srcPort: 5001,
  dstPort: 53,
  payload: new Uint8Array(16),
})
if (udp4.length !== 64 || udp4big.length !== 1200 || udp6to4.length !== 64)
  throw new Error('bench packet sizes')

function encrypt(pkt: Uint8Array): number {
  c.device.handlePacket(now, c.gw, pkt)
  const t = c.device.pollTransmit()!
  dgram.set(t.data.subarray(0, t.length))
  return t.length
}
function outbound(pkt: Uint8Array): number {
  const n = encrypt(pkt)
  g.handleDatagram(now, from, dgram, n)
  const p = g.pollTunWrite()
  return p === null ? -1 : p.len
}
// Warm up and learn the NAT port for the reply.
outbound(udp4)
outbound(udp6to4)
const probe = new IpPacket()
const tunOut = b.takeTun() // harness copies from earlier traffic (none on this path)
void tunOut
encrypt(udp4)
g.handleDatagram(now, from, dgram, encrypt(udp4))
const w = g.pollTunWrite()!
probe.reset(w.buf, w.off, w.len)
const natPort = probe.srcPort
const reply = buildUdp4({
  src: v4('192.0.2.10'),
  dst: v4(ALICE.ipv4),
  srcPort: 8080,
  dstPort: natPort,
  payload: new Uint8Array(36),
})
const tunBuf = new Uint8Array(2048)

summary(() => {
  bench('baseline: client encrypts udp4 64B', () => do_not_optimize(encrypt(udp4)))
  bench('client -> gateway -> TUN udp4 64B (decrypt, NAT)', () => do_not_optimize(outbound(udp4)))
  bench('client -> gateway -> TUN udp6->4 64B (decrypt, NAT64)', () => do_not_optimize(outbound(udp6to4)))
  bench('baseline: client encrypts udp4 1200B', () => do_not_optimize(encrypt(udp4big)))
  bench('client -> gateway -> TUN udp4 1200B (decrypt, NAT)', () => do_not_optimize(outbound(udp4big)))
})

summary(() => {
  bench('baseline: copy reply udp4 64B', () => {
    tunBuf.set(reply)
    do_not_optimize(tunBuf)
  })
  bench('TUN -> gateway -> client udp4 64B (NAT reverse, encrypt)', () => {
    tunBuf.set(reply)
    g.handleTunPacket(now, tunBuf, 0, reply.length)
    do_not_optimize(g.pollTransmit())
  })
})
