import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { camelCase, defineFlags, FlagState, GATEHOUSE_FLAGS, type GatehouseFlags } from '../src/index.ts'

describe('issue 5: typed registry', () => {
  test('the first two flags, off by default, with their accessors', () => {
    expect(GATEHOUSE_FLAGS.specs.map((s) => [s.name, s.accessor, s.default])).toEqual([
      ['icmp-unreachable-instead-of-nat64', 'icmpUnreachableInsteadOfNat64', false],
      ['drop-llmnr-nxdomain-responses', 'dropLlmnrNxdomainResponses', false],
    ])
    for (const s of GATEHOUSE_FLAGS.specs) expect(s.description.length).toBeGreaterThan(20)
  })

  test('the values object has one boolean field per flag and nothing else', () => {
    const s = new FlagState(
      GATEHOUSE_FLAGS,
      { remote: false, distinctId: null, intervalMs: 1, graceMs: 1 },
      0,
    )
    const v: GatehouseFlags = s.values
    expect(v).toEqual({ icmpUnreachableInsteadOfNat64: false, dropLlmnrNxdomainResponses: false })
  })

  test('camelCase turns kebab-case into the accessor', () => {
    expect(camelCase('a-b2-c')).toBe('aB2C')
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/), { minLength: 1, maxLength: 5 }),
        (parts) => {
          const c = camelCase(parts.join('-'))
          expect(c).not.toContain('-')
          expect(c.toLowerCase()).toBe(parts.join(''))
        },
      ),
      { numRuns: 200 },
    )
  })

  test('malformed declarations throw, naming the flag', () => {
    const spec = { name: 'x-y', accessor: 'xY', default: false, description: 'd' } as const
    expect(() => defineFlags([{ ...spec, name: 'X_Y', accessor: 'X_Y' }] as const)).toThrow(
      "'X_Y' is not kebab-case",
    )
    // @ts-expect-error the accessor must be the camelCase of the name
    expect(() => defineFlags([{ ...spec, accessor: 'xy' }] as const)).toThrow("must be 'xY'")
    expect(() => defineFlags([{ ...spec, description: ' ' }] as const)).toThrow('description')
    expect(() => defineFlags([spec, spec] as const)).toThrow('twice')
  })

  test('an unknown flag name is a programmer error', () => {
    const s = new FlagState(
      GATEHOUSE_FLAGS,
      { remote: false, distinctId: null, intervalMs: 1, graceMs: 1 },
      0,
    )
    expect(() => s.setOverride(0, 'nope', { value: true, origin: 't' })).toThrow(
      "unknown feature flag 'nope'",
    )
    expect(() => s.sourceOf('nope')).toThrow()
  })
})
