/**
 * RSS of a gateway core holding N NAT sessions (issue 9's goal: under 100 MB with 10 000), in a
 * fresh process: `bun bench/memory.ts [N]` prints one JSON line. Sessions are UDP flows from one
 * client through its WireGuard tunnel, each from its own source port, with a reply (confirmed).
 * N <= 16 384: the NAT's per-client session cap (`maxSessionsPerClient`).
 */
import { heapStats } from 'bun:jsc'
import { buildUdp4, IpPacket, ipv4FromText } from '@gatehouse/ip-packet'
import { Bench } from '../test/harness.ts'

const N = Math.min(Number(process.argv[2] ?? 10_000), 16_384)
const v4 = (s: string) => ipv4FromText(s)!
Bun.gc(true)
const rssStart = process.memoryUsage().rss
const b = new Bench({ a: { 'app.example.com': ['192.0.2.10'] }, aaaa: {} }, [
  { name: 'alice', ipv4: '100.64.0.2', ipv6: 'fd00:2021:1111::2', resources: ['web'] },
])
b.connect('alice')
b.assignIps('alice')
const c = b.client('alice')
const g = b.gateway
const now = b.now
const probe = new IpPacket()
Bun.gc(true)
const rssBefore = process.memoryUsage().rss
for (let i = 0; i < N; i++) {
  const port = 1024 + (i % 60000)
  const dst = `100.96.0.${1 + Math.floor(i / 60000)}`
  c.device.handlePacket(
    now,
    c.gw,
    buildUdp4({ src: v4('100.64.0.2'), dst: v4(dst), srcPort: port, dstPort: 443 }),
  )
  const t = c.device.pollTransmit()!
  g.handleDatagram(now, c.endpoint, t.data.slice(0, t.length))
  const w = g.pollTunWrite()!
  probe.reset(w.buf, w.off, w.len)
  const reply = buildUdp4({
    src: v4('192.0.2.10'),
    dst: v4('100.64.0.2'),
    srcPort: 443,
    dstPort: probe.srcPort,
  })
  g.handleTunPacket(now, reply, 0, reply.length)
  g.pollTransmit()
}
Bun.gc(true)
const rssAfter = process.memoryUsage().rss
console.log(
  JSON.stringify({
    sessions: g.nat.sessions.live.udp,
    sessionTableBytes: g.nat.sessionTableBytes,
    rssStartMiB: +(rssStart / 2 ** 20).toFixed(1),
    rssIdleMiB: +(rssBefore / 2 ** 20).toFixed(1),
    rssAfterMiB: +(rssAfter / 2 ** 20).toFixed(1),
    heapMiB: +(heapStats().heapSize / 2 ** 20).toFixed(1),
  }),
)
