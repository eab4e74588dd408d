/** The README's example, run for real (as root, in a gh-tun- namespace; skipped otherwise with the reason printed). */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { closeOnSignals, openTun } from '../src/index.ts'
import { CAN_RUN, deleteNetns, link, makeNetns, run, until } from './netns.ts'

let ns = ''
// In beforeAll, not at module load: a filtered run (`bun test -t x`) skips this file's hooks.
beforeAll(() => {
  if (CAN_RUN) ns = makeNetns()
})
afterAll(() => {
  if (ns !== '') deleteNetns(ns)
})

test.skipIf(!CAN_RUN)('README example: open, configure, count packets, close (issue 7)', async () => {
  const stop = closeOnSignals()
  // --- README example (plus netns: the test runs inside its own namespace) ---
  const tun = openTun({
    name: 'gh0',
    mtu: 1280,
    addresses: ['100.64.0.1/32', 'fd00:2021:1111::1/128'],
    routes: ['100.96.0.0/11', 'fd00:2021:1111:8000::/107'],
    netns: ns,
  })
  const byVersion = new Array<number>(16).fill(0)
  tun.onPackets((buf, off, len) => {
    // One IP packet in buf[off, off + len), valid during this call: parse it in place,
    // forward it or answer with tun.write(reply, replyOff, replyLen).
    if (len > 0) byVersion[buf[off] >> 4]++
  })
  // ... later, or on SIGINT/SIGTERM through closeOnSignals():
  // tun.close()
  // --- end of example ---
  run(['ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', '100.96.0.7'])
  await until(() => byVersion[4] >= 1, 3000, 'an IPv4 packet')
  expect(tun.counters.rxPackets).toBe(byVersion[4] + byVersion[6])
  tun.close()
  expect(link(ns, 'gh0')).toBeNull()
  stop()
})
