/**
 * Opening and configuring a TUN device (config time: may throw, never on the
 * packet path).
 *
 * The device is created with `open("/dev/net/tun")` + `ioctl(TUNSETIFF)` and is
 * not persistent: the kernel removes it, with its addresses and routes, when
 * the last queue is closed. MTU, addresses, link state and routes are set over
 * rtnetlink (netlink.ts); each step that succeeds pushes its undo, and a failing step
 * runs the undos in reverse, so nothing is left half-configured. `close()`
 * removes what it added (routes, then addresses) before closing the queues.
 */
import { ptr } from 'bun:ffi'
import { parseCidr } from '@gatehouse/ip-packet'
import {
  TunConfigError,
  TunError,
  TunNameTakenError,
  TunPermissionError,
  TunUnavailableError,
} from './errors.ts'
import { encodeIfreq, ifreqName } from './ifreq.ts'
import {
  CLONE_NEWNET,
  cstr,
  EACCES,
  EBUSY,
  EEXIST,
  ENODEV,
  ENOENT,
  ENXIO,
  EPERM,
  errno,
  errnoName,
  F_GETFL,
  F_SETFL,
  IFF_MULTI_QUEUE,
  IFF_NO_PI,
  IFF_TUN,
  IFF_TUN_EXCL,
  IFNAMSIZ,
  libc,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  strerror,
  TUNSETIFF,
} from './libc.ts'
import { Rtnl } from './netlink.ts'
import { DEFAULT_IO, type IoMode, type PacketHandler, type TunCounters, TunQueue } from './queue.ts'

/** Options for {@link openTun}. */
export interface TunOptions {
  /** Interface name (at most 15 bytes); omitted: the kernel picks `tunN`. */
  name?: string
  /** Link MTU, 68..65535 (IPv6 addresses need at least 1280). */
  mtu: number
  /** Addresses with prefix length, IPv4 or IPv6: `10.0.0.1/32`, `fd00::1/128`. */
  addresses: readonly string[]
  /** Destination prefixes routed into the device: `100.96.0.0/11`, `fd00:2021:1111:8000::/107`. */
  routes: readonly string[]
  /** Number of queues (IFF_MULTI_QUEUE when > 1), e.g. one per Worker. Default 1. */
  multiQueue?: number
  /** Create the device inside this named network namespace (`ip netns add NAME`). */
  netns?: string
  /** How `onPackets` reads; see README.md "Packet I/O". */
  io?: IoMode
}

const open = new Set<Tun>()

/** Every device opened by this thread and not yet closed (for the signal helper). */
export function openDevices(): readonly Tun[] {
  return [...open]
}

/**
 * An open, configured TUN device. `onPackets`/`write` use queue 0; with
 * `multiQueue` the other queues are in `queues` (hand their `fd` to Workers
 * with `attachQueue`).
 */
export class Tun {
  private closed = false
  constructor(
    readonly name: string,
    readonly mtu: number,
    readonly queues: readonly TunQueue[],
    private readonly nl: Rtnl,
    private readonly undo: (() => void)[],
  ) {
    open.add(this)
  }

  /** Queue 0's counters. */
  get counters(): TunCounters {
    return this.queues[0].counters
  }

  /** Delivers packets from every queue to `cb` on this thread (see `TunQueue.onPackets`). */
  onPackets(cb: PacketHandler): void {
    for (const q of this.queues) q.onPackets(cb)
  }

  /** Writes one packet to queue 0; false (and counted) when the device queue is full or refused it. */
  write(buf: Uint8Array, off: number, len: number): boolean {
    return this.queues[0].write(buf, off, len)
  }

