/**
 * Model test of the sans-IO core (fc.commands + fc.modelRun). The model is deliberately naive: per
 * flag it remembers the last backend value and when it arrived, and recomputes every value from the
 * precedence rules at the current instant. Time moves only through the Advance command.
 */
import { expect, test } from 'bun:test'
import fc from 'fast-check'
import {
  type Answer,
  type EvaluationRequest,
  FAILURE_REASONS,
  type FailureReason,
  type FlagChange,
  FlagState,
  GATEHOUSE_FLAGS,
} from '../src/index.ts'

const INTERVAL_MS = 1_000
const GRACE_MS = 3_500
const SPECS = GATEHOUSE_FLAGS.specs
const NAMES = SPECS.map((s) => s.name)

type Sut = FlagState<typeof GATEHOUSE_FLAGS>

interface Model {
  now: number
  remote: boolean
  id: string | null
  outstanding: EvaluationRequest | null
  /** Requests issued and since superseded; answering them must change nothing. */
  stale: EvaluationRequest[]
  nextEvalAt: number
  override: Map<string, boolean>
  backend: Map<string, { value: boolean; at: number }>
}

function expected(m: Model): Record<string, boolean> {
  const out: Record<string, boolean> = {}
  for (const s of SPECS) {
    const o = m.override.get(s.name)
    const b = m.backend.get(s.name)
    out[s.accessor] = o ?? (b !== undefined && m.now < b.at + GRACE_MS ? b.value : s.default)
  }
  return out
}

function expectedTimeout(m: Model): number | null {
  const ts: number[] = []
  if (m.remote && m.id !== null && m.outstanding === null) ts.push(m.nextEvalAt)
  for (const b of m.backend.values()) if (m.now < b.at + GRACE_MS) ts.push(b.at + GRACE_MS)
  return ts.length === 0 ? null : Math.min(...ts)
}

/** Runs `act`, then checks values, the change events it produced, and the next timeout. */
function step(m: Model, r: Sut, act: () => void): void {
  const before = { ...r.values }
  act()
  // Backend values older than the grace period are forgotten by the model too.
  for (const [name, b] of m.backend) if (m.now >= b.at + GRACE_MS) m.backend.delete(name)
  const want = expected(m)
  expect({ ...r.values } as Record<string, boolean>).toEqual(want)
  const changes: FlagChange[] = []
  for (let e = r.pollEvent(); e !== null; e = r.pollEvent()) if (e.kind === 'change') changes.push(e)
  const changed = SPECS.filter((s) => before[s.accessor] !== want[s.accessor])
  // Every change is reported exactly once, with its old and new value.
  expect(changes.map((c) => [c.name, c.old, c.new, c.at])).toEqual(
    changed.map((s) => [s.name, before[s.accessor], want[s.accessor], m.now]),
  )
  expect(r.pollTimeout()).toBe(expectedTimeout(m))
}

class Advance implements fc.Command<Model, Sut> {
  constructor(readonly ms: number) {}
  check = () => true
  run(m: Model, r: Sut) {
    m.now += this.ms
    step(m, r, () => r.handleTimeout(m.now))
  }
  toString = () => `advance(${this.ms})`
}

/** Jumps to the next deadline (or just before it), as a shell's single timer would: boundaries matter. */
class AdvanceToDeadline implements fc.Command<Model, Sut> {
  constructor(readonly offset: 0 | -1) {}
  check = (m: Readonly<Model>) => {
    const t = expectedTimeout(m as Model)
    return t !== null && t + this.offset > m.now
  }
  run(m: Model, r: Sut) {
    m.now = expectedTimeout(m)! + this.offset
    step(m, r, () => r.handleTimeout(m.now))
  }
  toString = () => `advanceToDeadline(${this.offset})`
}

class Poll implements fc.Command<Model, Sut> {
  check = () => true
  run(m: Model, r: Sut) {
    step(m, r, () => {
      const req = r.pollRequest(m.now)
      const due = m.remote && m.id !== null && m.outstanding === null && m.now >= m.nextEvalAt
      expect(req !== null).toBe(due)
      if (req !== null) {
        expect(req.distinctId).toBe(m.id!)
        m.outstanding = req
      }
    })
  }
  toString = () => 'poll'
}

