/**
 * The shell against a real HTTP server on loopback playing PostHog (test/helpers/backend.ts). Time is
 * a ManualClock: minutes of schedule run without sleeping; only the HTTP exchanges are real.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { FeatureFlags, type FlagChange, GATEHOUSE_FLAGS, type Logger, parseOverrides } from '../src/index.ts'
import { type Behaviour, type FakeBackend, startBackend } from './helpers/backend.ts'
import { ManualClock } from './helpers/manual-clock.ts'

const INTERVAL_MS = 60_000
const TIMEOUT_MS = 5_000
const GRACE_MS = 3 * INTERVAL_MS
const FLAG = 'icmp-unreachable-instead-of-nat64'

interface LogLine {
  level: 'info' | 'warn'
  msg: string
  fields: Record<string, unknown>
}

interface Harness {
  backend: FakeBackend
  clock: ManualClock
  ff: FeatureFlags<typeof GATEHOUSE_FLAGS>
  logs: LogLine[]
  changes: FlagChange[]
}

const live: Harness[] = []

afterEach(async () => {
  for (const h of live.splice(0)) {
    h.ff.stop()
    await h.backend.stop()
  }
})

function setup(
  opts: {
    api?: 'decide' | 'flags'
    behaviour?: Behaviour
    distinctId?: string | null
    argv?: string[]
    env?: Record<string, string>
  } = {},
): Harness {
  const backend = startBackend(opts.behaviour)
  const clock = new ManualClock()
  const logs: LogLine[] = []
  const logger: Logger = {
    info: (msg, fields) => logs.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => logs.push({ level: 'warn', msg, fields }),
  }
  const { overrides } = parseOverrides(GATEHOUSE_FLAGS, opts.argv, opts.env)
  const ff = new FeatureFlags({
    registry: GATEHOUSE_FLAGS,
    backend: {
      url: backend.url,
      apiKey: 'phc_test',
      api: opts.api ?? 'decide',
      intervalMs: INTERVAL_MS,
      graceMs: GRACE_MS,
      timeoutMs: TIMEOUT_MS,
    },
    distinctId: opts.distinctId === undefined ? 'gateway-1' : opts.distinctId,
    overrides,
    logger,
    clock,
    timer: clock,
  })
  const changes: FlagChange[] = []
  ff.subscribe((c) => changes.push(c))
  const h = { backend, clock, ff, logs, changes }
  live.push(h)
  return h
}

/** Starts and waits for the first evaluation. */
async function started(h: Harness): Promise<void> {
  h.ff.start()
  await h.ff.idle()
}

/** Moves the fake clock by `ms`, letting each evaluation that falls due complete over real HTTP. */
async function run(h: Harness, ms: number): Promise<void> {
  const end = h.clock.now() + ms
  for (;;) {
    const next = h.clock.nextDeadline()
    if (next === null || next > end) break
    h.clock.advance(next - h.clock.now())
    await h.ff.idle()
  }
  h.clock.advance(end - h.clock.now())
}

const changeLogs = (h: Harness) => h.logs.filter((l) => l.msg === 'feature flag changed')
const failureLogs = (h: Harness) => h.logs.filter((l) => l.msg === 'feature flag evaluation failed')

describe('PostHog /decide?v=3', () => {
  test('issue 5: success sets the flag; the request carries api_key, token and distinct_id', async () => {
    const h = setup({ behaviour: { kind: 'flags', values: () => ({ [FLAG]: true }) } })
    await started(h)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    expect(h.ff.flags.dropLlmnrNxdomainResponses).toBe(false)
    expect(h.backend.requests).toHaveLength(1)
    const [req] = h.backend.requests
    expect(req.path).toBe('/decide')
    expect(req.search).toBe('?v=3')
    expect(req.body).toEqual({ api_key: 'phc_test', token: 'phc_test', distinct_id: 'gateway-1' })
    expect(h.ff.state.sourceOf(FLAG)).toBe('backend')
  })

  test('issue 5: flags absent from the answer are their defaults', async () => {
    const h = setup({ behaviour: { kind: 'flags', values: () => ({ 'some-other-flag': true }) } })
    await started(h)
    expect(h.ff.flags).toEqual({ icmpUnreachableInsteadOfNat64: false, dropLlmnrNxdomainResponses: false })
    expect(h.changes).toHaveLength(0)
    expect(failureLogs(h)).toHaveLength(0)
  })

  test('issue 5: a flag that disappears from a later answer goes back to its default', async () => {
    const h = setup({ behaviour: { kind: 'flags', values: () => ({ [FLAG]: true }) } })
    await started(h)
    h.backend.answer({})
    await run(h, INTERVAL_MS)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(false)
    expect(h.changes.at(-1)).toMatchObject({
      name: FLAG,
      old: true,
      new: false,
      why: 'backend',
      detail: 'absent from answer',
    })
  })

  test('issue 5: unknown flags are ignored whatever their type', async () => {
    const h = setup({
      behaviour: {
        kind: 'flags',
        values: () => ({ [FLAG]: true, 'new-thing': 'variant-b', other: { x: 1 } }),
      },
    })
    await started(h)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    expect(Object.keys(h.ff.flags)).toEqual(['icmpUnreachableInsteadOfNat64', 'dropLlmnrNxdomainResponses'])
  })

  test('PostHog errorsWhileComputingFlags: an absent flag keeps its last good value', async () => {
    const h = setup({ behaviour: { kind: 'flags', values: () => ({ [FLAG]: true }) } })
    await started(h)
    h.backend.behaviour = { kind: 'flags', values: () => ({}), errors: true }
    await run(h, INTERVAL_MS)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    // ... but only until its own grace runs out: a partial answer does not refresh it.
    await run(h, GRACE_MS - INTERVAL_MS)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(false)
    expect(h.changes.at(-1)).toMatchObject({ why: 'grace-expired' })
  })
})

