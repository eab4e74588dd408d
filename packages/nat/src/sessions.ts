/**
 * The stateful, symmetric NAT session table (MISSION.md / Firezone):
 *
 *   inside  (client, class, source port or echo id, proxy IP)
 *   outside (client, class, port',                  real IP)
 *
 * Sessions live in slots: parallel typed arrays indexed by slot number (no
 * objects per session). Two `TupleIndex`es map the inside and the outside
 * tuple to the slot. The client id is part of both keys, so one client can
 * never find another's session (per-client isolation), and port' only has to
 * be unique per (client, class, real IP): the host's masquerade keeps clients
 * apart on the wire.
 *
 * A session ends by expiry (idle past its lifetime) or by a TCP RST. Its slot
 * then becomes a *remembered tuple* for `EXPIRED_MEMORY_MS`: it stays in the
 * outside index only, so a late reply is told apart ('nat-expired-session')
 * from one that never had a session, while the inside tuple and the port are
 * free for a new session at once.
 *
 * Expiry uses an indexed binary min-heap of slots keyed by deadline. A packet
 * that extends a session only writes `deadline[slot]` (O(1)); the heap key is
 * raised lazily when the slot reaches the top. A deadline that moves earlier
 * (FIN, RST) sifts the slot up at once. So the heap top is never later than
 * the earliest real deadline, and `pollTimeout` may wake the shell a little
 * early, which `handleTimeout` treats as a no-op for that slot.
 */
import {
  CLASS_TCP,
  CLASS_UDP,
  EXPIRED_MEMORY_MS,
  ICMP_TTL_MS,
  TCP_ESTABLISHED_TTL_MS,
  TCP_FIN,
  TCP_RST,
  TCP_TRANSITORY_TTL_MS,
  UDP_TTL_MS,
  UNCONFIRMED_TTL_MS,
} from './constants.ts'
import { TupleIndex } from './tuple-index.ts'

/** Slot state bits. */
const LIVE = 1
const CONFIRMED = 2
const FIN_OUT = 4
const FIN_IN = 8
const REMEMBERED = 16

/** `create` failure codes (negative, so a slot number is always ≥ 0). */
export const CREATE_PORTS_EXHAUSTED = -1
export const CREATE_TABLE_FULL = -2
export const CREATE_CLIENT_LIMIT = -3

function key(family: number, cls: number, port: number): number {
  return (family << 24) | (cls << 16) | port
}

/** Counters kept by the table; plain numbers, read at any time. */
export interface SessionCounters {
  /** Live sessions by class (tcp, udp, icmp). */
  readonly live: [number, number, number]
  /** Sessions created, by class. */
  readonly created: [number, number, number]
  /** Sessions that ended by idle expiry, by class. */
  readonly expired: [number, number, number]
  /** Sessions removed by a TCP RST. */
  rst: number
  /** Remembered tuples of ended sessions currently held. */
  remembered: number
}

export class SessionTable {
  private cap = 0
  // Slot fields.
  private client = new Uint32Array(0)
  private cls = new Uint8Array(0)
  private state = new Uint8Array(0)
  private proxyFam = new Uint8Array(0)
  private realFam = new Uint8Array(0)
  private inPort = new Uint16Array(0)
  private outPort = new Uint16Array(0)
  private proxy = new Int32Array(0)
  private real = new Int32Array(0)
  private res = new Int32Array(0)
  private deadline = new Float64Array(0)
  // Expiry heap.
  private heap = new Int32Array(0)
  private heapKey = new Float64Array(0)
  private heapPos = new Int32Array(0)
  private heapSize = 0
  // Free slots (a stack).
  private free = new Int32Array(0)
  private freeTop = 0

  private readonly inside: TupleIndex
  private readonly outside: TupleIndex
  private readonly maxSlots: number
  private readonly maxPerClient: number
  private readonly memoryMs: number
  /** Live sessions per client (for the per-client limit). */
  private readonly liveByClient = new Map<number, number>()

  readonly counters: SessionCounters = {
    live: [0, 0, 0],
    created: [0, 0, 0],
    expired: [0, 0, 0],
    rst: 0,
    remembered: 0,
  }

  /**
   * @param initialCapacity slots allocated up front (grows by doubling).
   * @param maxSlots live sessions plus remembered tuples never exceed this.
   * @param seed hash seed for the indexes.
   * @param memoryMs how long an ended session's tuple is remembered.
   * @param maxPerClient live sessions one client may hold.
   */
  constructor(
    initialCapacity: number,
    maxSlots: number,
    seed: number,
    memoryMs = EXPIRED_MEMORY_MS,
    maxPerClient = maxSlots,
  ) {
    this.maxSlots = maxSlots
    this.maxPerClient = maxPerClient
    this.memoryMs = memoryMs
    this.inside = new TupleIndex(initialCapacity * 2, seed)
    this.outside = new TupleIndex(initialCapacity * 2, seed ^ 0x5bd1e995)
    this.grow(Math.max(1, Math.min(Math.max(16, initialCapacity), maxSlots)))
  }

