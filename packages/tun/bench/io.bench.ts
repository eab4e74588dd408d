/**
 * Per-packet cost of the FFI calls on the packet path, against Bun's own
 * `fs.writeSync` on the same descriptor. Needs root: it opens a TUN device in a
 * namespace of its own (gh-tun-bench-*), with forwarding on, so that a packet
 * written to 10.98.0.2 is routed straight back into the device and can be read.
 */
import { readSync, writeSync } from 'node:fs'
import { finish, sum } from '@gatehouse/ip-packet'
import { bench, do_not_optimize, summary } from 'mitata'
import { openTun, type Tun } from '../src/index.ts'

export const NS = `gh-tun-bench-${process.pid}`

/** An IPv4/UDP packet 10.99.0.2 -> 10.98.0.2 of `len` bytes, checksums valid (the kernel checks them when forwarding). */
function udpPacket(len: number): Uint8Array {
  const p = new Uint8Array(len)
  p.set([0x45, 0, len >> 8, len & 0xff, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 99, 0, 2, 10, 98, 0, 2])
  const c = finish(sum(p, 0, 20, 0))
  p[10] = c >> 8
  p[11] = c & 0xff
  p.set([0x30, 0x39, 0x1f, 0x90, (len - 20) >> 8, (len - 20) & 0xff, 0, 0], 20) // checksum 0: none (RFC 768)
  return p
}

export function setupBench(): Tun {
  Bun.spawnSync(['ip', 'netns', 'add', NS])
  Bun.spawnSync(['ip', 'netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
  return openTun({
    name: 'ghbench0',
    mtu: 1500,
    addresses: ['10.99.0.1/24'],
    routes: ['10.98.0.0/16'],
    netns: NS,
  })
}

export function teardownBench(t: Tun): void {
  t.close()
  Bun.spawnSync(['ip', 'netns', 'del', NS])
}

export function registerIoBenches(t: Tun): void {
  const q = t.queues[0]
  const rx = new Uint8Array(2048)
  // The cheapest call there is: a read on an empty device returns EAGAIN at once, so this is
  // mostly the cost of crossing into the kernel and back. fs.readSync reports EAGAIN by throwing.
  summary(() => {
    bench('TunQueue.read, empty device (EAGAIN)', () => {
      do_not_optimize(q.read(rx, 0, rx.length))
    })
    bench('fs.readSync, empty device (throws EAGAIN)', () => {
      try {
        do_not_optimize(readSync(q.fd, rx, 0, rx.length, null))
      } catch (e) {
        do_not_optimize(e)
      }
    })
  })
  for (const size of [64, 1400]) {
    const pkt = udpPacket(size)
    summary(() => {
      bench(`TunQueue.write ${size}B`, () => {
        do_not_optimize(q.write(pkt, 0, size))
        while (q.read(rx, 0, rx.length) >= 0) {} // drain what came back, so the queue never fills
      })
      bench(`fs.writeSync ${size}B (Bun's fs on the same fd)`, () => {
        do_not_optimize(writeSync(q.fd, pkt, 0, size))
        while (q.read(rx, 0, rx.length) >= 0) {}
      })
    })
  }
}
