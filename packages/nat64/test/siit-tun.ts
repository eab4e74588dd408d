/**
 * A TUN-based SIIT translator built from this package, for the real-kernel
 * test (and for trying the translator by hand). Opens a TUN device in a
 * network namespace, routes the two translated prefixes into it, and writes
 * every translation result back into it; the kernel forwards the rest.
 *
 *   bun test/siit-tun.ts NETNS POOL6 EAMT MTU4 MTU6 [decrement-ttl]
 *
 * Prints "ready" once the device is up; exits on SIGTERM/SIGINT, closing the
 * device (the kernel removes it with its routes). Prints its counters as one
 * JSON line on exit.
 */
import { closeOnSignals, openTun } from '@gatehouse/tun'
import { EamtMapper, NAT64_HEADROOM, Rfc6052Mapper, TranslateResult, Translator } from '../src/index.ts'

const [netns, pool6Text, eamtText, mtu4, mtu6, flag] = process.argv.slice(2)
const pool6 = new Rfc6052Mapper(pool6Text)
const mapper = new EamtMapper([eamtText], { pool6 })
const v4Side = eamtText.split('=')[0]
const result = new TranslateResult(Array.from({ length: 60 }, () => new Uint8Array(2048)))
const translator = new Translator(
  mapper,
  { mtu4: Number(mtu4), mtu6: Number(mtu6), decrementTtl: flag === 'decrement-ttl' },
  result,
)

const tun = openTun({
  name: 'siit0',
  mtu: 1500,
  addresses: [],
  routes: [pool6Text, v4Side],
  netns,
  io: 'poll',
})
const work = new Uint8Array(NAT64_HEADROOM + 65536)
const pkt = { buf: work, off: NAT64_HEADROOM, len: 0 }
tun.onPackets((buf, off, len) => {
  work.set(buf.subarray(off, off + len), NAT64_HEADROOM)
  pkt.off = NAT64_HEADROOM
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
