/**
 * A TUN-based SIIT translator built from this package, for the real-kernel
 * test, the TAYGA comparisons (test/tayga.test.ts, bench/e2e/nat64) and for
 * trying the translator by hand. Opens a TUN device in a network namespace,
 * routes the two translated prefixes into it, and writes every translation
 * result back into it; the kernel forwards the rest.
 *
 *   bun test/siit-tun.ts NETNS POOL6 EAMT MTU4 MTU6 [decrement-ttl] [io=ring|poll] [name=DEV]
 *
 * Prints "ready" once the device is up; exits through `process.exit` on
 * SIGTERM/SIGINT (closeOnSignals: the device goes with its routes, and a
 * `bun --cpu-prof` profile gets written). Prints its counters as one JSON
 * line on exit.
 */
import { copyBytes } from '@gatehouse/ip-packet'
import { closeOnSignals, DEFAULT_IO, type IoMode, openTun } from '@gatehouse/tun'
import {
  EamtMapper,
  NAT64_HEADROOM,
  type PacketBuf,
  Rfc6052Mapper,
  TranslateResult,
  Translator,
} from '../src/index.ts'

const [netns, pool6Text, eamtText, mtu4, mtu6, ...flags] = process.argv.slice(2)
const flag = (k: string) => flags.find((f) => f.startsWith(`${k}=`))?.slice(k.length + 1)
const pool6 = new Rfc6052Mapper(pool6Text)
const mapper = new EamtMapper([eamtText], { pool6 })
const v4Side = eamtText.split('=')[0]
const result = new TranslateResult(Array.from({ length: 60 }, () => new Uint8Array(2048)))
const translator = new Translator(
  mapper,
  { mtu4: Number(mtu4), mtu6: Number(mtu6), decrementTtl: flags.includes('decrement-ttl') },
  result,
)

const tun = openTun({
  name: flag('name') ?? 'siit0',
  mtu: 1500,
  addresses: [],
  routes: [pool6Text, v4Side],
  netns,
  io: (flag('io') as IoMode | undefined) ?? DEFAULT_IO,
})
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
closeOnSignals()
process.on('exit', () => {
  const nonZero = Object.fromEntries(Object.entries(translator.counts).filter(([, v]) => v > 0))
  process.stderr.write(`${JSON.stringify({ counts: nonZero, tun: tun.counters })}\n`)
})
process.stdout.write('ready\n')
