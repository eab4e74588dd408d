import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { ipv4InPrefix, ipv4ToText, ipv6InPrefix, ipv6ToText, parseCidr } from '@gatehouse/ip-packet'
import fc from 'fast-check'
import { type Assignment, ProxyIpAllocator } from '../src/proxy-ips.ts'

// bun's default is 5 s per test (the root bunfig's [test] timeout is not read); a shared CI core needs more.
setDefaultTimeout(60_000)

const V4 = parseCidr('100.96.0.0/11')!
const V6 = parseCidr('fd00:2021:1111:8000::/107')!
const SENTINEL_V4 = parseCidr('100.100.111.0/24')!

function texts(a: Assignment): { v4: string[]; v6: string[] } {
  return {
    v4: a.v4 === null ? [] : Array.from(a.v4, ipv4ToText),
    v6: a.v6 === null ? [] : [0, 1, 2, 3].map((j) => ipv6ToText(a.v6!, 16 * j)),
  }
}

describe('Firezone: proxy IPs for DNS resources', () => {
  test('the first name gets 100.96.0.1-4 and fd00:2021:1111:8000::-::3 (emits_new_records_on_assign)', () => {
    const p = new ProxyIpAllocator()
    const r = p.assign('example.com', 'r1', true, true)
    if (r === 'exhausted') throw new Error('exhausted')
    expect(r.changed).toBe(true)
    expect(texts(r.assignment)).toEqual({
      v4: ['100.96.0.1', '100.96.0.2', '100.96.0.3', '100.96.0.4'],
      v6: [
        'fd00:2021:1111:8000::',
        'fd00:2021:1111:8000::1',
        'fd00:2021:1111:8000::2',
        'fd00:2021:1111:8000::3',
      ],
    })
    expect(Array.from(r.assignment.v4Bytes!.subarray(0, 4))).toEqual([100, 96, 0, 1])
  })

  test('stable: asking again changes nothing (repeated_queries_dont_emit_events)', () => {
    const p = new ProxyIpAllocator()
    const a = p.assign('example.com', 'r1', true, true)
    const b = p.assign('example.com', 'r1', true, true)
    if (a === 'exhausted' || b === 'exhausted') throw new Error('exhausted')
    expect(b.changed).toBe(false)
    expect(b.assignment).toBe(a.assignment)
  })

  test('one pair per (name, resource): the same name under another resource gets other IPs', () => {
    const p = new ProxyIpAllocator()
    const a = p.assign('example.com', 'r1', true, true)
    const b = p.assign('example.com', 'r2', true, true)
    if (a === 'exhausted' || b === 'exhausted') throw new Error('exhausted')
    expect(texts(a.assignment).v4).not.toEqual(texts(b.assignment).v4)
  })

  test('an IPv4-only resource gets only IPv4; asking later for IPv6 adds IPv6 and keeps IPv4', () => {
    const p = new ProxyIpAllocator()
    const a = p.assign('x.com', 'r', true, false)
    if (a === 'exhausted') throw new Error('exhausted')
    expect(a.assignment.v6).toBeNull()
    const v4 = texts(a.assignment).v4
    const b = p.assign('x.com', 'r', true, true)
    if (b === 'exhausted') throw new Error('exhausted')
    expect(b.changed).toBe(true)
    expect(texts(b.assignment).v4).toEqual(v4)
    expect(texts(b.assignment).v6.length).toBe(4)
  })

  test('reverse lookups find the assignment from any of its addresses', () => {
    const p = new ProxyIpAllocator()
    const r = p.assign('example.com', 'r1', true, true)
    if (r === 'exhausted') throw new Error('exhausted')
    for (const addr of r.assignment.v4!) expect(p.byIpv4(addr)).toBe(r.assignment)
    for (let j = 0; j < 4; j++) expect(p.byIpv6(r.assignment.v6!, 16 * j)).toBe(r.assignment)
    expect(p.byIpv4(0x64600000 + 99)).toBeUndefined()
  })

  test('issue 6: the IPv4 pool never hands out the sentinel block 100.100.111.0/24', () => {
    const p = new ProxyIpAllocator()
    // 100.100.111.0 is index 0x46f00 of the /11: hand out past it.
    for (let i = 0; i < 0x47000 / 4; i++) {
      const r = p.assign(`n${i}.example`, 'r', true, false)
      if (r === 'exhausted') throw new Error('exhausted')
      for (const a of r.assignment.v4!) expect(ipv4InPrefix(a, SENTINEL_V4.addr4, 24)).toBe(false)
    }
  })

  test('issue 6: exhaustion is a value, takes nothing, and released addresses are reused', () => {
    const p = new ProxyIpAllocator({ poolSize: 12 }) // IPv4: 11 usable (index 0 skipped), IPv6: 12
    expect(p.assign('a', 'r1', true, true)).not.toBe('exhausted')
    expect(p.assign('b', 'r1', true, true)).not.toBe('exhausted')
    const before = p.available()
    expect(p.assign('c', 'r2', true, true)).toBe('exhausted') // IPv4 has 3 left
    expect(p.available()).toEqual(before)
    expect(p.assign('c', 'r2', false, true)).not.toBe('exhausted') // IPv6 still has 4
    expect(p.releaseResource('r1').length).toBe(2)
    expect(p.assign('c', 'r2', true, true)).not.toBe('exhausted')
  })
})

