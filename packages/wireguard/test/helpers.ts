/**
 * Test harness: two in-memory devices, a fake clock (Firezone's FluxCapacitor), a seeded RNG, and
 * `drivePair` after quinn's `Pair.drive`: deliver every queued datagram to the other side, jump the
 * clock to the earlier `pollTimeout` when nothing is in flight, stop when idle or at a horizon.
 */
import { Device, type Endpoint, generatePrivateKey, type Peer, publicKey } from '../src/index.ts'

/** A deterministic byte source (xorshift32) for keys, indices and jitter. */
export function seededRandom(seed: number): (b: Uint8Array) => void {
  let s = seed >>> 0 || 0x9e3779b9
  return (b) => {
    for (let i = 0; i < b.length; i++) {
      s ^= s << 13
      s >>>= 0
      s ^= s >>> 17
      s ^= s << 5
      s >>>= 0
      b[i] = s & 0xff
    }
  }
}

/** Monotonic time and wall clock, advanced only by the test. */
export class FakeClock {
  now = 1_000
  unixEpochOffset = 1_764_000_000_000
  unixMs = (): number => this.unixEpochOffset + this.now
}

export const A_ADDR: Endpoint = { address: '192.0.2.1', port: 51820 }
export const B_ADDR: Endpoint = { address: '192.0.2.2', port: 51821 }

export interface Side {
  dev: Device
  /** The other side, as a peer of this one. */
  peer: Peer
  addr: Endpoint
  /** Decrypted packets delivered to this side (copies). */
  received: Uint8Array[]
}

export interface PairOptions {
  seed?: number
  psk?: Uint8Array | null
  /** Give A an endpoint for B (so A can initiate); default true. B knows A's endpoint only if set. */
  aKnowsB?: boolean
  bKnowsA?: boolean
  /** Handshake messages per second before B (only B) demands cookies. */
  underLoadThreshold?: number
  persistentKeepaliveS?: number
}

export interface Pair {
  a: Side
  b: Side
  clock: FakeClock
  /** Datagrams lost on purpose: return true to drop one. */
  lose: ((from: Side, bytes: Uint8Array) => boolean) | null
}

export function makePair(o: PairOptions = {}): Pair {
  const clock = new FakeClock()
  const ra = seededRandom(o.seed ?? 1)
  const rb = seededRandom((o.seed ?? 1) * 7919 + 13)
  const ka = generatePrivateKey(ra)
  const kb = generatePrivateKey(rb)
  const da = new Device({
    privateKey: ka,
    random: ra,
    unixMs: clock.unixMs,
  })
  const db = new Device({
    privateKey: kb,
    random: rb,
    unixMs: clock.unixMs,
    underLoadThreshold: o.underLoadThreshold,
  })
  const pb = da.addPeer({
    publicKey: publicKey(kb),
    presharedKey: o.psk ?? null,
    endpoint: o.aKnowsB === false ? null : B_ADDR,
    allowedIps: ['10.0.0.2/32', 'fd00::2/128'],
    persistentKeepaliveS: o.persistentKeepaliveS,
  })
  const pa = db.addPeer({
    publicKey: publicKey(ka),
    presharedKey: o.psk ?? null,
    endpoint: o.bKnowsA ? A_ADDR : null,
    allowedIps: ['10.0.0.1/32', 'fd00::1/128'],
  })
  return {
    a: { dev: da, peer: pb, addr: A_ADDR, received: [] },
    b: { dev: db, peer: pa, addr: B_ADDR, received: [] },
    clock,
    lose: null,
  }
}

/** Moves every queued datagram of `from` to `to`. Returns how many were moved. */
export function deliver(p: Pair, from: Side, to: Side): number {
  let n = 0
  for (let t = from.dev.pollTransmit(); t !== null; t = from.dev.pollTransmit()) {
    n++
    const bytes = t.data.slice(0, t.length)
    if (p.lose?.(from, bytes)) continue
    if (t.to.address !== to.addr.address || t.to.port !== to.addr.port) continue
    const v = to.dev.handleDatagram(p.clock.now, from.addr, bytes)
    if (v === 'forward') {
      const rx = to.dev.rx
      to.received.push(bytes.slice(rx.off, rx.off + rx.len))
    }
  }
  return n
}

/**
 * Delivers datagrams both ways until none is in flight, then jumps time to the earlier timer as
 * long as it lies within `horizonMs` of the start. At most `maxSteps` rounds.
 */
export function drivePair(p: Pair, horizonMs = 0, latencyMs = 0, maxSteps = 1000): number {
  const until = p.clock.now + horizonMs
  let steps = 0
  for (; steps < maxSteps; steps++) {
    const moved = deliver(p, p.a, p.b) + deliver(p, p.b, p.a)
    if (moved > 0) {
      p.clock.now += latencyMs
      continue
    }
    const ta = p.a.dev.pollTimeout() ?? Number.POSITIVE_INFINITY
    const tb = p.b.dev.pollTimeout() ?? Number.POSITIVE_INFINITY
    const next = Math.min(ta, tb)
    if (next > until) {
      p.clock.now = Math.max(p.clock.now, until)
      break
    }
    p.clock.now = Math.max(p.clock.now, next)
    p.a.dev.handleTimeout(p.clock.now)
    p.b.dev.handleTimeout(p.clock.now)
  }
  return steps
}

/** An IPv4 ICMP echo request from `src` to `dst` (dotted quads), with valid checksums. */
export function icmpEcho(src: string, dst: string, seq: number, payloadLen = 32, type = 8): Uint8Array {
  const total = 20 + 8 + payloadLen
  const b = new Uint8Array(total)
  b[0] = 0x45
  b[2] = total >> 8
  b[3] = total & 0xff
  b[8] = 64
  b[9] = 1
  b.set(src.split('.').map(Number), 12)
  b.set(dst.split('.').map(Number), 16)
  writeChecksum(b, 0, 20, 10)
  b[20] = type
  b[24] = 0x12
  b[25] = 0x34
  b[26] = seq >> 8
  b[27] = seq & 0xff
  for (let i = 0; i < payloadLen; i++) b[28 + i] = (i * 7 + seq) & 0xff
  writeChecksum(b, 20, total - 20, 22)
  return b
}

function writeChecksum(b: Uint8Array, off: number, len: number, at: number): void {
  b[at] = 0
  b[at + 1] = 0
  let s = 0
  for (let i = 0; i + 1 < len; i += 2) s += (b[off + i] << 8) | b[off + i + 1]
  if (len & 1) s += b[off + len - 1] << 8
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16)
  const c = ~s & 0xffff
  b[at] = c >> 8
  b[at + 1] = c & 0xff
}

/** Handshake-complete events drained from a device. */
export function drainEvents(d: Device): string[] {
  const out: string[] = []
  for (let e = d.pollEvent(); e !== null; e = d.pollEvent()) out.push(e.type)
  return out
}