class Succeed implements fc.Command<Model, Sut> {
  constructor(
    readonly values: [string, boolean][],
    readonly partial: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.outstanding !== null
  run(m: Model, r: Sut) {
    const answer: Answer = { values: new Map(this.values), partial: this.partial }
    step(m, r, () => {
      expect(r.handleAnswer(m.now, m.outstanding!.seq, answer)).toBe(true)
      m.outstanding = null
      m.nextEvalAt = m.now + INTERVAL_MS
      for (const s of SPECS) {
        const v = answer.values.get(s.name)
        if (v !== undefined) m.backend.set(s.name, { value: v, at: m.now })
        else if (!this.partial) m.backend.set(s.name, { value: s.default, at: m.now })
      }
    })
  }
  toString = () => `succeed(${JSON.stringify(this.values)}, partial=${this.partial})`
}

class Fail implements fc.Command<Model, Sut> {
  constructor(readonly reason: FailureReason) {}
  check = (m: Readonly<Model>) => m.outstanding !== null
  run(m: Model, r: Sut) {
    step(m, r, () => {
      expect(r.handleFailure(m.now, m.outstanding!.seq, this.reason)).toBe(true)
      m.outstanding = null
      m.nextEvalAt = m.now + INTERVAL_MS
    })
  }
  toString = () => `fail(${this.reason})`
}

class AnswerStale implements fc.Command<Model, Sut> {
  constructor(readonly value: boolean) {}
  check = (m: Readonly<Model>) => m.stale.length > 0
  run(m: Model, r: Sut) {
    const superseded = r.superseded
    step(m, r, () => {
      const answer: Answer = { values: new Map(NAMES.map((n) => [n, this.value])), partial: false }
      expect(r.handleAnswer(m.now, m.stale[0].seq, answer)).toBe(false)
    })
    expect(r.superseded).toBe(superseded + 1)
  }
  toString = () => `answerStale(${this.value})`
}

class SetIdentity implements fc.Command<Model, Sut> {
  constructor(readonly id: string | null) {}
  check = () => true
  run(m: Model, r: Sut) {
    step(m, r, () => {
      r.setIdentity(m.now, this.id)
      if (this.id === m.id) return
      if (m.outstanding !== null) m.stale.push(m.outstanding)
      m.outstanding = null
      m.id = this.id
      m.nextEvalAt = m.now
    })
  }
  toString = () => `setIdentity(${this.id})`
}

class SetOverride implements fc.Command<Model, Sut> {
  constructor(
    readonly name: string,
    readonly value: boolean | undefined,
  ) {}
  check = () => true
  run(m: Model, r: Sut) {
    step(m, r, () => {
      r.setOverride(
        m.now,
        this.name,
        this.value === undefined ? undefined : { value: this.value, origin: 'test' },
      )
      if (this.value === undefined) m.override.delete(this.name)
      else m.override.set(this.name, this.value)
    })
  }
  toString = () => `setOverride(${this.name}, ${this.value})`
}

const name = fc.constantFrom(...NAMES, 'not-ours')
const commands = [
  fc.integer({ min: 0, max: 2 * GRACE_MS }).map((ms) => new Advance(ms)),
  fc.constantFrom<0 | -1>(0, -1).map((o) => new AdvanceToDeadline(o)),
  fc.constant(new Poll()),
  fc
    .tuple(fc.uniqueArray(fc.tuple(name, fc.boolean()), { selector: ([n]) => n, maxLength: 3 }), fc.boolean())
    .map(([vs, partial]) => new Succeed(vs, partial)),
  fc.constantFrom(...FAILURE_REASONS).map((r) => new Fail(r)),
  fc.boolean().map((v) => new AnswerStale(v)),
  fc.constantFrom('gw-a', 'gw-b', null).map((id) => new SetIdentity(id)),
  fc
    .tuple(fc.constantFrom(...NAMES), fc.constantFrom(true, false, undefined))
    .map(([n, v]) => new SetOverride(n, v)),
]

test('issue 5: the core matches a naive model (precedence, grace, identity, exactly-once change events)', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.commands(commands, { maxCommands: 80, size: '+1' }), (remote, cmds) => {
      const now = 50_000
      const sut = new FlagState(
        GATEHOUSE_FLAGS,
        { remote, distinctId: 'gw-a', intervalMs: INTERVAL_MS, graceMs: GRACE_MS },
        now,
      )
      const model: Model = {
        now,
        remote,
        id: 'gw-a',
        outstanding: null,
        stale: [],
        nextEvalAt: now,
        override: new Map(),
        backend: new Map(),
      }
      fc.modelRun(() => ({ model, real: sut }), cmds)
    }),
    { numRuns: 300 },
  )
})