type Model = Map<string, { v4: string[]; v6: string[] }>
interface Real {
  p: ProxyIpAllocator
}

const NAMES = ['a.com', 'b.com', 'c.com', 'd.com']
const RES = ['r1', 'r2', 'r3']

class AssignCmd implements fc.Command<Model, Real> {
  constructor(
    readonly name: string,
    readonly res: string,
    readonly v4: boolean,
    readonly v6: boolean,
  ) {}
  check(): boolean {
    return true
  }
  run(m: Model, r: Real): void {
    const k = `${this.res}/${this.name}`
    const before = m.get(k)
    const out = r.p.assign(this.name, this.res, this.v4, this.v6)
    if (out === 'exhausted') {
      // Only when a family asked for and missing could not be found.
      const avail = r.p.available()
      const short =
        (this.v4 && (before === undefined || before.v4.length === 0) && avail.v4 < 4) ||
        (this.v6 && (before === undefined || before.v6.length === 0) && avail.v6 < 4)
      expect(short).toBe(true)
      return
    }
    const now = texts(out.assignment)
    // Stable: what was there stays.
    if (before !== undefined) {
      if (before.v4.length > 0) expect(now.v4).toEqual(before.v4)
      if (before.v6.length > 0) expect(now.v6).toEqual(before.v6)
    }
    m.set(k, now)
    // Never twice while in use, always inside the prefixes.
    const all4 = [...m.values()].flatMap((x) => x.v4)
    const all6 = [...m.values()].flatMap((x) => x.v6)
    expect(new Set(all4).size).toBe(all4.length)
    expect(new Set(all6).size).toBe(all6.length)
    for (const a of out.assignment.v4 ?? []) expect(ipv4InPrefix(a, V4.addr4, 11)).toBe(true)
    for (let j = 0; j < (out.assignment.v6 === null ? 0 : 4); j++)
      expect(ipv6InPrefix(out.assignment.v6!, 16 * j, V6.addr6, 0, 107)).toBe(true)
  }
  toString(): string {
    return `assign(${this.name}, ${this.res}, v4=${this.v4}, v6=${this.v6})`
  }
}

class ReleaseCmd implements fc.Command<Model, Real> {
  constructor(readonly res: string) {}
  check(): boolean {
    return true
  }
  run(m: Model, r: Real): void {
    const released = r.p.releaseResource(this.res)
    const keys = [...m.keys()].filter((k) => k.startsWith(`${this.res}/`))
    expect(released.length).toBe(keys.length)
    for (const k of keys) m.delete(k)
  }
  toString(): string {
    return `release(${this.res})`
  }
}

describe('model: allocation against a Map', () => {
  test('stable, unique while in use, exhaustion only when a pool is short', () => {
    const cmds = [
      fc
        .tuple(fc.constantFrom(...NAMES), fc.constantFrom(...RES), fc.boolean(), fc.boolean())
        .map(([n, r, a, b]) => new AssignCmd(n, r, a, b)),
      fc.constantFrom(...RES).map((r) => new ReleaseCmd(r)),
    ]
    fc.assert(
      fc.property(fc.commands(cmds, { maxCommands: 40 }), (c) => {
        fc.modelRun(() => ({ model: new Map(), real: { p: new ProxyIpAllocator({ poolSize: 24 }) } }), c)
      }),
      { numRuns: 200 },
    )
  })
})
