/**
 * One TUN queue (one file descriptor): non-blocking writes, and reads handed
 * to a callback on the owning thread without blocking its event loop.
 */
import { ptr } from 'bun:ffi'
import { EAGAIN, EFD_CLOEXEC, EFD_NONBLOCK, EINTR, errno, libc, POLLIN } from './libc.ts'
import {
  ARMED,
  CONSUMER_SLEEPING,
  CTL_WORDS,
  HEAD,
  PRODUCER_SLEEPING,
  READY,
  RX_ERRORS,
  STOP,
  STOPPED,
  TAIL,
  type WorkerStart,
} from './ring.ts'

/**
 * Called once per packet read from the device. `buf[off, off + len)` is the IP
 * packet; it is valid only during the call (the buffer is reused), and the
 * callback may change it in place, or pass it straight to another queue's
 * `write`.
 */
export type PacketHandler = (buf: Uint8Array, off: number, len: number) => void

/**
 * How `onPackets` reads (measured in README.md, "Packet I/O"):
 * - `ring`: a Worker reads into a SharedArrayBuffer ring; the owner drains it.
 * - `poll`: a Worker waits in `poll(2)`; the owner reads until EAGAIN.
 */
export type IoMode = 'ring' | 'poll'

/** Default I/O mode: the faster one in the README's measurements. */
export const DEFAULT_IO: IoMode = 'ring'

/** Plain counters, updated in place (no allocation). */
export interface TunCounters {
  rxPackets: number
  rxBytes: number
  /** Read errors other than EAGAIN/EINTR. */
  rxErrors: number
  txPackets: number
  txBytes: number
  /** `write` returned false because the device queue was full (EAGAIN). */
  txQueueFull: number
  /** `write` returned false for another reason (EINVAL for a malformed packet, EIO when the link is down). */
  txErrors: number
}

function newCounters(): TunCounters {
  return { rxPackets: 0, rxBytes: 0, rxErrors: 0, txPackets: 0, txBytes: 0, txQueueFull: 0, txErrors: 0 }
}

/** Packets handed to the callback per turn before yielding to the event loop. */
const BATCH_BUDGET = 512

/**
 * One queue of a TUN device. Created by `openTun` (one per `multiQueue`), or in
 * another Worker with {@link attachQueue} from the `fd` number (file
 * descriptors are process-wide).
 */
export class TunQueue {
  readonly counters: TunCounters = newCounters()
  private readonly lib = libc()
  private readonly writeFn = this.lib.write
  private readonly readFn = this.lib.read
  private worker: Worker | null = null
  private wakeFd = -1
  private ctl: Int32Array = new Int32Array(0)
  private closed = false

  /**
   * `fd` must be non-blocking (openTun sets O_NONBLOCK). `mtu` sizes the read
   * buffers. `ownsFd`: whether `close()` closes the descriptor (false for
   * {@link attachQueue}: the opener's `Tun.close()` does).
   */
  constructor(
    readonly fd: number,
    readonly mtu: number,
    readonly io: IoMode = DEFAULT_IO,
    private readonly ownsFd = true,
  ) {}

  /**
   * Writes one IP packet. Returns false, and counts it, when the device queue
   * is full or the kernel refused the packet; never throws on the packet path.
   */
  write(buf: Uint8Array, off: number, len: number): boolean {
    const n = this.writeFn(this.fd, ptr(buf, off), len)
    if (n >= 0) {
      this.counters.txPackets++
      this.counters.txBytes += len
      return true
    }
    if (errno() === EAGAIN) this.counters.txQueueFull++
    else this.counters.txErrors++
    return false
  }

  /**
   * One non-blocking read into `buf[off, off + cap)`: the packet length, or -1
   * when no packet is waiting. For loops that own their thread (see
   * {@link waitReadable}); do not mix with `onPackets`.
   */
  read(buf: Uint8Array, off: number, cap: number): number {
    const n = this.readFn(this.fd, ptr(buf, off), cap)
    if (n >= 0) {
      this.counters.rxPackets++
      this.counters.rxBytes += n
      return n
    }
    const e = errno()
    if (e !== EAGAIN && e !== EINTR) this.counters.rxErrors++
    return -1
  }

