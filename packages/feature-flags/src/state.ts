/**
 * The sans-IO core: decides every flag's value from overrides, backend answers, the grace period and
 * `now`. It performs no I/O and reads no clock; the shell ({@link FeatureFlags} in poller.ts) feeds it.
 *
 * Value of a flag, first match wins:
 *   1. an override (CLI `--feature`, then env `GATEHOUSE_FEATURE_<NAME>`; merged by the caller);
 *   2. the backend's last answer for it, while younger than `graceMs`;
 *   3. its declared default (false for every Gatehouse flag).
 *
 * A backend answer for a flag is "fresh" from the moment it arrives until `graceMs` later. Each
 * successful evaluation refreshes it; a failed one changes nothing, so the last good value is served
 * until its grace runs out, and then the default. Before any successful answer, defaults apply.
 */
import { type Answer, FAILURE_REASONS, type FailureReason } from './answer.ts'
import type { FlagName, FlagRegistry, FlagSpec, FlagValues } from './registry.ts'

/** Monotonic milliseconds, injected by the shell; never read inside the core. */
export type Millis = number

/**
 * Why a value changed.
 * - `backend`: a successful answer set it (or, absent from a complete answer, reset it to the default).
 * - `grace-expired`: the last good answer grew older than `graceMs`; back to the default.
 * - `override-set` / `override-cleared`: an operator override was set or removed.
 */
export const CHANGE_REASONS = ['backend', 'grace-expired', 'override-set', 'override-cleared'] as const
/** One of {@link CHANGE_REASONS}. */
export type ChangeReason = (typeof CHANGE_REASONS)[number]

/** An operator override and where it came from (`env GATEHOUSE_FEATURE_X`, `cli --feature`), for logs. */
export interface Override {
  readonly value: boolean
  readonly origin: string
}

/** Overrides by backend name. */
export type Overrides<R extends FlagRegistry = FlagRegistry> = Partial<Record<FlagName<R>, Override>>

/** A flag's value changed. Emitted exactly once per change. */
export interface FlagChange {
  readonly kind: 'change'
  /** Backend (kebab-case) name. */
  readonly name: string
  /** Field name on the values object. */
  readonly accessor: string
  readonly old: boolean
  readonly new: boolean
  readonly why: ChangeReason
  /** Free text for the log: the override's origin, or what the answer said. */
  readonly detail: string
  readonly at: Millis
}

/** The backend values of `names` outlived the grace period and were dropped (values may not change). */
export interface GraceExpired {
  readonly kind: 'grace-expired'
  readonly names: readonly string[]
  /** When the newest of the dropped answers arrived. */
  readonly lastGoodAt: Millis
  readonly at: Millis
}

/** What {@link FlagState.pollEvent} returns. */
export type FlagEvent = FlagChange | GraceExpired

/** An evaluation the shell must perform; hand `seq` back with its outcome. */
export interface EvaluationRequest {
  readonly seq: number
  readonly distinctId: string
}

/** Where a flag's current value comes from. */
export type FlagSource = 'override' | 'backend' | 'default'

/** Construction parameters of {@link FlagState}. */
export interface FlagStateConfig<R extends FlagRegistry = FlagRegistry> {
  /** A backend is configured. False = offline: no evaluation is ever requested. */
  readonly remote: boolean
  /** The distinct id sent to the backend; null = none yet (no evaluation until {@link FlagState.setIdentity}). */
  readonly distinctId: string | null
  /** Re-evaluation period, > 0. */
  readonly intervalMs: number
  /** How long a backend answer is trusted after it arrived, ≥ 0. */
  readonly graceMs: number
  readonly overrides?: Overrides<R>
}

/**
 * The flag state machine (sans-IO, quinn's method groups):
 *
 * - (A) getters: {@link values} (the hot-path object), {@link failures}, {@link identity}, {@link sourceOf}.
 * - (B) inputs: {@link handleAnswer}, {@link handleFailure}, {@link handleTimeout}.
 * - (C) commands: {@link setIdentity}, {@link setOverride}, {@link evaluateNow}.
 * - (D) outputs: {@link pollRequest}, {@link pollTimeout}, {@link pollEvent}.
 *
 * After any (B) or (C) call the shell drains {@link pollRequest}, then reads {@link pollTimeout}
 * (one timer, at that instant), then drains {@link pollEvent}. An early or extra `handleTimeout` is a no-op.
 *
 * Invariant: after every (B)/(C) call at `now`, each field of {@link values} equals the value the
 * precedence rules above give at `now`.
 */
