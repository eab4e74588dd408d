/**
 * The I/O shell around {@link FlagState}: POSTs to a PostHog-compatible backend with `fetch`, keeps one
 * timer, enforces the request timeout, logs and tells subscribers. Clock, timer, fetch and logger are
 * injected, so tests drive minutes of schedule against a real HTTP server without sleeping.
 *
 * Nothing here is on the packet path: the packet path holds {@link FeatureFlags.flags} and reads fields.
 * Nothing here blocks start-up either: {@link FeatureFlags.start} returns at once, with every flag at
 * its override or default, and the first evaluation runs in the background.
 */
import { type AnswerParser, createAnswerParser, type FailureReason, type ParsedAnswer } from './answer.ts'
import { type BackendOptions, backendOptions } from './options.ts'
import type { FlagRegistry, FlagValues } from './registry.ts'
import {
  type EvaluationRequest,
  type FlagChange,
  FlagState,
  type Millis,
  type Override,
  type Overrides,
} from './state.ts'

/** Structured logger; the apps plug in their JSON-line logger. `fields` are flat and JSON-serialisable. */
export interface Logger {
  info(msg: string, fields: Record<string, unknown>): void
  warn(msg: string, fields: Record<string, unknown>): void
}

/** Monotonic clock in milliseconds. */
export interface Clock {
  now(): Millis
}

/** One-shot timers. `set` returns a handle that `clear` accepts. */
export interface Timer {
  set(fn: () => void, delayMs: number): unknown
  clear(handle: unknown): void
}

/** The slice of `fetch` the shell uses. */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>

/** Construction parameters of {@link FeatureFlags}. */
export interface FeatureFlagsInit<R extends FlagRegistry> {
  readonly registry: R
  /** Backend and timings (see `parseBackendEnv`); validated again here. Omitted = offline. */
  readonly backend?: Partial<BackendOptions>
  /** The gateway's or client's id, sent as `distinct_id`. Null = no evaluation until `setIdentity`. */
  readonly distinctId?: string | null
  /** From `parseOverrides`. */
  readonly overrides?: Overrides<R>
  readonly logger?: Logger
  readonly clock?: Clock
  readonly timer?: Timer
  readonly fetch?: Fetch
}

/** Writes `{"time","severity","message",...fields}` lines to stderr, the shape the apps' logs use. */
export const stderrLogger: Logger = {
  info: (message, fields) =>
    console.error(JSON.stringify({ time: new Date().toISOString(), severity: 'INFO', message, ...fields })),
  warn: (message, fields) =>
    console.error(JSON.stringify({ time: new Date().toISOString(), severity: 'WARN', message, ...fields })),
}

const realClock: Clock = { now: () => performance.now() }

