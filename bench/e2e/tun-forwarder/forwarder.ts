/**
 * The TUN-to-TUN forwarder made from @gatehouse/tun, the same job as forwarder.c.
 * usage: bun forwarder.ts MODE NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B MTU
 * MODE: `ring` or `poll` (Tun.onPackets with that I/O mode: the event loop stays free),
 * or `sync` (a loop that owns its thread: waitReadable + read, as a dedicated data-plane Worker would).
 * Each device gets its address (/32) and a route to the other's; prints "ready".
 */
import { closeOnSignals, type IoMode, openTun, waitReadable } from '@gatehouse/tun'

const [mode, nsA, devA, addrA, nsB, devB, addrB, mtuArg] = process.argv.slice(2)
const mtu = Number(mtuArg)
const io: IoMode = mode === 'poll' ? 'poll' : 'ring'
// The sync loop never returns to the event loop, so a signal handler would never run there: it keeps
// the default action (exit), and the kernel removes the non-persistent devices with the process.
if (mode !== 'sync') closeOnSignals()
const a = openTun({ name: devA, mtu, addresses: [`${addrA}/32`], routes: [`${addrB}/32`], netns: nsA, io })
const b = openTun({ name: devB, mtu, addresses: [`${addrB}/32`], routes: [`${addrA}/32`], netns: nsB, io })

if (mode === 'sync') {
  const qa = a.queues[0]
  const qb = b.queues[0]
  const both = [qa, qb]
  const buf = new Uint8Array(65536)
  console.log('ready')
  for (;;) {
    let moved = false
    for (let n = qa.read(buf, 0, buf.length); n >= 0; n = qa.read(buf, 0, buf.length)) {
      qb.write(buf, 0, n)
      moved = true
    }
    for (let n = qb.read(buf, 0, buf.length); n >= 0; n = qb.read(buf, 0, buf.length)) {
      qa.write(buf, 0, n)
      moved = true
    }
    if (!moved) waitReadable(both, -1)
  }
} else {
  a.onPackets((buf, off, len) => {
    b.write(buf, off, len)
  })
  b.onPackets((buf, off, len) => {
    a.write(buf, off, len)
  })
  console.log('ready')
}