export class FlagState<R extends FlagRegistry> {
  /**
   * The values object: one boolean field per flag, all present from construction (one shape), updated
   * in place. Hand it to the packet path once; reading `values.icmpUnreachableInsteadOfNat64` is a
   * plain property load.
   */
  readonly values: FlagValues<R>
  /** Failed evaluations by reason. */
  readonly failures: Record<FailureReason, number>
  /** Outcomes that arrived for a superseded request (identity changed meanwhile) and were ignored. */
  superseded = 0

  private readonly specs: readonly FlagSpec[]
  private readonly index: Map<string, number>
  private readonly intervalMs: number
  private readonly graceMs: number
  private readonly remote: boolean
  private readonly ov: (Override | undefined)[]
  private readonly backendValue: boolean[]
  /** Arrival of the backend's answer per flag; -Infinity = none, or dropped after grace. */
  private readonly backendAt: Float64Array
  private readonly events: FlagEvent[] = []
  private id: string | null
  private seq = 0
  private inFlight = 0
  private nextEvalAt: Millis

  constructor(registry: R, config: FlagStateConfig<R>, now: Millis) {
    if (!(config.intervalMs > 0))
      throw new Error(`feature flags: intervalMs must be > 0, got ${config.intervalMs}`)
    if (!(config.graceMs >= 0)) throw new Error(`feature flags: graceMs must be >= 0, got ${config.graceMs}`)
    this.specs = registry.specs
    this.intervalMs = config.intervalMs
    this.graceMs = config.graceMs
    this.remote = config.remote
    this.id = config.distinctId
    this.nextEvalAt = now
    this.index = new Map(this.specs.map((s, i) => [s.name, i]))
    this.ov = this.specs.map(() => undefined)
    this.backendValue = this.specs.map((s) => s.default)
    this.backendAt = new Float64Array(this.specs.length).fill(Number.NEGATIVE_INFINITY)
    const failures = {} as Record<FailureReason, number>
    for (const r of FAILURE_REASONS) failures[r] = 0
    this.failures = failures
    // Every field is created here, in declaration order, before anyone reads the object: one shape.
    const values: Record<string, boolean> = {}
    for (const s of this.specs) values[s.accessor] = s.default
    this.values = values as FlagValues<R>
    for (const [name, o] of Object.entries(config.overrides ?? {}) as [string, Override | undefined][]) {
      if (o !== undefined) this.setOverride(now, name, o)
    }
  }

  // (A) getters

  /** The distinct id evaluations are made for. */
  get identity(): string | null {
    return this.id
  }

  /** An evaluation is outstanding. */
  get evaluating(): boolean {
    return this.inFlight !== 0
  }

  /** Where `name`'s current value comes from. Throws on an unknown name. */
  sourceOf(name: string): FlagSource {
    const i = this.indexOf(name)
    if (this.ov[i] !== undefined) return 'override'
    return this.backendAt[i] !== Number.NEGATIVE_INFINITY ? 'backend' : 'default'
  }

  // (B) inputs

  /** A successful evaluation for request `seq`. Returns false (and changes nothing) for a superseded request. */
  handleAnswer(now: Millis, seq: number, answer: Answer): boolean {
    if (!this.complete(now, seq)) return false
    for (let i = 0; i < this.specs.length; i++) {
      const v = answer.values.get(this.specs[i].name)
      if (v !== undefined) {
        this.backendValue[i] = v
        this.backendAt[i] = now
      } else if (!answer.partial) {
        // Absent from a complete answer: the backend has no opinion (flag inactive or deleted).
        this.backendValue[i] = this.specs[i].default
        this.backendAt[i] = now
      }
      // Absent from a partial answer: the last good value keeps ageing towards its grace deadline.
    }
    this.expire(now)
    for (let i = 0; i < this.specs.length; i++) {
      const answered = answer.values.has(this.specs[i].name)
      this.update(i, now, 'backend', answered ? 'answer' : 'absent from answer')
    }
    return true
  }

  /** A failed evaluation for request `seq`: counted; values stay until their grace runs out. False if superseded. */
  handleFailure(now: Millis, seq: number, reason: FailureReason): boolean {
    if (!this.complete(now, seq)) return false
    this.failures[reason]++
    this.expire(now)
    return true
  }