  /** Removes the routes and addresses it added, then closes every queue: the kernel deletes the device. Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    open.delete(this)
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]()
    this.nl.close()
    for (const q of this.queues) q.close()
  }
}

/**
 * Creates, configures and brings up a TUN device (`IFF_TUN | IFF_NO_PI`).
 * Throws {@link TunPermissionError}, {@link TunUnavailableError},
 * {@link TunNameTakenError}, {@link UnsupportedPlatformError} or
 * {@link TunConfigError} (naming the field); on any error nothing is left behind.
 */
export function openTun(opts: TunOptions): Tun {
  const queues = opts.multiQueue ?? 1
  validate(opts, queues) // before libc(): bad options are reported the same on every platform
  const L = libc()
  const fds: number[] = []
  const undo: (() => void)[] = []
  let nl: Rtnl | null = null
  let name = opts.name ?? ''
  try {
    let index = 0
    withNetns(opts.netns, () => {
      for (let i = 0; i < queues; i++) {
        const r = openQueue(name, queues > 1, i === 0 && name !== '')
        fds.push(r.fd)
        name = r.name
      }
      index = L.if_nametoindex(cstr(name))
      if (index === 0) throw new TunError(`if_nametoindex ${name}: ${strerror(errno())}`)
      // The socket belongs to the namespace it is opened in: open it here, use it from anywhere.
      const r = Rtnl.open()
      if (typeof r === 'number') throw new TunError(`rtnetlink socket: ${strerror(-r)}`)
      nl = r
    })
    const rt = nl as unknown as Rtnl
    check(rt.setMtu(index, opts.mtu), 'mtu', `set mtu ${opts.mtu}`)
    for (const a of opts.addresses) {
      // IPv6 gets IFA_F_NODAD: the address is ours alone on a point-to-point device; DAD would hold it ~1 s.
      const c = parseCidr(a)!
      check(rt.addr(true, index, c), `addresses (${a})`, `add address ${a}`)
      undo.push(() => rt.addr(false, index, c))
    }
    check(rt.setUp(index), 'up', 'set link up')
    for (const r of opts.routes) {
      const c = parseCidr(r)!
      check(rt.route(true, index, c), `routes (${r})`, `add route ${r}`)
      undo.push(() => rt.route(false, index, c))
    }
  } catch (e) {
    for (let i = undo.length - 1; i >= 0; i--) undo[i]()
    ;(nl as Rtnl | null)?.close()
    for (const fd of fds) L.close(fd)
    throw e
  }
  const io = opts.io ?? DEFAULT_IO
  return new Tun(
    name,
    opts.mtu,
    fds.map((fd) => new TunQueue(fd, opts.mtu, io)),
    nl as unknown as Rtnl,
    undo,
  )
}

/** Turns an rtnetlink answer (0 or -errno) into the package's errors. */
function check(rc: number, field: string, what: string): void {
  if (rc === 0) return
  const e = -rc
  if (e === EPERM || e === EACCES) throw new TunPermissionError(`${what}: ${errnoName(e)}`)
  throw new TunConfigError(field, `${what}: ${strerror(e)}`)
}

function validate(opts: TunOptions, queues: number): void {
  if (opts.name !== undefined) {
    const bytes = new TextEncoder().encode(opts.name)
    if (bytes.length === 0 || bytes.length >= IFNAMSIZ || /[\s/:]/.test(opts.name) || bytes.includes(0))
      throw new TunConfigError(
        'name',
        `"${opts.name}" is not a valid interface name (1..15 bytes, no space, / or :)`,
      )
  }
  if (!Number.isInteger(opts.mtu) || opts.mtu < 68 || opts.mtu > 65535)
    throw new TunConfigError('mtu', `${opts.mtu} is not an integer in 68..65535`)
  if (!Number.isInteger(queues) || queues < 1 || queues > 256)
    throw new TunConfigError('multiQueue', `${queues} is not an integer in 1..256`)
  for (const a of [...opts.addresses, ...opts.routes]) {
    if (!a.includes('/') || parseCidr(a) === null)
      throw new TunConfigError(
        opts.addresses.includes(a) ? 'addresses' : 'routes',
        `"${a}" is not address/prefix`,
      )
    if (a.includes(':') && opts.mtu < 1280)
      throw new TunConfigError(
        'mtu',
        `${opts.mtu} is below IPv6's minimum 1280 (RFC 8200 §5) and ${a} is IPv6`,
      )
  }
  if (opts.netns !== undefined && !/^[\w.-]+$/.test(opts.netns))
    throw new TunConfigError('netns', `"${opts.netns}" is not a namespace name`)
}

function openQueue(name: string, multi: boolean, exclusive: boolean): { fd: number; name: string } {
  const L = libc()
  const fd = L.open(cstr('/dev/net/tun'), O_RDWR | O_CLOEXEC)
  if (fd < 0) {
    const e = errno()
    if (e === ENOENT || e === ENODEV || e === ENXIO) throw new TunUnavailableError(errnoName(e))
    if (e === EACCES || e === EPERM) throw new TunPermissionError(`open /dev/net/tun: ${errnoName(e)}`)
    throw new TunError(`open /dev/net/tun: ${errnoName(e)}`)
  }
  const flags = IFF_TUN | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0) | (exclusive ? IFF_TUN_EXCL : 0)
  const ifr = encodeIfreq(name, flags)
  if (L.ioctl(fd, TUNSETIFF, ptr(ifr)) < 0) {
    const e = errno()
    L.close(fd)
    if (e === EPERM || e === EACCES)
      throw new TunPermissionError(`TUNSETIFF ${name || '(any)'}: ${errnoName(e)}`)
    if (e === EBUSY || e === EEXIST) throw new TunNameTakenError(name)
    throw new TunError(`TUNSETIFF ${name || '(any)'}: ${errnoName(e)}`)
  }
  const fl = L.fcntl(fd, F_GETFL, 0)
  L.fcntl(fd, F_SETFL, fl | O_NONBLOCK)
  return { fd, name: ifreqName(ifr) } // the kernel writes the name back (tun%d filled in)
}

/** Runs `f` with this thread in the named network namespace (devices are created in the opener's namespace). */
function withNetns(netns: string | undefined, f: () => void): void {
  if (netns === undefined) {
    f()
    return
  }
  const L = libc()
  const self = L.open(cstr('/proc/thread-self/ns/net'), O_CLOEXEC)
  if (self < 0) throw new TunError(`open /proc/thread-self/ns/net: ${errnoName(errno())}`)
  const target = L.open(cstr(`/run/netns/${netns}`), O_CLOEXEC)
  if (target < 0) {
    L.close(self)
    throw new TunConfigError('netns', `no namespace "${netns}" (${errnoName(errno())})`)
  }
  try {
    if (L.setns(target, CLONE_NEWNET) < 0) {
      const e = errno()
      if (e === EPERM) throw new TunPermissionError(`setns ${netns}: ${errnoName(e)}`)
      throw new TunConfigError('netns', `setns ${netns}: ${errnoName(e)}`)
    }
    try {
      f()
    } finally {
      L.setns(self, CLONE_NEWNET)
    }
  } finally {
    L.close(target)
    L.close(self)
  }
}