  /** Slots in use: live sessions plus remembered tuples. */
  get size(): number {
    return this.heapSize
  }

  /** Bytes held by the typed arrays of the table and its two indexes. */
  get byteLength(): number {
    return (
      this.client.byteLength +
      this.cls.byteLength +
      this.state.byteLength +
      this.proxyFam.byteLength +
      this.realFam.byteLength +
      this.inPort.byteLength +
      this.outPort.byteLength +
      this.proxy.byteLength +
      this.real.byteLength +
      this.res.byteLength +
      this.deadline.byteLength +
      this.heap.byteLength +
      this.heapKey.byteLength +
      this.heapPos.byteLength +
      this.free.byteLength +
      this.inside.byteLength +
      this.outside.byteLength
    )
  }

  private grow(newCap: number): void {
    const old = this.cap
    const copy = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(
      a: T,
      n: number,
    ): T => {
      const b = new (a.constructor as new (n: number) => T)(n)
      b.set(a)
      return b
    }
    this.client = copy(this.client, newCap)
    this.cls = copy(this.cls, newCap)
    this.state = copy(this.state, newCap)
    this.proxyFam = copy(this.proxyFam, newCap)
    this.realFam = copy(this.realFam, newCap)
    this.inPort = copy(this.inPort, newCap)
    this.outPort = copy(this.outPort, newCap)
    this.proxy = copy(this.proxy, newCap * 4)
    this.real = copy(this.real, newCap * 4)
    this.res = copy(this.res, newCap)
    this.deadline = copy(this.deadline, newCap)
    this.heap = copy(this.heap, newCap)
    this.heapKey = copy(this.heapKey, newCap)
    this.heapPos = copy(this.heapPos, newCap)
    this.free = copy(this.free, newCap)
    // New slots go on the free stack, lowest number on top.
    for (let s = newCap - 1; s >= old; s--) this.free[this.freeTop++] = s
    this.cap = newCap
  }

  // ---- lookups ---------------------------------------------------------------------------

  /** The live session with this inside tuple, or -1. */
  findInside(client: number, cls: number, port: number, family: number, a: Int32Array, aOff: number): number {
    return this.inside.get(a[aOff], a[aOff + 1], a[aOff + 2], a[aOff + 3], client, key(family, cls, port))
  }

  /** The live session or remembered tuple with this outside tuple, or -1. See `isLive`. */
  findOutside(
    client: number,
    cls: number,
    port: number,
    family: number,
    a: Int32Array,
    aOff: number,
  ): number {
    return this.outside.get(a[aOff], a[aOff + 1], a[aOff + 2], a[aOff + 3], client, key(family, cls, port))
  }

  /** True for a live session, false for a remembered tuple. */
  isLive(slot: number): boolean {
    return (this.state[slot] & LIVE) !== 0
  }
  /** True once a packet from the resource side was seen. */
  isConfirmed(slot: number): boolean {
    return (this.state[slot] & CONFIRMED) !== 0
  }
  clientOf(slot: number): number {
    return this.client[slot]
  }
  classOf(slot: number): number {
    return this.cls[slot]
  }
  /** The client's original source port / echo id. */
  insidePort(slot: number): number {
    return this.inPort[slot]
  }
  /** The port / echo id towards the real IP. */
  outsidePort(slot: number): number {
    return this.outPort[slot]
  }
  proxyFamily(slot: number): 4 | 6 {
    return this.proxyFam[slot] as 4 | 6
  }
  realFamily(slot: number): 4 | 6 {
    return this.realFam[slot] as 4 | 6
  }
  /** The words array holding proxy addresses; the slot's address is at `slot * 4`. */
  get proxyWords(): Int32Array {
    return this.proxy
  }
  /** The words array holding real addresses; the slot's address is at `slot * 4`. */
  get realWords(): Int32Array {
    return this.real
  }
  resourceOf(slot: number): number {
    return this.res[slot]
  }
  deadlineOf(slot: number): number {
    return this.deadline[slot]
  }
  /** True when the slot's real address equals the words at `a[aOff..]` of `family`. */
  realEquals(slot: number, family: number, a: Int32Array, aOff: number): boolean {
    const r = this.real
    const o = slot * 4
    return (
      this.realFam[slot] === family &&
      r[o] === a[aOff] &&
      r[o + 1] === a[aOff + 1] &&
      r[o + 2] === a[aOff + 2] &&
      r[o + 3] === a[aOff + 3]
    )
  }

