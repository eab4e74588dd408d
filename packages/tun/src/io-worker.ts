/**
 * The I/O Worker of one TUN queue (see ring.ts for the shared layout).
 *
 * `ring`: read packets straight into the shared ring (non-blocking reads, one
 * `poll(2)` when the device is empty), publish each by bumping HEAD, and wake
 * the owner only when it said it is asleep. A full ring makes the Worker wait
 * on TAIL; the kernel queue then fills and the kernel drops (counted in the
 * device's `rx_dropped`), exactly as for a slow C reader.
 *
 * `poll`: wait until the device is readable, tell the owner, and wait to be
 * re-armed; the owner does the reads itself.
 */
import { type Pointer, ptr } from 'bun:ffi'
import { EAGAIN, EBADF, EINTR, errno, libc, POLLIN } from './libc.ts'
import {
  ARMED,
  CONSUMER_SLEEPING,
  HEAD,
  PRODUCER_SLEEPING,
  READY,
  RX_ERRORS,
  STOP,
  STOPPED,
  TAIL,
  type WorkerStart,
} from './ring.ts'

declare const self: Worker

self.onmessage = (ev: MessageEvent<WorkerStart>) => {
  const m = ev.data
  const ctl = new Int32Array(m.ctl)
  try {
    if (m.mode === 'ring') runRing(m, ctl)
    else runPoll(m, ctl)
  } finally {
    Atomics.store(ctl, STOPPED, 1)
    Atomics.notify(ctl, STOPPED)
  }
}

function pollFds(fd: number, wakeFd: number): Int32Array {
  // struct pollfd { int fd; short events; short revents; }: little-endian, events in the low half.
  const p = new Int32Array(4)
  p[0] = fd
  p[1] = POLLIN
  p[2] = wakeFd
  p[3] = POLLIN
  return p
}

function runRing(m: WorkerStart, ctl: Int32Array): void {
  const L = libc()
  const read = L.read
  const poll = L.poll
  const lens = new Int32Array(m.lens)
  const base = ptr(new Uint8Array(m.data))
  const fds = pollFds(m.fd, m.wakeFd)
  const fd = m.fd
  const slots = m.slots
  const mask = slots - 1
  const slotSize = m.slotSize
  let head = Atomics.load(ctl, HEAD)
  for (;;) {
    if (Atomics.load(ctl, STOP) !== 0) return
    const tail = Atomics.load(ctl, TAIL)
    if (((head - tail) | 0) >= slots) {
      // Ring full: wait for the consumer (it notifies TAIL when PRODUCER_SLEEPING is set).
      Atomics.store(ctl, PRODUCER_SLEEPING, 1)
      if (Atomics.load(ctl, TAIL) === tail) Atomics.wait(ctl, TAIL, tail, 100)
      Atomics.store(ctl, PRODUCER_SLEEPING, 0)
      continue
    }
    const slot = head & mask
    const n = read(fd, (base + slot * slotSize) as Pointer, slotSize)
    if (n >= 0) {
      lens[slot] = n
      head = (head + 1) | 0
      Atomics.store(ctl, HEAD, head)
      if (Atomics.load(ctl, CONSUMER_SLEEPING) !== 0) {
        Atomics.store(ctl, CONSUMER_SLEEPING, 0)
        Atomics.notify(ctl, HEAD)
      }
      continue
    }
    const e = errno()
    if (e === EAGAIN) {
      fds[1] = POLLIN
      fds[3] = POLLIN
      poll(fds, 2, -1)
      continue
    }
    if (e === EINTR) continue
    Atomics.add(ctl, RX_ERRORS, 1)
    if (e === EBADF) return
  }
}

function runPoll(m: WorkerStart, ctl: Int32Array): void {
  const poll = libc().poll
  const fds = pollFds(m.fd, m.wakeFd)
  for (;;) {
    Atomics.wait(ctl, ARMED, 0)
    if (Atomics.load(ctl, STOP) !== 0) return
    fds[1] = POLLIN
    fds[3] = POLLIN
    const r = poll(fds, 2, -1)
    if (Atomics.load(ctl, STOP) !== 0) return
    if (r < 0) continue
    Atomics.store(ctl, ARMED, 0)
    Atomics.add(ctl, READY, 1)
    Atomics.notify(ctl, READY)
  }
}
