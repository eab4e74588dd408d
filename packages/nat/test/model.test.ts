/**
 * Model test: the session table against a deliberately naive model (an array
 * scanned linearly) under random sequences of outbound packets, replies, RSTs,
 * FINs and clock ticks, for two clients whose proxy IPs collide on the same
 * real IPs (one of them an IPv6 proxy IP onto an IPv4-only name: NAT64 sessions
 * sharing the port space). Time moves only through Tick (a fake clock, as Firezone's
 * FluxCapacitor). Rules: MISSION.md / Firezone "Gateway, NAT".
 */
import { describe, expect, test } from 'bun:test'
import { ipv6ToText } from '@gatehouse/ip-packet'
import fc from 'fast-check'
import {
  EXPIRED_MEMORY_MS,
  GatewayNat,
  ICMP_TTL_MS,
  TCP_ESTABLISHED_TTL_MS,
  TCP_TRANSITORY_TTL_MS,
  UDP_TTL_MS,
  UNCONFIRMED_TTL_MS,
} from '../src/index.ts'
import { echo, flow, ICMP, TCP, UDP, v4 } from './helpers.ts'

const CLIENTS = [
  { id: 1, ipv4: '100.64.0.1', ipv6: 'fd00:2021:1111::1' },
  { id: 2, ipv4: '100.64.0.2', ipv6: 'fd00:2021:1111::2' },
]
/** Proxy 3 is IPv6 onto an IPv4-only name: its sessions are NAT64 ones ('translate'). */
const PROXIES = ['100.96.0.1', '100.96.0.2', '100.96.0.3', 'fd00:2021:1111:8000::1']
const REALS = ['192.0.2.1', '192.0.2.2']
/** Proxy i maps onto REALS[PROXY_REAL[i]]: proxies 0, 1 and 3 share a real IP, so their ports collide, across families too. */
const PROXY_REAL = [0, 0, 1, 0]
const isV6 = (proxy: number) => PROXIES[proxy].includes(':')
const PROTOS = [TCP, UDP, ICMP] as const
const PORTS = [1000, 1001, 65535]
const FIN = 0x01
const RST = 0x04

interface Entry {
  client: number
  cls: number
  inPort: number
  proxy: number
  real: number
  outPort: number
  live: boolean
  confirmed: boolean
  fin: boolean
  /** Live: idle deadline. Remembered: when it is forgotten. */
  deadline: number
}

class Model {
  now = 0
  entries: Entry[] = []

  lifetime(e: Entry): number {
    if (!e.confirmed) return UNCONFIRMED_TTL_MS
    if (e.cls === 0) return e.fin ? TCP_TRANSITORY_TTL_MS : TCP_ESTABLISHED_TTL_MS
    return e.cls === 1 ? UDP_TTL_MS : ICMP_TTL_MS
  }

  touch(e: Entry, inbound: boolean, flags: number): void {
    if (inbound) e.confirmed = true
    if (e.cls === 0 && flags & RST) {
      e.live = false
      e.deadline = this.now + EXPIRED_MEMORY_MS
      return
    }
    if (e.cls === 0 && flags & FIN) e.fin = true
    e.deadline = this.now + this.lifetime(e)
  }

  outbound(client: number, cls: number, port: number, proxy: number, flags: number): Entry {
    const real = PROXY_REAL[proxy]
    let e = this.entries.find(
      (x) => x.live && x.client === client && x.cls === cls && x.inPort === port && x.proxy === proxy,
    )
    if (e === undefined) {
      let p = port
      for (;;) {
        const holder = this.entries.find(
          (x) => x.client === client && x.cls === cls && x.real === real && x.outPort === p,
        )
        if (holder === undefined) break
        if (!holder.live) {
          this.entries.splice(this.entries.indexOf(holder), 1)
          break
        }
        p = p === 65535 ? 1 : p + 1
      }
      e = {
        client,
        cls,
        inPort: port,
        proxy,
        real,
        outPort: p,
        live: true,
        confirmed: false,
        fin: false,
        deadline: 0,
      }
      this.entries.push(e)
    }
    this.touch(e, false, flags)
    return e
  }

  tick(ms: number): void {
    this.now += ms
    for (const e of this.entries) {
      if (e.live && e.deadline <= this.now) {
        e.live = false
        e.deadline += EXPIRED_MEMORY_MS
      }
    }
    this.entries = this.entries.filter((e) => e.live || e.deadline > this.now)
  }
}

interface Real {
  nat: GatewayNat
}

const CLASS_OF = { [TCP]: 0, [UDP]: 1, [ICMP]: 2 } as Record<number, number>

class Outbound implements fc.Command<Model, Real> {
  constructor(
    readonly client: number,
    readonly proto: number,
    readonly port: number,
    readonly proxy: number,
    readonly flags: number,
  ) {}
  check(): boolean {
    return true
  }
  run(m: Model, r: Real): void {
    const c = CLIENTS[this.client]
    const six = isV6(this.proxy)
    const src = six ? c.ipv6 : c.ipv4
    const f =
      this.proto === ICMP
        ? echo(src, PROXIES[this.proxy], this.port)
        : flow(this.proto, src, PROXIES[this.proxy], this.port, 443, this.proto === TCP ? this.flags : 0)
    const v = r.nat.handleOutboundFlow(m.now, c.id, f, false)
    const e = m.outbound(
      c.id,
      CLASS_OF[this.proto],
      this.port,
      this.proxy,
      this.proto === TCP ? this.flags : 0,
    )
    expect(v).toBe(six ? 'translate' : 'forward')
    expect(r.nat.result.family).toBe(4)
    expect(r.nat.result.srcPort).toBe(e.outPort)
    expect(r.nat.result.dst4).toBe(v4(REALS[e.real]))
  }
  toString(): string {
    return `Outbound(c${this.client} ${this.proto}:${this.port} -> P${this.proxy} flags=${this.flags})`
  }
}

