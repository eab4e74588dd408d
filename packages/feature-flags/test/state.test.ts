/** Unit tests of the sans-IO core's edges; the model test covers the general behaviour. */
import { describe, expect, test } from 'bun:test'
import { type Answer, FlagState, GATEHOUSE_FLAGS } from '../src/index.ts'

const FLAG = 'icmp-unreachable-instead-of-nat64'
const on: Answer = { values: new Map([[FLAG, true]]), partial: false }

function make(remote = true, distinctId: string | null = 'gw') {
  return new FlagState(GATEHOUSE_FLAGS, { remote, distinctId, intervalMs: 100, graceMs: 350 }, 0)
}

describe('issue 5: sans-IO core', () => {
  test('offline: never a request, never a timeout', () => {
    const s = make(false)
    expect(s.pollRequest(0)).toBeNull()
    expect(s.pollTimeout()).toBeNull()
  })

  test('the first evaluation is due at construction, the next one interval after the outcome', () => {
    const s = make()
    expect(s.pollTimeout()).toBe(0)
    const req = s.pollRequest(0)!
    expect(req).toEqual({ seq: 1, distinctId: 'gw' })
    expect(s.pollRequest(0)).toBeNull() // one at a time
    expect(s.pollTimeout()).toBeNull()
    expect(s.handleAnswer(7, req.seq, on)).toBe(true)
    expect(s.pollTimeout()).toBe(107)
    expect(s.pollRequest(106)).toBeNull()
    expect(s.pollRequest(107)?.seq).toBe(2)
  })

  test('a grace deadline is a timeout even while a request is outstanding', () => {
    const s = make()
    s.handleAnswer(0, s.pollRequest(0)!.seq, on)
    s.pollRequest(100)
    expect(s.pollTimeout()).toBe(350)
    s.handleTimeout(349)
    expect(s.values.icmpUnreachableInsteadOfNat64).toBe(true)
    s.handleTimeout(350)
    expect(s.values.icmpUnreachableInsteadOfNat64).toBe(false)
    expect(s.pollEvent()).toMatchObject({ kind: 'change', why: 'backend', new: true })
    expect(s.pollEvent()).toEqual({
      kind: 'grace-expired',
      names: [FLAG, 'drop-llmnr-nxdomain-responses'],
      lastGoodAt: 0,
      at: 350,
    })
    expect(s.pollEvent()).toMatchObject({
      kind: 'change',
      why: 'grace-expired',
      old: true,
      new: false,
      at: 350,
    })
    expect(s.pollEvent()).toBeNull()
    // An extra call is a no-op.
    s.handleTimeout(350)
    expect(s.pollEvent()).toBeNull()
  })

  test('outcomes for unknown or superseded requests are ignored and counted', () => {
    const s = make()
    const req = s.pollRequest(0)!
    expect(s.handleAnswer(0, req.seq + 1, on)).toBe(false)
    expect(s.handleFailure(0, 0, 'timeout')).toBe(false)
    s.setIdentity(1, 'gw-2')
    expect(s.handleAnswer(2, req.seq, on)).toBe(false)
    expect(s.superseded).toBe(3)
    expect(s.failures.timeout).toBe(0)
    expect(s.values.icmpUnreachableInsteadOfNat64).toBe(false)
    expect(s.pollRequest(2)).toEqual({ seq: 2, distinctId: 'gw-2' })
  })

  test('overrides given at construction are applied, and reported when they differ from the default', () => {
    const s = new FlagState(
      GATEHOUSE_FLAGS,
      {
        remote: false,
        distinctId: null,
        intervalMs: 1,
        graceMs: 1,
        overrides: {
          [FLAG]: { value: true, origin: 'cli --feature' },
          'drop-llmnr-nxdomain-responses': { value: false, origin: 'env X' },
        },
      },
      5,
    )
    expect(s.values).toEqual({ icmpUnreachableInsteadOfNat64: true, dropLlmnrNxdomainResponses: false })
    expect(s.pollEvent()).toEqual({
      kind: 'change',
      name: FLAG,
      accessor: 'icmpUnreachableInsteadOfNat64',
      old: false,
      new: true,
      why: 'override-set',
      detail: 'cli --feature',
      at: 5,
    })
    expect(s.pollEvent()).toBeNull()
    expect(s.sourceOf('drop-llmnr-nxdomain-responses')).toBe('override')
  })

  test('evaluateNow makes an evaluation due; during one, it is absorbed by the outstanding answer', () => {
    const s = make()
    s.handleAnswer(0, s.pollRequest(0)!.seq, on)
    s.evaluateNow(10)
    const req = s.pollRequest(10)!
    s.evaluateNow(11)
    expect(s.pollRequest(11)).toBeNull()
    s.handleFailure(12, req.seq, 'network')
    expect(s.pollTimeout()).toBe(112)
    expect(s.failures.network).toBe(1)
  })

  test('bad timings are refused, naming the field', () => {
    expect(
      () => new FlagState(GATEHOUSE_FLAGS, { remote: true, distinctId: null, intervalMs: 0, graceMs: 1 }, 0),
    ).toThrow('intervalMs')
    expect(
      () => new FlagState(GATEHOUSE_FLAGS, { remote: true, distinctId: null, intervalMs: 1, graceMs: -1 }, 0),
    ).toThrow('graceMs')
  })
})
