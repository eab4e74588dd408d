/**
 * Memory of the session table with 10 000 (and 100 000) confirmed sessions, in a fresh
 * process: RSS and JS heap before and after, and the bytes the table's typed arrays hold.
 * Prints one JSON line. `bun bench/memory.ts [clients] [initialSessions]` (1 client = 1000 sessions).
 */
import { heapStats } from 'bun:jsc'
import { populated } from './fixture.ts'

function snapshot() {
  Bun.gc(true)
  const h = heapStats()
  return { rss: process.memoryUsage.rss(), heap: h.heapSize, extra: h.extraMemorySize }
}

const clients = Number(process.argv[2] ?? 10)
const before = snapshot()
const t0 = Bun.nanoseconds()
const nat = populated(clients, { initialSessions: Number(process.argv[3] ?? 1024) })
const t1 = Bun.nanoseconds()
const after = snapshot()
const sessions = nat.sessions.live.tcp + nat.sessions.live.udp + nat.sessions.live.icmp
console.log(
  JSON.stringify({
    sessions,
    tableBytes: nat.sessionTableBytes,
    tableBytesPerSession: Math.round(nat.sessionTableBytes / sessions),
    rssBefore: before.rss,
    rssAfter: after.rss,
    rssDelta: after.rss - before.rss,
    // JSC's heapSize already counts typed-array backing stores (extraMemorySize), shown apart.
    heapDelta: after.heap - before.heap,
    typedArrayDelta: after.extra - before.extra,
    // Each session is made by one outbound and one reply through the NAT (with table growth).
    nsPerSessionSetup: Math.round((t1 - t0) / sessions),
  }),
)
