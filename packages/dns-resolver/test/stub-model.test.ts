/**
 * Model test (STYLE.md §6): the stub against a deliberately naive model, a list of resources
 * scanned in most-specific order with the pattern matcher and a Map of assignments.
 */
import { expect, setDefaultTimeout, test } from 'bun:test'
import fc from 'fast-check'
import { comparePatterns, patternMatches } from '../src/pattern.ts'
import { buildSentinels } from '../src/sentinels.ts'
import { type DnsResource, StubResolver } from '../src/stub.ts'
import { decodeMessage, encodeMessage, FLAG_RD, RCODE, TYPE } from '../src/wire.ts'

// bun's default is 5 s per test (the root bunfig's [test] timeout is not read); a shared CI core needs more.
setDefaultTimeout(60_000)

const RESOURCES: DnsResource[] = [
  { id: 'corp', address: '*.corp.test' },
  { id: 'db', address: 'db.corp.test', ipStack: 'ipv4' },
  { id: 'other', address: '**.other.test', ipStack: 'ipv6' },
  { id: 'q', address: '?.corp.test' },
]
const NAMES = [
  'a.corp.test',
  'bb.corp.test',
  'corp.test',
  'db.corp.test',
  'x.other.test',
  'other.test',
  'www.example',
]

interface Model {
  present: Set<string>
  assigned: Map<string, { v4: string[]; v6: string[] }>
}
interface Real {
  stub: StubResolver<null>
}
const CTX = { transport: 'udp' as const, sentinel: '100.100.111.1', asker: null }

function expectedResource(m: Model, name: string): DnsResource | undefined {
  const live = RESOURCES.filter((r) => m.present.has(r.id)).sort((x, y) =>
    comparePatterns(x.address, y.address),
  )
  return live.find((r) => patternMatches(r.address, name))
}

class Query implements fc.Command<Model, Real> {
  constructor(
    readonly name: string,
    readonly type: number,
  ) {}
  check = () => true
  run(m: Model, r: Real): void {
    const q = encodeMessage({ id: 1, flags: FLAG_RD, questions: [{ name: this.name, type: this.type }] })
    const out = r.stub.handleQuery(0, q, CTX)
    const res = expectedResource(m, this.name)
    if (res === undefined) {
      expect(out.kind).toBe('forward')
      r.stub.handleTimeout(1e12)
      while (r.stub.pollReply() !== null) {}
      return
    }
    if (out.kind !== 'answer') throw new Error(`expected an answer for ${this.name}, got ${out.kind}`)
    const d = decodeMessage(out.bytes)
    if (typeof d === 'string') throw new Error(d)
    expect(d.rcode).toBe(RCODE.NOERROR)
    const stack = res.ipStack ?? 'dual'
    const v4 = this.type === TYPE.A
    const got = d.answers.map((a) => (a.type === 'A' || a.type === 'AAAA' ? a.address : '?'))
    if ((v4 && stack === 'ipv6') || (!v4 && stack === 'ipv4')) {
      expect(got).toEqual([]) // the other family of a restricted resource: NOERROR, no records
      return
    }
    const key = `${res.id}/${this.name}`
    const ev = r.stub.pollEvent()
    const known = m.assigned.get(key)
    if (known === undefined) {
      // First query: an assignment event, for the families of the resource's stack.
      if (ev?.kind !== 'assigned') throw new Error(`expected an assignment for ${key}`)
      expect([ev.name, ev.resourceId]).toEqual([this.name, res.id])
      expect(ev.ipv4.length).toBe(stack === 'ipv6' ? 0 : 4)
      expect(ev.ipv6.length).toBe(stack === 'ipv4' ? 0 : 4)
      m.assigned.set(key, { v4: ev.ipv4, v6: ev.ipv6 })
    } else expect(ev).toBeNull() // stable: nothing new
    const a = m.assigned.get(key)!
    expect(got).toEqual(v4 ? a.v4 : a.v6)
    // Never the same address for two live pairs.
    const all = [...m.assigned.values()].flatMap((x) => [...x.v4, ...x.v6])
    expect(new Set(all).size).toBe(all.length)
  }
  toString = () => `query(${this.name}, ${this.type === TYPE.A ? 'A' : 'AAAA'})`
}

class Add implements fc.Command<Model, Real> {
  constructor(readonly res: DnsResource) {}
  check = () => true
  run(m: Model, r: Real): void {
    r.stub.addResource(this.res)
    m.present.add(this.res.id)
  }
  toString = () => `add(${this.res.id})`
}

class Remove implements fc.Command<Model, Real> {
  constructor(readonly id: string) {}
  check = () => true
  run(m: Model, r: Real): void {
    r.stub.removeResource(this.id)
    m.present.delete(this.id)
    const keys = [...m.assigned.keys()].filter((k) => k.startsWith(`${this.id}/`))
    for (const k of keys) m.assigned.delete(k)
    const released: string[] = []
    for (let e = r.stub.pollEvent(); e !== null; e = r.stub.pollEvent()) {
      expect(e.kind).toBe('released')
      released.push(`${e.resourceId}/${e.name}`)
    }
    expect(released.sort()).toEqual(keys.sort())
  }
  toString = () => `remove(${this.id})`
}

test('Firezone/MISSION.md semantics: answers, stability, events and removal agree with the model', () => {
  const cmds = [
    fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(TYPE.A, TYPE.AAAA)).map(([n, t]) => new Query(n, t)),
    fc.constantFrom(...RESOURCES).map((r) => new Add(r)),
    fc.constantFrom(...RESOURCES.map((r) => r.id)).map((id) => new Remove(id)),
  ]
  fc.assert(
    fc.property(fc.commands(cmds, { maxCommands: 40 }), (c) => {
      fc.modelRun(
        () => ({
          model: { present: new Set<string>(), assigned: new Map() },
          real: { stub: new StubResolver<null>({ sentinels: buildSentinels(['192.0.2.53']) }) },
        }),
        c,
      )
    }),
    { numRuns: 150 },
  )
})