  // ---- changes ---------------------------------------------------------------------------

  /**
   * Create a live, unconfirmed session. port' is `inPort` when free for (client, class,
   * real IP), else the next free one upwards, wrapping to 1 after 65535 (MISSION.md /
   * Firezone: "the original port when free, else the next free one"). A remembered tuple
   * holding a port does not block it. Returns the slot, or a negative CREATE_* code.
   */
  create(
    now: number,
    client: number,
    cls: number,
    inPort: number,
    proxyFamily: number,
    proxy: Int32Array,
    proxyOff: number,
    realFamily: number,
    real: Int32Array,
    realOff: number,
    resource: number,
  ): number {
    const held = this.liveByClient.get(client) ?? 0
    if (held >= this.maxPerClient) return CREATE_CLIENT_LIMIT
    const r0 = real[realOff]
    const r1 = real[realOff + 1]
    const r2 = real[realOff + 2]
    const r3 = real[realOff + 3]
    let port = inPort
    let found = -1
    for (let tries = 0; tries < 65536; tries++) {
      const s = this.outside.get(r0, r1, r2, r3, client, key(realFamily, cls, port))
      if (s < 0) {
        found = port
        break
      }
      if ((this.state[s] & LIVE) === 0) {
        this.release(s)
        found = port
        break
      }
      port = port === 0xffff ? 1 : port + 1
    }
    if (found < 0) return CREATE_PORTS_EXHAUSTED
    if (this.freeTop === 0) {
      if (this.cap >= this.maxSlots) return CREATE_TABLE_FULL
      this.grow(Math.min(this.cap * 2, this.maxSlots))
    }
    const slot = this.free[--this.freeTop]
    this.client[slot] = client
    this.cls[slot] = cls
    this.state[slot] = LIVE
    this.proxyFam[slot] = proxyFamily
    this.realFam[slot] = realFamily
    this.inPort[slot] = inPort
    this.outPort[slot] = found
    const o = slot * 4
    this.proxy[o] = proxy[proxyOff]
    this.proxy[o + 1] = proxy[proxyOff + 1]
    this.proxy[o + 2] = proxy[proxyOff + 2]
    this.proxy[o + 3] = proxy[proxyOff + 3]
    this.real[o] = r0
    this.real[o + 1] = r1
    this.real[o + 2] = r2
    this.real[o + 3] = r3
    this.res[slot] = resource
    const d = now + UNCONFIRMED_TTL_MS
    this.deadline[slot] = d
    this.heapKey[slot] = d
    this.heapPush(slot)
    this.inside.set(
      proxy[proxyOff],
      proxy[proxyOff + 1],
      proxy[proxyOff + 2],
      proxy[proxyOff + 3],
      client,
      key(proxyFamily, cls, inPort),
      slot,
    )
    this.outside.set(r0, r1, r2, r3, client, key(realFamily, cls, found), slot)
    this.counters.live[cls]++
    this.counters.created[cls]++
    this.liveByClient.set(client, held + 1)
    return slot
  }

  /** The idle lifetime the slot's state calls for. */
  private lifetime(slot: number): number {
    const st = this.state[slot]
    if ((st & CONFIRMED) === 0) return UNCONFIRMED_TTL_MS
    const c = this.cls[slot]
    if (c === CLASS_TCP)
      return (st & (FIN_OUT | FIN_IN)) !== 0 ? TCP_TRANSITORY_TTL_MS : TCP_ESTABLISHED_TTL_MS
    if (c === CLASS_UDP) return UDP_TTL_MS
    return ICMP_TTL_MS
  }

  /**
   * A packet of a live session passed. `inbound` marks the resource side (which confirms
   * the session). TCP FIN moves it to the transitory lifetime; a TCP RST ends it (the tuple
   * is remembered). Returns true when the session is still live afterwards.
   */
  touch(now: number, slot: number, inbound: boolean, tcpFlags: number): boolean {
    let st = this.state[slot]
    if (inbound) st |= CONFIRMED
    if (this.cls[slot] === CLASS_TCP) {
      if ((tcpFlags & TCP_RST) !== 0) {
        this.state[slot] = st
        this.counters.rst++
        this.end(now, slot)
        return false
      }
      if ((tcpFlags & TCP_FIN) !== 0) st |= inbound ? FIN_IN : FIN_OUT
    }
    this.state[slot] = st
    this.setDeadline(slot, now + this.lifetime(slot))
    return true
  }

