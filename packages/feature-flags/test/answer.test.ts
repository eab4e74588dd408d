import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { createAnswerParser, GATEHOUSE_FLAGS } from '../src/index.ts'

const parse = createAnswerParser(GATEHOUSE_FLAGS)
const FLAG = 'icmp-unreachable-instead-of-nat64'

describe('PostHog /decide?v=3 answer (featureFlags)', () => {
  test('booleans of known flags are read; unknown flags are ignored', () => {
    const r = parse({ featureFlags: { [FLAG]: true, 'drop-llmnr-nxdomain-responses': false, other: 'v' } })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect([...r.answer.values]).toEqual([
      [FLAG, true],
      ['drop-llmnr-nxdomain-responses', false],
    ])
    expect(r.answer.partial).toBe(false)
  })

  test('a multivariate string for a known (boolean) flag is invalid, naming the path', () => {
    const r = parse({ featureFlags: { [FLAG]: 'variant-a' } })
    expect(r).toMatchObject({ ok: false, reason: 'invalid-answer' })
    if (!r.ok) expect(r.detail).toContain(`featureFlags.${FLAG}`)
  })

  test('errorsWhileComputingFlags marks the answer partial', () => {
    const r = parse({ featureFlags: {}, errorsWhileComputingFlags: true })
    expect(r.ok && r.answer.partial).toBe(true)
  })

  test('quotaLimited: ["feature_flags"] is a failure, not "all off"', () => {
    expect(parse({ featureFlags: {}, quotaLimited: ['feature_flags'] })).toMatchObject({
      ok: false,
      reason: 'quota-limited',
    })
    expect(parse({ featureFlags: {}, quotaLimited: ['recordings'] }).ok).toBe(true)
  })
})

describe('PostHog /flags?v=2 answer (flags: {name: {enabled}})', () => {
  test('enabled is read; other detail fields pass', () => {
    const r = parse({
      flags: {
        [FLAG]: {
          key: FLAG,
          enabled: true,
          variant: null,
          reason: { code: 'condition_match' },
          metadata: { id: 1 },
        },
      },
      errorsWhileComputingFlags: false,
      requestId: 'x',
    })
    expect(r.ok && [...r.answer.values]).toEqual([[FLAG, true]])
  })

  test('a flag marked failed is left out and the answer is partial', () => {
    const r = parse({ flags: { [FLAG]: { key: FLAG, enabled: false, failed: true } } })
    expect(r.ok && r.answer.values.size).toBe(0)
    expect(r.ok && r.answer.partial).toBe(true)
  })

  test('the v2 shape wins when both are present (posthog-js responses carry both)', () => {
    const r = parse({ featureFlags: { [FLAG]: false }, flags: { [FLAG]: { enabled: true } } })
    expect(r.ok && r.answer.values.get(FLAG)).toBe(true)
  })

  test('missing enabled is invalid', () => {
    expect(parse({ flags: { [FLAG]: { key: FLAG } } })).toMatchObject({ ok: false, reason: 'invalid-answer' })
  })
})

describe('hostile answers', () => {
  test('non-objects are invalid', () => {
    for (const body of [null, 0, 'x', [], true, undefined]) expect(parse(body).ok).toBe(false)
  })

  test('any JSON value gives an answer or a reason, never a throw, and only known flags with booleans', () => {
    const known = new Set<string>(GATEHOUSE_FLAGS.specs.map((s) => s.name))
    const flagMap = fc.dictionary(
      fc.oneof(fc.constantFrom(...known), fc.string()),
      fc.oneof(fc.boolean(), fc.jsonValue(), fc.record({ enabled: fc.oneof(fc.boolean(), fc.jsonValue()) })),
    )
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record({ featureFlags: flagMap }, { requiredKeys: [] }),
      fc.record({ flags: flagMap, errorsWhileComputingFlags: fc.jsonValue() }, { requiredKeys: [] }),
    )
    fc.assert(
      fc.property(body, (b) => {
        const r = parse(b)
        if (!r.ok) return expect(typeof r.detail).toBe('string')
        for (const [name, v] of r.answer.values) {
          expect(known.has(name)).toBe(true)
          expect(typeof v).toBe('boolean')
        }
      }),
      { numRuns: 500 },
    )
  })
})
