/** The shell with its real defaults: performance.now, setTimeout, fetch and the stderr JSON-line logger. */
import { afterEach, expect, spyOn, test } from 'bun:test'
import { FeatureFlags, type FlagChange, GATEHOUSE_FLAGS, stderrLogger } from '../src/index.ts'
import { type FakeBackend, startBackend } from './helpers/backend.ts'

const FLAG = 'icmp-unreachable-instead-of-nat64'
let backend: FakeBackend | null = null
let ff: FeatureFlags<typeof GATEHOUSE_FLAGS> | null = null

afterEach(async () => {
  ff?.stop()
  await backend?.stop()
})

test('issue 5: with the real timer, a backend flip reaches a subscriber (liveness, not timing)', async () => {
  backend = startBackend({ kind: 'flags', values: () => ({ [FLAG]: false }) })
  ff = new FeatureFlags({
    registry: GATEHOUSE_FLAGS,
    backend: { url: backend.url, apiKey: 'k', intervalMs: 50, timeoutMs: 40, graceMs: 1000 },
    distinctId: 'gw',
    logger: { info() {}, warn() {} },
  })
  const flipped = new Promise<FlagChange>((resolve) => ff!.subscribe(resolve))
  ff.start()
  await ff.idle()
  backend.answer({ [FLAG]: true })
  const change = await flipped
  expect(change).toMatchObject({ name: FLAG, old: false, new: true, why: 'backend' })
  expect(ff.flags.icmpUnreachableInsteadOfNat64).toBe(true)
  expect(backend.requests.length).toBeGreaterThanOrEqual(2)
})

test('the default logger writes one JSON line per event: time, severity, message, fields', () => {
  const spy = spyOn(console, 'error').mockImplementation(() => {})
  try {
    stderrLogger.info('feature flag changed', { flag: FLAG, old: false, new: true, why: 'backend' })
    stderrLogger.warn('feature flag evaluation failed', { reason: 'timeout' })
    const lines = spy.mock.calls.map((c) => JSON.parse(String(c[0])))
    expect(lines[0]).toMatchObject({
      severity: 'INFO',
      message: 'feature flag changed',
      flag: FLAG,
      new: true,
    })
    expect(lines[1]).toMatchObject({
      severity: 'WARN',
      message: 'feature flag evaluation failed',
      reason: 'timeout',
    })
    expect(Number.isNaN(Date.parse(lines[0].time))).toBe(false)
  } finally {
    spy.mockRestore()
  }
})

test('stop() aborts an outstanding request and drops its outcome', async () => {
  backend = startBackend({ kind: 'hang' })
  ff = new FeatureFlags({
    registry: GATEHOUSE_FLAGS,
    backend: { url: backend.url, apiKey: 'k' },
    distinctId: 'gw',
    logger: { info() {}, warn() {} },
  })
  ff.start()
  ff.stop()
  await ff.idle()
  expect(ff.state.failures.network + ff.state.failures.timeout).toBe(0) // outcome after stop is dropped
  expect(ff.flags.icmpUnreachableInsteadOfNat64).toBe(false)
})