describe('PostHog /flags?v=2', () => {
  test('issue 5: the v2 answer shape ({flags: {name: {enabled}}}) sets the flag', async () => {
    const h = setup({
      api: 'flags',
      behaviour: { kind: 'flags', values: () => ({ [FLAG]: true, 'drop-llmnr-nxdomain-responses': false }) },
    })
    await started(h)
    expect(h.backend.requests[0].path).toBe('/flags')
    expect(h.backend.requests[0].search).toBe('?v=2')
    expect(h.ff.flags).toEqual({ icmpUnreachableInsteadOfNat64: true, dropLlmnrNxdomainResponses: false })
  })

  test('issue 5: a v2 flag with enabled of the wrong type makes the answer invalid', async () => {
    const h = setup({ api: 'flags', behaviour: { kind: 'flags', values: () => ({ [FLAG]: 'yes' }) } })
    await started(h)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(false)
    expect(h.ff.state.failures['invalid-answer']).toBe(1)
  })
})

describe('issue 5: failures before any answer leave the defaults', () => {
  const cases: [string, Behaviour, string][] = [
    ['HTTP 500', { kind: 'status', status: 500 }, 'http-error'],
    ['malformed JSON', { kind: 'raw', body: '{"featureFlags": {"icmp-unr' }, 'malformed-json'],
    [
      'wrong types',
      { kind: 'raw', body: JSON.stringify({ featureFlags: { [FLAG]: 'true' } }) },
      'invalid-answer',
    ],
    [
      'featureFlags not an object',
      { kind: 'raw', body: JSON.stringify({ featureFlags: [true] }) },
      'invalid-answer',
    ],
    ['no featureFlags at all', { kind: 'raw', body: JSON.stringify({ ok: true }) }, 'invalid-answer'],
    [
      'quota limited',
      { kind: 'raw', body: JSON.stringify({ featureFlags: {}, quotaLimited: ['feature_flags'] }) },
      'quota-limited',
    ],
  ]
  for (const [what, behaviour, reason] of cases) {
    test(`${what} → ${reason}, logged once, flags stay false`, async () => {
      const h = setup({ behaviour })
      await started(h)
      expect(h.ff.flags).toEqual({ icmpUnreachableInsteadOfNat64: false, dropLlmnrNxdomainResponses: false })
      expect(h.ff.state.failures[reason as 'http-error']).toBe(1)
      const warns = failureLogs(h)
      expect(warns).toHaveLength(1)
      expect(warns[0].fields).toMatchObject({ reason, serving: 'defaults' })
      expect(h.changes).toHaveLength(0)
    })
  }

  test('timeout: a backend that never answers is abandoned after timeoutMs', async () => {
    const h = setup({ behaviour: { kind: 'hang' } })
    h.ff.start()
    expect(h.ff.state.evaluating).toBe(true)
    h.clock.advance(TIMEOUT_MS - 1)
    await Bun.sleep(0)
    expect(h.ff.state.evaluating).toBe(true)
    h.clock.advance(1)
    await h.ff.idle()
    expect(h.ff.state.evaluating).toBe(false)
    expect(h.ff.state.failures.timeout).toBe(1)
    expect(failureLogs(h)[0].fields).toMatchObject({ reason: 'timeout' })
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(false)
  })

  test('network: a refused connection is a failure, not a crash', async () => {
    const h = setup()
    await h.backend.stop()
    await started(h)
    expect(h.ff.state.failures.network).toBe(1)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(false)
  })

  test('start() returns at once with defaults while the backend hangs (no request blocks start-up)', () => {
    const h = setup({ behaviour: { kind: 'hang' } })
    h.ff.start()
    // Still synchronous: nothing has been awaited, the request is outstanding, the flags readable.
    expect(h.ff.state.evaluating).toBe(true)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(false)
  })
})

