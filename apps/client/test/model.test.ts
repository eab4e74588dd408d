/**
 * Model test (STYLE.md §6, fc.commands): random sequences of application queries, gateway
 * statuses and clock ticks against `ClientState` with a silent fake gateway, compared with a naive
 * model of what each application must get back and when.
 */
import { expect, test } from 'bun:test'
import { type ControlMessage, DOMAIN_STATUSES, type DomainStatus, MessageType } from '@gatehouse/control'
import { decodeMessage, encodeMessage, FLAG_QR, FLAG_RD, RCODE, TYPE } from '@gatehouse/dns-resolver'
import fc from 'fast-check'
import { STATUS_TIMEOUT_MS } from '../src/constants.ts'
import { Bench } from './harness.ts'

const RESOURCE_NAMES = ['a.corp.example', 'b.corp.example', 'db.example.net'] as const
const OTHER = 'www.example.org'

interface Expected {
  id: number
  rcode: number
  records: number
}

interface ModelName {
  status: 'none' | 'pending' | 'active' | 'failed'
  waiters: { id: number; type: number }[]
  deadline: number
}

interface Model {
  now: number
  names: Map<string, ModelName>
  /** Answers due to reach applications, not yet seen. */
  due: Expected[]
}

interface Real {
  b: Bench
  nextId: number
}

const RCODE_OF: Record<DomainStatus, number> = {
  active: RCODE.NOERROR,
  nxdomain: RCODE.NXDOMAIN,
  'no-addresses': RCODE.NOERROR,
  servfail: RCODE.SERVFAIL,
  timeout: RCODE.SERVFAIL,
  'not-allowed': RCODE.REFUSED,
}

function nameOf(m: Model, name: string): ModelName {
  let n = m.names.get(name)
  if (n === undefined) {
    n = { status: 'none', waiters: [], deadline: Number.POSITIVE_INFINITY }
    m.names.set(name, n)
  }
  return n
}

/** Compares the answers the applications got with the model's due answers (order-free). */
function check(m: Model, r: Real): void {
  const got = r.b
    .answers()
    .map((a) => ({ id: a.id, rcode: a.rcode, records: a.answers.length }))
    .sort((x, y) => x.id - y.id)
  const want = m.due.splice(0).sort((x, y) => x.id - y.id)
  expect(got).toEqual(want)
}

class Query implements fc.Command<Model, Real> {
  constructor(
    readonly name: string,
    readonly type: number,
  ) {}
  check(): boolean {
    return true
  }
  run(m: Model, r: Real): void {
    const id = r.nextId++
    r.b.query(this.name, this.type, 4, id)
    if (this.name === OTHER) {
      // Forwarded upstream; the upstream answers at once.
      const f = r.b.client.pollDnsForward()!
      expect(f).not.toBeNull()
      const q = decodeMessage(f.bytes) as { id: number }
      r.b.client.handleUpstreamResponse(
        r.b.now,
        f.token,
        encodeMessage({
          id: q.id,
          flags: FLAG_QR | FLAG_RD,
          questions: [{ name: OTHER, type: this.type }],
          answers:
            this.type === TYPE.A
              ? [{ name: OTHER, ttl: 60, type: 'A', address: '192.0.2.1' }]
              : [{ name: OTHER, ttl: 60, type: 'AAAA', address: '2001:db8::1' }],
        }),
      )
      r.b.drive()
      m.due.push({ id, rcode: RCODE.NOERROR, records: 1 })
    } else {
      const n = nameOf(m, this.name)
      if (n.status === 'active') m.due.push({ id, rcode: RCODE.NOERROR, records: 4 })
      else {
        n.status = 'pending'
        n.waiters.push({ id, type: this.type })
        if (n.deadline === Number.POSITIVE_INFINITY) n.deadline = m.now + STATUS_TIMEOUT_MS
        // The gateway heard about the name (not asserting how often: refreshes and resyncs re-send).
        expect(lastAssigned(r, this.name)).not.toBeUndefined()
      }
    }
    check(m, r)
  }
  toString(): string {
    return `Query(${this.name}, ${this.type === TYPE.A ? 'A' : 'AAAA'})`
  }
}

function lastAssigned(r: Real, name: string): Extract<ControlMessage, { type: 1 }> | undefined {
  for (let i = r.b.gw.control.length - 1; i >= 0; i--) {
    const c = r.b.gw.control[i]
    if (c.type === MessageType.AssignedIps && c.domain === name) return c
  }
  return undefined
}

/** The gateway answers the latest AssignedIps of a name it has heard of. */
class Status implements fc.Command<Model, Real> {
  constructor(
    readonly name: string,
    readonly status: DomainStatus,
  ) {}
  check(m: Model): boolean {
    const n = m.names.get(this.name)
    return n !== undefined && n.status !== 'none'
  }
  run(m: Model, r: Real): void {
    const req = lastAssigned(r, this.name)!
    r.b.gw.send(r.b.now, {
      type: MessageType.DomainStatus,
      requestId: req.requestId,
      resource: req.resource,
      domain: req.domain,
      status: this.status,
    })
    r.b.drive()
    const n = nameOf(m, this.name)
    for (const w of n.waiters.splice(0))
      m.due.push({ id: w.id, rcode: RCODE_OF[this.status], records: this.status === 'active' ? 4 : 0 })
    n.status = this.status === 'active' ? 'active' : 'failed'
    n.deadline = Number.POSITIVE_INFINITY
    check(m, r)
  }
  toString(): string {
    return `Status(${this.name}, ${this.status})`
  }
}

class Tick implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true
  }
  run(m: Model, r: Real): void {
    m.now += this.ms
    r.b.advanceTo(r.b.now + this.ms)
    for (const n of m.names.values()) {
      if (n.deadline > m.now) continue
      for (const w of n.waiters.splice(0)) m.due.push({ id: w.id, rcode: RCODE.SERVFAIL, records: 0 })
      n.status = 'failed'
      n.deadline = Number.POSITIVE_INFINITY
    }
    check(m, r)
  }
  toString(): string {
    return `Tick(${this.ms})`
  }
}

test('model: every application query gets exactly the answer the gateway status (or its absence) calls for', () => {
  const names = fc.constantFrom<string>(...RESOURCE_NAMES, OTHER)
  const commands = [
    fc.tuple(names, fc.constantFrom(TYPE.A, TYPE.AAAA)).map(([n, t]) => new Query(n, t)),
    fc
      .tuple(fc.constantFrom<string>(...RESOURCE_NAMES), fc.constantFrom(...DOMAIN_STATUSES))
      .map(([n, s]) => new Status(n, s)),
    fc.integer({ min: 0, max: 2_500 }).map((ms) => new Tick(ms)),
  ]
  fc.assert(
    fc.property(fc.commands(commands, { maxCommands: 40 }), (cmds) => {
      const b = new Bench()
      b.gw.statusFor = () => null // statuses come only from Status commands
      const start = b.now
      fc.modelRun(() => ({ model: { now: start, names: new Map(), due: [] }, real: { b, nextId: 1 } }), cmds)
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 60) },
  )
})