class Inbound implements fc.Command<Model, Real> {
  constructor(
    readonly client: number,
    readonly proto: number,
    readonly port: number,
    readonly real: number,
    readonly flags: number,
  ) {}
  check(): boolean {
    return true
  }
  run(m: Model, r: Real): void {
    const c = CLIENTS[this.client]
    const f =
      this.proto === ICMP
        ? echo(REALS[this.real], c.ipv4, this.port, true)
        : flow(this.proto, REALS[this.real], c.ipv4, 443, this.port, this.proto === TCP ? this.flags : 0)
    const v = r.nat.handleInboundFlow(m.now, f)
    const cls = CLASS_OF[this.proto]
    const e = m.entries.find(
      (x) => x.client === c.id && x.cls === cls && x.real === this.real && x.outPort === this.port,
    )
    if (e === undefined) {
      expect(v).toBe('nat-no-session')
    } else if (!e.live) {
      expect(v).toBe('nat-expired-session')
    } else {
      const six = isV6(e.proxy)
      expect(v).toBe(six ? 'translate' : 'forward')
      expect(r.nat.result.clientId).toBe(c.id)
      if (six) expect(ipv6ToText(r.nat.result.src6)).toBe(PROXIES[e.proxy])
      else expect(r.nat.result.src4).toBe(v4(PROXIES[e.proxy]))
      expect(r.nat.result.dstPort).toBe(e.inPort)
      m.touch(e, true, this.proto === TCP ? this.flags : 0)
    }
  }
  toString(): string {
    return `Inbound(R${this.real} -> c${this.client} ${this.proto}:${this.port} flags=${this.flags})`
  }
}

class Tick implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true
  }
  run(m: Model, r: Real): void {
    m.tick(this.ms)
    r.nat.handleTimeout(m.now)
    const s = r.nat.sessions
    const live = [0, 0, 0]
    let remembered = 0
    for (const e of m.entries) {
      if (e.live) live[e.cls]++
      else remembered++
    }
    expect([s.live.tcp, s.live.udp, s.live.icmp, s.remembered]).toEqual([...live, remembered])
    // The timer may fire early, never late; and never at or before `now` once handled (no busy loop).
    const t = r.nat.pollTimeout()
    if (m.entries.length === 0) expect(t).toBeNull()
    else {
      expect(t as number).toBeLessThanOrEqual(Math.min(...m.entries.map((e) => e.deadline)))
      expect(t as number).toBeGreaterThan(m.now)
    }
  }
  toString(): string {
    return `Tick(${this.ms})`
  }
}

const TICKS = [
  1,
  1_000,
  59_999,
  60_000,
  61_000,
  UDP_TTL_MS,
  TCP_TRANSITORY_TTL_MS,
  EXPIRED_MEMORY_MS,
  TCP_ESTABLISHED_TTL_MS,
]
const FLAGS = [0, 0, 0, FIN, RST]
/** Reply ports: the client ports and the ports a collision moves them to. */
const REPLY_PORTS = [...PORTS, 1002, 1003, 1, 2, 3]

const commands = [
  fc
    .tuple(
      fc.nat(1),
      fc.constantFrom(...PROTOS),
      fc.constantFrom(...PORTS),
      fc.nat(PROXIES.length - 1),
      fc.constantFrom(...FLAGS),
    )
    .map(([c, p, port, proxy, flags]) => new Outbound(c, p, port, proxy, flags)),
  fc
    .tuple(
      fc.nat(1),
      fc.constantFrom(...PROTOS),
      fc.constantFrom(...REPLY_PORTS),
      fc.nat(REALS.length - 1),
      fc.constantFrom(...FLAGS),
    )
    .map(([c, p, port, real, flags]) => new Inbound(c, p, port, real, flags)),
  fc.constantFrom(...TICKS).map((ms) => new Tick(ms)),
]

function setup(): { model: Model; real: Real } {
  // Start with a tiny table so that growth of slots and indexes is exercised too.
  const nat = new GatewayNat({ initialSessions: 1, seed: 0x1234 })
  nat.addResource({ kind: 'dns', id: 'web' })
  for (const c of CLIENTS) {
    nat.addClient(c.id, { ipv4: c.ipv4, ipv6: c.ipv6 })
    nat.allow(c.id, 'web')
    for (let i = 0; i < PROXIES.length; i++) {
      nat.setDomainMapping(c.id, 'web', `p${i}.example`, [PROXIES[i]], [REALS[PROXY_REAL[i]]])
    }
  }
  return { model: new Model(), real: { nat } }
}

describe('MISSION.md / Firezone: NAT session table against a naive model', () => {
  test('sessions, replies, confirmation, expiry, FIN, RST, port collisions and two clients agree with the model', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 120, size: 'large' }), (cmds) => {
        fc.modelRun(setup, cmds)
      }),
      { numRuns: Number(process.env.NAT_MODEL_RUNS ?? 150) },
    )
  })
})
