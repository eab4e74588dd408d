/**
 * Allocation of the gateway core's forwarding path, in a fresh process: bun:jsc
 * `memoryUsage().current` (malloc + JS heap blocks) across N packets with no GC in between, so
 * transient garbage counts too (icmp-errors' method); the client's encryption is done beforehand so
 * only `GatewayState` runs in the measured loop. A control allocating one small object per call
 * shows the method sees allocation. `bun bench/alloc.ts` prints JSON lines.
 */
import { heapStats, memoryUsage } from 'bun:jsc'
import { buildUdp4, IpPacket, ipv4FromText } from '@gatehouse/ip-packet'
import { Bench } from '../test/harness.ts'

const N = 20_000
const v4 = (s: string) => ipv4FromText(s)!
const b = new Bench({ a: { 'app.example.com': ['192.0.2.10'] }, aaaa: {} }, [
  { name: 'alice', ipv4: '100.64.0.2', ipv6: 'fd00:2021:1111::2', resources: ['web'] },
])
b.connect('alice')
b.assignIps('alice')
const c = b.client('alice')
const g = b.gateway
const now = b.now
const pkt = buildUdp4({
  src: v4('100.64.0.2'),
  dst: v4('100.96.0.1'),
  srcPort: 5000,
  dstPort: 8080,
  payload: new Uint8Array(36),
})

function encryptMany(n: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    c.device.handlePacket(now, c.gw, pkt)
    const t = c.device.pollTransmit()!
    out.push(t.data.slice(0, t.length))
  }
  return out
}

/** Median of 3 rounds of N calls each, after a full GC per round. */
function measure(name: string, run: (round: number) => void): void {
  const rounds: number[] = []
  for (let k = 0; k < 3; k++) {
    Bun.gc(true)
    const before = memoryUsage().current
    run(k)
    rounds.push((memoryUsage().current - before) / N)
  }
  rounds.sort((a, b) => a - b)
  console.log(JSON.stringify({ name, packets: N, bytesPerPacket: Math.round(rounds[1] * 100) / 100 }))
}

let sink: unknown
measure('control: one small object per call', () => {
  for (let i = 0; i < N; i++) sink = { i }
})
void sink

// Warm up (JIT, NAT session), then learn the NAT port for replies.
for (const d of encryptMany(2000)) {
  g.handleDatagram(now, c.endpoint, d)
  g.pollTunWrite()
}
const probe = new IpPacket()
const warm = encryptMany(1)[0]
g.handleDatagram(now, c.endpoint, warm)
const w = g.pollTunWrite()!
probe.reset(w.buf, w.off, w.len)
const reply = buildUdp4({
  src: v4('192.0.2.10'),
  dst: v4('100.64.0.2'),
  srcPort: 8080,
  dstPort: probe.srcPort,
  payload: new Uint8Array(36),
})

const wgOnly = [encryptMany(N), encryptMany(N), encryptMany(N)]
measure('baseline: WireGuard Device.handleDatagram alone (decrypt), udp4 64B', (k) => {
  const d = wgOnly[k]
  for (let i = 0; i < N; i++) g.device.handleDatagram(now, c.endpoint, d[i])
})
const datagrams = [encryptMany(N), encryptMany(N), encryptMany(N)]
measure('outbound: handleDatagram + pollTunWrite (decrypt, access, NAT), udp4 64B', (k) => {
  const d = datagrams[k]
  for (let i = 0; i < N; i++) {
    g.handleDatagram(now, c.endpoint, d[i])
    g.pollTunWrite()
  }
})
const sealBuf = new Uint8Array(reply.length)
measure('baseline: WireGuard Device.handlePacket + pollTransmit alone (encrypt), udp4 64B', () => {
  const peer = g.peerOf('alice')!
  for (let i = 0; i < N; i++) {
    sealBuf.set(reply)
    g.device.handlePacket(now, peer, sealBuf, 0, sealBuf.length)
    g.device.pollTransmit()
  }
})
// The TUN hands packets as whole buffers here, so WireGuard's seal copies without a subarray view.
const tunBuf = new Uint8Array(reply.length)
for (let i = 0; i < 2000; i++) {
  tunBuf.set(reply)
  g.handleTunPacket(now, tunBuf, 0, reply.length)
  g.pollTransmit()
}
measure('inbound: handleTunPacket + pollTransmit (NAT reverse, encrypt), udp4 64B', () => {
  for (let i = 0; i < N; i++) {
    tunBuf.set(reply)
    g.handleTunPacket(now, tunBuf, 0, reply.length)
    g.pollTransmit()
  }
})

/** Second method: JS object counts by type before and after N packets (types that grew by > 100). */
function objectGrowth(name: string, run: () => void): void {
  Bun.gc(true)
  const before = heapStats().objectTypeCounts
  run()
  const after = heapStats().objectTypeCounts
  const grew: Record<string, number> = {}
  for (const k of Object.keys(after)) {
    const d = (after[k] ?? 0) - (before[k] ?? 0)
    if (d > 100) grew[k] = d
  }
  console.log(JSON.stringify({ name, packets: N, objectTypesGrown: grew }))
}
const wgOnly2 = encryptMany(N)
objectGrowth('baseline: WireGuard Device.handleDatagram alone', () => {
  for (let i = 0; i < N; i++) g.device.handleDatagram(now, c.endpoint, wgOnly2[i])
})
const gw2 = encryptMany(N)
objectGrowth('outbound: GatewayState.handleDatagram + pollTunWrite', () => {
  for (let i = 0; i < N; i++) {
    g.handleDatagram(now, c.endpoint, gw2[i])
    g.pollTunWrite()
  }
})
objectGrowth('control: one retained object per call', () => {
  const keep: unknown[] = []
  for (let i = 0; i < N; i++) keep.push({ i })
  sink = keep
})