describe('issue 5: grace period after a success', () => {
  test('a failing re-evaluation keeps the last good value until the grace period ends, then defaults', async () => {
    const h = setup({ behaviour: { kind: 'flags', values: () => ({ [FLAG]: true }) } })
    await started(h)
    const goodAt = h.clock.now()
    h.backend.behaviour = { kind: 'status', status: 500 }
    await run(h, INTERVAL_MS)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    expect(failureLogs(h).at(-1)?.fields.serving).toBe('last good answer, until the grace period ends')
    await run(h, goodAt + GRACE_MS - 1 - h.clock.now())
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    await run(h, 1)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(false)
    expect(h.changes.at(-1)).toMatchObject({ name: FLAG, old: true, new: false, why: 'grace-expired' })
    const expired = h.logs.filter((l) => l.msg === 'feature flag answers expired; back to defaults')
    expect(expired).toHaveLength(1)
    expect(expired[0].fields).toEqual({
      flags: [FLAG, 'drop-llmnr-nxdomain-responses'],
      lastAnswerAgoMs: GRACE_MS,
    })
  })

  test('a success within the grace period renews it', async () => {
    const h = setup({ behaviour: { kind: 'flags', values: () => ({ [FLAG]: true }) } })
    await started(h)
    h.backend.behaviour = { kind: 'status', status: 500 }
    await run(h, INTERVAL_MS)
    h.backend.answer({ [FLAG]: true })
    await run(h, INTERVAL_MS)
    h.backend.behaviour = { kind: 'status', status: 503 }
    await run(h, GRACE_MS - 1)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    expect(h.changes).toHaveLength(1)
    expect(h.ff.state.failures['http-error']).toBe(1 + 2)
  })

  test('a recovered backend is logged once at info, and values return', async () => {
    const h = setup({ behaviour: { kind: 'status', status: 500 } })
    await started(h)
    h.backend.answer({ [FLAG]: true })
    await run(h, INTERVAL_MS)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    await run(h, 3 * INTERVAL_MS)
    expect(h.logs.filter((l) => l.msg === 'feature flag backend answered')).toHaveLength(1)
  })
})

describe('issue 5: change notification', () => {
  test('a flip false → true → false is seen by a subscriber within one interval each way', async () => {
    const h = setup({ behaviour: { kind: 'flags', values: () => ({ [FLAG]: false }) } })
    await started(h)
    expect(h.changes).toHaveLength(0)

    h.backend.answer({ [FLAG]: true })
    const onAt = h.clock.now()
    await run(h, INTERVAL_MS)
    expect(h.changes).toHaveLength(1)
    expect(h.changes[0]).toMatchObject({
      name: FLAG,
      accessor: 'icmpUnreachableInsteadOfNat64',
      old: false,
      new: true,
    })
    expect(h.changes[0].at - onAt).toBeLessThanOrEqual(INTERVAL_MS)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)

    h.backend.answer({ [FLAG]: false })
    const offAt = h.clock.now()
    await run(h, INTERVAL_MS)
    expect(h.changes).toHaveLength(2)
    expect(h.changes[1]).toMatchObject({ old: true, new: false, why: 'backend' })
    expect(h.changes[1].at - offAt).toBeLessThanOrEqual(INTERVAL_MS)
  })

  test('each change is logged exactly once, with old, new and why; unchanged answers log nothing', async () => {
    const h = setup({ behaviour: { kind: 'flags', values: () => ({ [FLAG]: true }) } })
    await started(h)
    await run(h, 3 * INTERVAL_MS)
    h.backend.answer({ [FLAG]: false })
    await run(h, 2 * INTERVAL_MS)
    expect(changeLogs(h).map((l) => l.fields)).toEqual([
      { flag: FLAG, old: false, new: true, why: 'backend', detail: 'answer' },
      { flag: FLAG, old: true, new: false, why: 'backend', detail: 'answer' },
    ])
    expect(h.backend.requests).toHaveLength(6)
  })

  test('an unsubscribed or throwing subscriber does not stop the others', async () => {
    const h = setup({ behaviour: { kind: 'flags', values: () => ({ [FLAG]: true }) } })
    const seen: boolean[] = []
    const off = h.ff.subscribe(() => seen.push(true))
    h.ff.subscribe(() => {
      throw new Error('boom')
    })
    off()
    await started(h)
    expect(seen).toHaveLength(0)
    expect(h.changes).toHaveLength(1)
    expect(h.logs.some((l) => l.msg === 'feature flag subscriber threw')).toBe(true)
  })
})