  /**
   * Starts delivering packets to `cb` on this thread, from a Worker, without
   * blocking the event loop. Call once.
   */
  onPackets(cb: PacketHandler): void {
    if (this.worker !== null) throw new Error('onPackets: already started')
    if (this.closed) throw new Error('onPackets: queue is closed')
    const wakeFd = this.lib.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)
    if (wakeFd < 0) throw new Error(`eventfd failed: errno ${errno()}`)
    this.wakeFd = wakeFd
    const slots = 256
    // Reads never return more than the MTU; 16-byte slots keep payloads aligned.
    const slotSize = (Math.max(this.mtu, 576) + 15) & ~15
    const msg: WorkerStart = {
      mode: this.io,
      fd: this.fd,
      wakeFd,
      ctl: new SharedArrayBuffer(CTL_WORDS * 4),
      lens: new SharedArrayBuffer(this.io === 'ring' ? slots * 4 : 4),
      data: new SharedArrayBuffer(this.io === 'ring' ? slots * slotSize : 16),
      slots,
      slotSize,
    }
    this.ctl = new Int32Array(msg.ctl)
    const worker = new Worker(new URL('./io-worker.ts', import.meta.url).href)
    this.worker = worker
    worker.postMessage(msg)
    if (this.io === 'ring') this.startRing(cb, msg)
    else this.startPoll(cb)
  }

  private startRing(cb: PacketHandler, m: WorkerStart): void {
    const ctl = this.ctl
    const lens = new Int32Array(m.lens)
    const data = new Uint8Array(m.data)
    const mask = m.slots - 1
    const slotSize = m.slotSize
    const c = this.counters
    let tail = 0
    const drain = (): void => {
      if (this.closed) return
      let budget = BATCH_BUDGET
      let head = Atomics.load(ctl, HEAD)
      while (tail !== head && budget > 0) {
        while (tail !== head && budget > 0) {
          const slot = tail & mask
          const len = lens[slot]
          c.rxPackets++
          c.rxBytes += len
          cb(data, slot * slotSize, len)
          tail = (tail + 1) | 0
          budget--
        }
        Atomics.store(ctl, TAIL, tail)
        if (Atomics.load(ctl, PRODUCER_SLEEPING) !== 0) Atomics.notify(ctl, TAIL)
        head = Atomics.load(ctl, HEAD)
      }
      if (this.closed) return
      if (tail !== head) {
        setImmediate(drain) // budget spent: let the event loop run, then continue
        return
      }
      Atomics.store(ctl, CONSUMER_SLEEPING, 1)
      const w = Atomics.waitAsync(ctl, HEAD, tail)
      if (w.async) w.value.then(drain)
      else {
        Atomics.store(ctl, CONSUMER_SLEEPING, 0)
        setImmediate(drain)
      }
    }
    drain()
  }

  private startPoll(cb: PacketHandler): void {
    const ctl = this.ctl
    const buf = new Uint8Array(this.mtu)
    const bufPtr = ptr(buf)
    const cap = this.mtu
    const fd = this.fd
    const read = this.readFn
    const c = this.counters
    const drain = (): void => {
      if (this.closed) return
      let budget = BATCH_BUDGET
      while (budget > 0) {
        const n = read(fd, bufPtr, cap)
        if (n < 0) {
          const e = errno()
          if (e === EAGAIN) break
          if (e !== EINTR) c.rxErrors++
          continue
        }
        c.rxPackets++
        c.rxBytes += n
        cb(buf, 0, n)
        budget--
      }
      if (this.closed) return
      if (budget === 0) {
        setImmediate(drain)
        return
      }
      const seq = Atomics.load(ctl, READY)
      Atomics.store(ctl, ARMED, 1)
      Atomics.notify(ctl, ARMED)
      const w = Atomics.waitAsync(ctl, READY, seq)
      if (w.async) w.value.then(drain)
      else setImmediate(drain)
    }
    drain()
  }

  /** Stops the reading Worker (if any) and, if this queue owns it, closes the descriptor. Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.worker !== null) {
      const ctl = this.ctl
      Atomics.store(ctl, STOP, 1)
      Atomics.store(ctl, ARMED, 1)
      Atomics.notify(ctl, ARMED)
      Atomics.notify(ctl, TAIL)
      const one = new BigUint64Array([1n])
      this.lib.write(this.wakeFd, one, 8)
      // Wait (bounded) until the Worker is out of poll/read before closing the fd under it.
      Atomics.wait(ctl, STOPPED, 0, 1000)
      this.counters.rxErrors += Atomics.load(ctl, RX_ERRORS)
      this.worker.terminate()
      this.worker = null
      this.lib.close(this.wakeFd)
    }
    if (this.ownsFd) this.lib.close(this.fd)
  }
}

/**
 * A queue over a descriptor that another thread opened with `openTun`, e.g.
 * `tun.queues[i].fd` handed to Worker `i` (descriptors are process-wide). Its
 * `close()` stops its reader but leaves the descriptor to the opener: close the
 * attached queues first, then the `Tun`.
 */
export function attachQueue(fd: number, mtu: number, io: IoMode = DEFAULT_IO): TunQueue {
  return new TunQueue(fd, mtu, io, false)
}

/**
 * Blocks the calling thread in `poll(2)` until one of `queues` is readable or
 * `timeoutMs` passes (-1: no limit). Returns the number of readable queues.
 * Only for a Worker that owns its thread (a dedicated data-plane loop): it
 * blocks that thread's event loop.
 */
export function waitReadable(queues: readonly TunQueue[], timeoutMs: number): number {
  const fds = pollSet(queues)
  for (let i = 0; i < queues.length; i++) fds[i * 2 + 1] = POLLIN
  const r = libc().poll(fds, queues.length, timeoutMs)
  return Math.max(r, 0)
}

const pollSets = new WeakMap<readonly TunQueue[], Int32Array>()
function pollSet(queues: readonly TunQueue[]): Int32Array {
  let p = pollSets.get(queues)
  if (p === undefined) {
    p = new Int32Array(queues.length * 2)
    for (let i = 0; i < queues.length; i++) p[i * 2] = queues[i].fd
    pollSets.set(queues, p)
  }
  return p
}