  /** Applies grace expiry due at `now`. Early or repeated calls are no-ops. */
  handleTimeout(now: Millis): void {
    this.expire(now)
  }

  // (C) commands

  /**
   * Changes the distinct id. A different id supersedes any outstanding request (its outcome will be
   * ignored) and makes an evaluation due at once. Values stay until the new answer (or grace expiry):
   * flags are about the process, and a gap of defaults would flip them twice.
   */
  setIdentity(now: Millis, distinctId: string | null): void {
    this.expire(now)
    if (distinctId === this.id) return
    this.id = distinctId
    this.inFlight = 0
    this.nextEvalAt = now
  }

  /** Sets (or, with `undefined`, clears) an override. Throws on an unknown flag name. */
  setOverride(now: Millis, name: string, override: Override | undefined): void {
    const i = this.indexOf(name)
    this.expire(now)
    const before = this.ov[i]
    this.ov[i] = override
    if (override !== undefined) this.update(i, now, 'override-set', override.origin)
    else this.update(i, now, 'override-cleared', before?.origin ?? 'none')
  }

  /** Makes an evaluation due now (unless one is outstanding, whose answer then counts). */
  evaluateNow(now: Millis): void {
    this.expire(now)
    this.nextEvalAt = Math.min(this.nextEvalAt, now)
  }

  // (D) outputs

  /** The evaluation to perform now, if one is due: online, identity known, none outstanding. */
  pollRequest(now: Millis): EvaluationRequest | null {
    if (!this.remote || this.id === null || this.inFlight !== 0 || now < this.nextEvalAt) return null
    this.inFlight = ++this.seq
    return { seq: this.inFlight, distinctId: this.id }
  }

  /** The earliest instant at which `handleTimeout`/`pollRequest` has work: next evaluation or grace expiry. */
  pollTimeout(): Millis | null {
    let t = Number.POSITIVE_INFINITY
    if (this.remote && this.id !== null && this.inFlight === 0) t = this.nextEvalAt
    for (let i = 0; i < this.specs.length; i++) {
      const at = this.backendAt[i]
      if (at !== Number.NEGATIVE_INFINITY) t = Math.min(t, at + this.graceMs)
    }
    return t === Number.POSITIVE_INFINITY ? null : t
  }

  /** The next change or grace-expiry event, oldest first. */
  pollEvent(): FlagEvent | null {
    return this.events.shift() ?? null
  }

  // internals

  private indexOf(name: string): number {
    const i = this.index.get(name)
    if (i === undefined) throw new Error(`unknown feature flag '${name}'`)
    return i
  }

  /** Ends request `seq`; false if it is not the outstanding one. */
  private complete(now: Millis, seq: number): boolean {
    if (seq !== this.inFlight || seq === 0) {
      this.superseded++
      return false
    }
    this.inFlight = 0
    this.nextEvalAt = now + this.intervalMs
    return true
  }

  private expire(now: Millis): void {
    let expired: number[] | null = null
    let lastGoodAt = Number.NEGATIVE_INFINITY
    for (let i = 0; i < this.specs.length; i++) {
      const at = this.backendAt[i]
      if (at === Number.NEGATIVE_INFINITY || now < at + this.graceMs) continue
      expired ??= []
      expired.push(i)
      lastGoodAt = Math.max(lastGoodAt, at)
    }
    if (expired === null) return
    this.events.push({
      kind: 'grace-expired',
      names: expired.map((i) => this.specs[i].name),
      lastGoodAt,
      at: now,
    })
    for (const i of expired) {
      const age = now - this.backendAt[i]
      this.backendAt[i] = Number.NEGATIVE_INFINITY
      this.update(i, now, 'grace-expired', `last answer ${age} ms ago, grace ${this.graceMs} ms`)
    }
  }

  private effective(i: number): boolean {
    const o = this.ov[i]
    if (o !== undefined) return o.value
    return this.backendAt[i] !== Number.NEGATIVE_INFINITY ? this.backendValue[i] : this.specs[i].default
  }

  private update(i: number, now: Millis, why: ChangeReason, detail: string): void {
    const spec = this.specs[i]
    const values = this.values as Record<string, boolean>
    const old = values[spec.accessor]
    const v = this.effective(i)
    if (v === old) return
    values[spec.accessor] = v
    this.events.push({
      kind: 'change',
      name: spec.name,
      accessor: spec.accessor,
      old,
      new: v,
      why,
      detail,
      at: now,
    })
  }
}
