/**
 * A TUN-based SIIT translator built from this package, for the real-kernel
 * test, the TAYGA comparisons (test/tayga.test.ts, bench/e2e/nat64) and for
 * trying the translator by hand. Opens a TUN device in a network namespace,
 * routes the two translated prefixes into it, and writes every translation
 * result back into it; the kernel forwards the rest.
 *
 *   bun test/siit-tun.ts NETNS POOL6 EAMT MTU4 MTU6 [decrement-ttl] [io=ring|poll|worker|mq] [name=DEV]
 *
 * Prints "ready" once the device is up; exits through `process.exit` on
 * SIGTERM/SIGINT (closeOnSignals: the device goes with its routes, and a
 * `bun --cpu-prof` profile gets written). Prints its counters as one JSON
 * line on exit.
 */
import { isMainThread, Worker, workerData } from 'node:worker_threads'
import { copyBytes } from '@gatehouse/ip-packet'
import { attachQueue, closeOnSignals, DEFAULT_IO, openTun, type TunQueue, waitReadable } from '@gatehouse/tun'
import {
  EamtMapper,
  NAT64_HEADROOM,
  type PacketBuf,
  Rfc6052Mapper,
  TranslateResult,
  Translator,
} from '../src/index.ts'

const [netns, pool6Text, eamtText, mtu4, mtu6, ...flags] = (
  isMainThread ? process.argv.slice(2) : workerData.argv
) as string[]
const flag = (k: string) => flags.find((f) => f.startsWith(`${k}=`))?.slice(k.length + 1)
/**
 * `ring`/`poll`: @gatehouse/tun's readers, translation on the main thread; `worker`: one Worker owns the device
 * (read, translate, write); `mq`: two queues, two such Workers, each writing into the other's queue (below).
 */
const io = flag('io') ?? DEFAULT_IO
const pool6 = new Rfc6052Mapper(pool6Text)
const mapper = new EamtMapper([eamtText], { pool6 })
const v4Side = eamtText.split('=')[0]
const result = new TranslateResult(Array.from({ length: 60 }, () => new Uint8Array(2048)))
const translator = new Translator(
  mapper,
  { mtu4: Number(mtu4), mtu6: Number(mtu6), decrementTtl: flags.includes('decrement-ttl') },
  result,
)

if (isMainThread) {
  const tun = openTun({
    name: flag('name') ?? 'siit0',
    mtu: 1500,
    addresses: [],
    routes: [pool6Text, v4Side],
    netns,
    io: io === 'worker' || io === 'mq' ? DEFAULT_IO : (io as 'ring' | 'poll'),
    multiQueue: io === 'mq' ? 2 : 1,
  })
  if (io === 'worker' || io === 'mq') {
    // The Workers' loops never return; process.exit (closeOnSignals) ends them with the process.
    // mq: the kernel picks a TUN queue for a flow from the queue that last *wrote* a packet of it (tun's automq,
    // symmetric flow hash). A Worker that reads queue i and writes into queue 1-i therefore gets the packets of
    // one direction only: the IPv6 data it writes out as IPv4 send that flow's IPv4 ACKs to the other Worker,
    // and back. Two threads, each its own direction, no hand-off and no reordering within a flow.
    const fds = tun.queues.map((q) => q.fd)
    // Per Worker: IPv6 packets read, IPv4 packets read (each Worker writes only its own two slots).
    const shared = new SharedArrayBuffer(fds.length * 2 * 8)
    for (let i = 0; i < fds.length; i++)
      new Worker(new URL(import.meta.url), {
        workerData: {
          argv: process.argv.slice(2),
          fd: fds[i],
          outFd: fds[(i + 1) % fds.length],
          shared,
          slot: i,
        },
      })
    process.on('exit', () => {
      const c = new Float64Array(shared)
      const workers = fds.map((_, i) => ({ v6: c[i * 2], v4: c[i * 2 + 1] }))
      process.stderr.write(`${JSON.stringify({ workers })}\n`)
    })
  } else {
    const work = new Uint8Array(NAT64_HEADROOM + 65536)
    const pkt: PacketBuf = { buf: work, off: NAT64_HEADROOM, len: 0 }
    tun.onPackets((buf, off, len) => {
      if (len > 0 && buf[off] >> 4 === 6) {
        // IPv6 -> IPv4 shrinks: translate in the reader's buffer (the handler may change it in place), no copy.
        pkt.buf = buf
        pkt.off = off
      } else {
        // IPv4 -> IPv6 grows by 20-28 bytes into headroom the reader's buffer does not have: copy once.
        copyBytes(buf, off, work, NAT64_HEADROOM, len)
        pkt.buf = work
        pkt.off = NAT64_HEADROOM
      }
      pkt.len = len
      const r = translator.translate(pkt)
      for (let i = 0; i < r.count; i++) {
        const p = r.packets[i]
        tun.write(p.buf, p.off, p.len)
      }
    })
    process.on('exit', () => {
      const nonZero = Object.fromEntries(Object.entries(translator.counts).filter(([, v]) => v > 0))
      process.stderr.write(`${JSON.stringify({ counts: nonZero, tun: tun.counters })}\n`)
    })
  }
  closeOnSignals()
  process.stdout.write('ready\n')
} else {
  // TAYGA's shape: one thread reads until the device is empty, translating and writing each packet, then
  // sleeps in poll(2). Packets are read straight into the headroom offset: no copy in either direction.
  const q: TunQueue = attachQueue(workerData.fd as number, 1500)
  const out: TunQueue = workerData.outFd === workerData.fd ? q : attachQueue(workerData.outFd as number, 1500)
  const qs = [q]
  const counts = new Float64Array(workerData.shared as SharedArrayBuffer)
  const v6Slot = (workerData.slot as number) * 2
  const buf = new Uint8Array(NAT64_HEADROOM + 65536)
  const pkt: PacketBuf = { buf, off: NAT64_HEADROOM, len: 0 }
  for (;;) {
    const n = q.read(buf, NAT64_HEADROOM, 65536)
    if (n < 0) {
      waitReadable(qs, 1000)
      continue
    }
    counts[v6Slot + (buf[NAT64_HEADROOM] >> 4 === 6 ? 0 : 1)]++
    pkt.buf = buf
    pkt.off = NAT64_HEADROOM
    pkt.len = n
    const r = translator.translate(pkt)
    for (let i = 0; i < r.count; i++) {
      const p = r.packets[i]
      out.write(p.buf, p.off, p.len)
    }
  }
}