describe('issue 5: overrides beat the backend (CLI > env > backend > default)', () => {
  test('env GATEHOUSE_FEATURE_<NAME>=false beats a backend true', async () => {
    const h = setup({
      behaviour: { kind: 'flags', values: () => ({ [FLAG]: true }) },
      env: { GATEHOUSE_FEATURE_ICMP_UNREACHABLE_INSTEAD_OF_NAT64: 'false' },
    })
    await started(h)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(false)
    expect(h.ff.state.sourceOf(FLAG)).toBe('override')
    expect(h.changes).toHaveLength(0)
  })

  test('CLI --feature name=true beats env false and a backend false, and survives grace expiry', async () => {
    const h = setup({
      behaviour: { kind: 'flags', values: () => ({ [FLAG]: false }) },
      env: { GATEHOUSE_FEATURE_ICMP_UNREACHABLE_INSTEAD_OF_NAT64: 'false' },
      argv: ['--feature', `${FLAG}=true`],
    })
    await started(h)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    expect(h.changes).toEqual([
      expect.objectContaining({
        name: FLAG,
        old: false,
        new: true,
        why: 'override-set',
        detail: 'cli --feature',
      }),
    ])
    h.backend.behaviour = { kind: 'status', status: 500 }
    await run(h, GRACE_MS + INTERVAL_MS)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    expect(h.changes).toHaveLength(1)
  })

  test('overrides work offline, and clearing one falls back to the backend value', async () => {
    const h = setup({
      behaviour: { kind: 'flags', values: () => ({ [FLAG]: true }) },
      argv: [`--feature=${FLAG}=false`],
    })
    await started(h)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(false)
    h.ff.setOverride(FLAG, undefined)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    expect(h.changes.at(-1)).toMatchObject({ why: 'override-cleared', old: false, new: true })
  })
})

describe('issue 5: identity', () => {
  test('an identity change triggers a re-evaluation at once, for the new distinct id', async () => {
    const h = setup({
      behaviour: { kind: 'flags', values: (id) => ({ [FLAG]: id === 'client-b' }) },
      distinctId: 'client-a',
    })
    await started(h)
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(false)
    h.ff.setIdentity('client-b')
    await h.ff.idle()
    expect(h.backend.requests.map((r) => r.body.distinct_id)).toEqual(['client-a', 'client-b'])
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    // The same id again is not a change.
    h.ff.setIdentity('client-b')
    await h.ff.idle()
    expect(h.backend.requests).toHaveLength(2)
  })

  test('no distinct id yet: no request until one is set', async () => {
    const h = setup({ behaviour: { kind: 'flags', values: () => ({ [FLAG]: true }) }, distinctId: null })
    await started(h)
    await run(h, 2 * INTERVAL_MS)
    expect(h.backend.requests).toHaveLength(0)
    h.ff.setIdentity('gateway-9')
    await h.ff.idle()
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
  })

  test('an answer for a superseded identity is ignored', async () => {
    const h = setup({ behaviour: { kind: 'hang' }, distinctId: 'client-a' })
    h.ff.start()
    await Bun.sleep(5) // let the hung request reach the server
    h.backend.behaviour = { kind: 'flags', values: (id) => ({ [FLAG]: id === 'client-b' }) }
    h.ff.setIdentity('client-b')
    await h.ff.idle()
    expect(h.ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
    expect(h.ff.state.superseded).toBe(1)
    expect(failureLogs(h)).toHaveLength(0)
  })
})

describe('issue 5: offline', () => {
  test('no backend configured: defaults, no timer, no request, ever', async () => {
    const clock = new ManualClock()
    let fetched = 0
    const ff = new FeatureFlags({
      registry: GATEHOUSE_FLAGS,
      distinctId: 'gateway-1',
      clock,
      timer: clock,
      fetch: async () => {
        fetched++
        return new Response('{}')
      },
      logger: { info() {}, warn() {} },
    })
    ff.start()
    clock.advance(24 * 60 * 60 * 1000)
    await ff.idle()
    expect(fetched).toBe(0)
    expect(clock.armed).toBe(0)
    expect(ff.flags).toEqual({ icmpUnreachableInsteadOfNat64: false, dropLlmnrNxdomainResponses: false })
  })
})