  /** End a live session now and remember its tuple (used for RST and for re-resolution). */
  end(now: number, slot: number): void {
    const st = this.state[slot]
    if ((st & LIVE) === 0) return
    this.unlinkLive(slot)
    this.state[slot] = (st & ~LIVE) | REMEMBERED
    this.counters.remembered++
    const d = now + this.memoryMs
    this.deadline[slot] = d
    this.heapKey[slot] = d
    const p = this.heapPos[slot]
    this.siftUp(p)
    this.siftDown(this.heapPos[slot])
  }

  /** Free a slot entirely: out of both indexes and the heap. */
  private release(slot: number): void {
    const st = this.state[slot]
    const o = slot * 4
    if ((st & LIVE) !== 0) this.unlinkLive(slot)
    else this.counters.remembered--
    this.outside.delete(
      this.real[o],
      this.real[o + 1],
      this.real[o + 2],
      this.real[o + 3],
      this.client[slot],
      key(this.realFam[slot], this.cls[slot], this.outPort[slot]),
    )
    this.state[slot] = 0
    this.heapRemove(slot)
    this.free[this.freeTop++] = slot
  }

  /** A live slot stops being live: out of the inside index and the live counts (its state bits are the caller's). */
  private unlinkLive(slot: number): void {
    const o = slot * 4
    this.inside.delete(
      this.proxy[o],
      this.proxy[o + 1],
      this.proxy[o + 2],
      this.proxy[o + 3],
      this.client[slot],
      key(this.proxyFam[slot], this.cls[slot], this.inPort[slot]),
    )
    this.counters.live[this.cls[slot]]--
    const c = this.client[slot]
    this.liveByClient.set(c, (this.liveByClient.get(c) ?? 1) - 1)
  }

  /** Live sessions held by a client. */
  liveOf(client: number): number {
    return this.liveByClient.get(client) ?? 0
  }

  /** Remove every session and remembered tuple of a client (it left). Control path: O(slots). */
  removeClient(client: number): void {
    for (let s = 0; s < this.cap; s++) {
      if (this.state[s] !== 0 && this.client[s] === client) this.release(s)
    }
    this.liveByClient.delete(client)
  }

  // ---- time ------------------------------------------------------------------------------

  /** The earliest deadline (possibly a little early, never late), or null when empty. */
  pollTimeout(): number | null {
    return this.heapSize === 0 ? null : this.heapKey[this.heap[0]]
  }

  /** Expire live sessions and forget remembered tuples whose deadline is ≤ now. */
  handleTimeout(now: number): void {
    while (this.heapSize > 0) {
      const slot = this.heap[0]
      if (this.heapKey[slot] > now) return
      const d = this.deadline[slot]
      if (d > now) {
        // Extended since it was keyed: re-key lazily.
        this.heapKey[slot] = d
        this.siftDown(0)
        continue
      }
      if ((this.state[slot] & LIVE) !== 0) {
        this.counters.expired[this.cls[slot]]++
        this.end(d, slot)
      } else {
        this.release(slot)
      }
    }
  }

  private setDeadline(slot: number, d: number): void {
    this.deadline[slot] = d
    if (d < this.heapKey[slot]) {
      this.heapKey[slot] = d
      this.siftUp(this.heapPos[slot])
    }
  }

  // ---- heap ------------------------------------------------------------------------------

  private heapPush(slot: number): void {
    const p = this.heapSize++
    this.heap[p] = slot
    this.heapPos[slot] = p
    this.siftUp(p)
  }

  private heapRemove(slot: number): void {
    const p = this.heapPos[slot]
    const last = this.heap[--this.heapSize]
    if (p === this.heapSize) return
    this.heap[p] = last
    this.heapPos[last] = p
    this.siftUp(p)
    this.siftDown(this.heapPos[last])
  }

  private siftUp(p: number): void {
    const heap = this.heap
    const keys = this.heapKey
    const pos = this.heapPos
    const slot = heap[p]
    const k = keys[slot]
    while (p > 0) {
      const parent = (p - 1) >> 1
      const ps = heap[parent]
      if (keys[ps] <= k) break
      heap[p] = ps
      pos[ps] = p
      p = parent
    }
    heap[p] = slot
    pos[slot] = p
  }

  private siftDown(p: number): void {
    const heap = this.heap
    const keys = this.heapKey
    const pos = this.heapPos
    const n = this.heapSize
    const slot = heap[p]
    const k = keys[slot]
    for (;;) {
      let c = 2 * p + 1
      if (c >= n) break
      if (c + 1 < n && keys[heap[c + 1]] < keys[heap[c]]) c++
      const cs = heap[c]
      if (keys[cs] >= k) break
      heap[p] = cs
      pos[cs] = p
      p = c
    }
    heap[p] = slot
    pos[slot] = p
  }
}