const realTimer: Timer = {
  set(fn, delayMs) {
    const t = setTimeout(fn, delayMs)
    // A flag poller alone never keeps a process alive.
    ;(t as { unref?: () => void }).unref?.()
    return t
  },
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

type Outcome = ParsedAnswer | { readonly ok: false; readonly reason: FailureReason; readonly detail: string }

/**
 * Feature flags for one process: the values object, a poller and subscribers.
 *
 * ```ts
 * const ff = new FeatureFlags({ registry: GATEHOUSE_FLAGS, backend: parseBackendEnv(process.env), distinctId })
 * ff.start()
 * nat.setFlags(ff.flags)              // the packet path reads ff.flags.icmpUnreachableInsteadOfNat64
 * ```
 */
export class FeatureFlags<R extends FlagRegistry> {
  /** The values object, updated in place for the life of the process. Read fields; never write them. */
  readonly flags: Readonly<FlagValues<R>>
  /** The sans-IO core, for diagnostics (`failures`, `sourceOf`). */
  readonly state: FlagState<R>
  /** The validated backend and timing configuration. */
  readonly options: BackendOptions

  private readonly logger: Logger
  private readonly clock: Clock
  private readonly timer: Timer
  private readonly fetch: Fetch
  private readonly parse: AnswerParser
  private readonly registry: R
  private readonly overrides: Overrides<R>
  private readonly url: string | null
  private readonly subscribers = new Set<(change: FlagChange) => void>()
  private readonly pending = new Set<Promise<void>>()
  private handle: unknown = null
  private current: AbortController | null = null
  private started = false
  private stopped = false
  /** Last outcome was a success (so only recoveries and first answers are logged at info). */
  private healthy = false

  constructor(init: FeatureFlagsInit<R>) {
    this.options = backendOptions(init.backend)
    this.logger = init.logger ?? stderrLogger
    this.clock = init.clock ?? realClock
    this.timer = init.timer ?? realTimer
    this.fetch = init.fetch ?? ((url, req) => fetch(url, req))
    this.parse = createAnswerParser(init.registry)
    this.registry = init.registry
    this.overrides = init.overrides ?? {}
    const base = this.options.url?.replace(/\/+$/, '') ?? null
    this.url =
      base === null ? null : this.options.api === 'decide' ? `${base}/decide?v=3` : `${base}/flags?v=2`
    this.state = new FlagState(
      init.registry,
      {
        remote: this.url !== null,
        distinctId: init.distinctId ?? null,
        intervalMs: this.options.intervalMs,
        graceMs: this.options.graceMs,
        overrides: init.overrides,
      },
      this.clock.now(),
    )
    this.flags = this.state.values
  }

  /** Logs the configuration, applies overrides and starts evaluating in the background. Returns at once. */
  start(): void {
    if (this.started) return
    this.started = true
    this.logger.info('feature flags starting', {
      backend: this.url ?? 'offline',
      intervalMs: this.options.intervalMs,
      graceMs: this.options.graceMs,
      timeoutMs: this.options.timeoutMs,
      distinctId: this.state.identity,
      overrides: Object.fromEntries(
        Object.entries(this.overrides as Record<string, Override | undefined>).map(([n, o]) => [
          n,
          `${o?.value} (${o?.origin})`,
        ]),
      ),
    })
    this.drive()
  }

  /** Stops the timer and aborts any outstanding request. Values stay as they are. */
  stop(): void {
    this.stopped = true
    if (this.handle !== null) this.timer.clear(this.handle)
    this.handle = null
    this.current?.abort()
  }

  /** Calls `fn` on every value change, after the change is applied and logged. Returns an unsubscribe. */
  subscribe(fn: (change: FlagChange) => void): () => void {
    this.subscribers.add(fn)
    return () => this.subscribers.delete(fn)
  }

  /** Changes the distinct id; a different one triggers an evaluation at once. */
  setIdentity(distinctId: string | null): void {
    this.state.setIdentity(this.clock.now(), distinctId)
    this.pump()
  }

  /** Sets or clears (`undefined`) an override at runtime. */
  setOverride(name: R['specs'][number]['name'], value: boolean | undefined, origin = 'runtime'): void {
    this.state.setOverride(this.clock.now(), name, value === undefined ? undefined : { value, origin })
    this.pump()
  }

  /** Re-evaluates now instead of at the next interval. */
  evaluateNow(): void {
    this.state.evaluateNow(this.clock.now())
    this.pump()
  }

  /** Resolves once no evaluation is outstanding (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  private drive(): void {
    this.state.handleTimeout(this.clock.now())
    this.pump()
  }

  /** Drains requests, re-arms the one timer, then drains events (the core's call order). */
  private pump(): void {
    if (!this.started || this.stopped) {
      this.drainEvents()
      return
    }
    const now = this.clock.now()
    for (let req = this.state.pollRequest(now); req !== null; req = this.state.pollRequest(now))
      this.send(req)
    if (this.handle !== null) this.timer.clear(this.handle)
    this.handle = null
    const at = this.state.pollTimeout()
    if (at !== null)
      this.handle = this.timer.set(
        () => {
          this.handle = null
          this.drive()
        },
        Math.max(0, Math.ceil(at - now)),
      )
    this.drainEvents()
  }

  private send(req: EvaluationRequest): void {
    // A new request while one is outstanding means the identity changed: the old answer is moot.
    this.current?.abort()
    const ctrl = new AbortController()
    this.current = ctrl
    const p = this.request(req, ctrl).then((outcome) => {
      if (this.current === ctrl) this.current = null
      this.complete(req, outcome)
    })
    this.pending.add(p)
    void p.finally(() => this.pending.delete(p))
  }

  private async request(req: EvaluationRequest, ctrl: AbortController): Promise<Outcome> {
    let timedOut = false
    const t = this.timer.set(() => {
      timedOut = true
      ctrl.abort()
    }, this.options.timeoutMs)
    const failed = (e: unknown): Outcome =>
      timedOut
        ? { ok: false, reason: 'timeout', detail: `no answer within ${this.options.timeoutMs} ms` }
        : { ok: false, reason: 'network', detail: e instanceof Error ? e.message : String(e) }
    try {
      let res: Response
      try {
        res = await this.fetch(this.url!, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          // `/decide` reads `api_key`, `/flags` reads `token`: send both.
          body: JSON.stringify({
            api_key: this.options.apiKey,
            token: this.options.apiKey,
            distinct_id: req.distinctId,
          }),
          signal: ctrl.signal,
        })
      } catch (e) {
        return failed(e)
      }
      let text: string
      try {
        text = await res.text()
      } catch (e) {
        return failed(e)
      }
      if (!res.ok)
        return { ok: false, reason: 'http-error', detail: `HTTP ${res.status}: ${text.slice(0, 200)}` }
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch (e) {
        return { ok: false, reason: 'malformed-json', detail: e instanceof Error ? e.message : String(e) }
      }
      return this.parse(body)
    } finally {
      this.timer.clear(t)
    }
  }

  private complete(req: EvaluationRequest, outcome: Outcome): void {
    if (this.stopped) return
    const now = this.clock.now()
    if (outcome.ok) {
      if (!this.state.handleAnswer(now, req.seq, outcome.answer)) return
      if (!this.healthy)
        this.logger.info('feature flag backend answered', {
          distinctId: req.distinctId,
          partial: outcome.answer.partial,
        })
      this.healthy = true
    } else {
      if (!this.state.handleFailure(now, req.seq, outcome.reason)) return
      this.healthy = false
      this.logger.warn('feature flag evaluation failed', {
        reason: outcome.reason,
        detail: outcome.detail,
        distinctId: req.distinctId,
        serving: this.servingBackendValues() ? 'last good answer, until the grace period ends' : 'defaults',
        retryInMs: this.options.intervalMs,
      })
    }
    this.pump()
  }

  private servingBackendValues(): boolean {
    return this.registry.specs.some((s) => this.state.sourceOf(s.name) === 'backend')
  }

  private drainEvents(): void {
    for (let ev = this.state.pollEvent(); ev !== null; ev = this.state.pollEvent()) {
      if (ev.kind === 'grace-expired') {
        this.logger.warn('feature flag answers expired; back to defaults', {
          flags: ev.names,
          lastAnswerAgoMs: Math.round(ev.at - ev.lastGoodAt),
        })
        continue
      }
      this.logger.info('feature flag changed', {
        flag: ev.name,
        old: ev.old,
        new: ev.new,
        why: ev.why,
        detail: ev.detail,
      })
      for (const fn of this.subscribers) {
        try {
          fn(ev)
        } catch (e) {
          this.logger.warn('feature flag subscriber threw', { flag: ev.name, error: String(e) })
        }
      }
    }
  }
}
