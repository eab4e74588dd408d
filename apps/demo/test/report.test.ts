/** The demo's pure helpers: table layout, Prometheus parsing, ICMP naming (no root needed). */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { formatTable, wrap } from '../src/report.ts'
import { icmpText, type ScenarioResult } from '../src/scenarios.ts'
import { parseMetrics } from '../src/topology.ts'

describe('wrap', () => {
  test('lines never exceed the width and keep every word in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z]{1,12}$/), { maxLength: 30 }),
        fc.integer({ min: 12, max: 60 }),
        (words, width) => {
          const lines = wrap(words.join(' '), width)
          for (const l of lines) expect(l.length).toBeLessThanOrEqual(width)
          expect(lines.join(' ').split(' ').filter(Boolean)).toEqual(words)
        },
      ),
      { numRuns: 100 },
    )
  })

  test('a word longer than the width is cut', () => {
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij'])
  })
})

describe('formatTable', () => {
  const row = (over: Partial<ScenarioResult>): ScenarioResult => ({
    scenario: 1,
    title: 'dual-stack resource',
    flag: 'off',
    command: 'curl -4 http://dual.site.test/',
    expected: '200',
    observed: 'via 100.96.0.1: ok',
    ms: 12.4,
    pass: true,
    ...over,
  })

  test('one line per short row, a rule between scenarios, failures show what was expected', () => {
    const text = formatTable([
      row({}),
      row({ scenario: 2, pass: false, observed: 'timeout', expected: 'fails at once' }),
    ])
    const lines = text.split('\n')
    expect(lines[0]).toMatch(/^# +\| scenario/)
    expect(lines[2]).toContain('| yes')
    expect(lines[2]).toContain('|     12 |')
    expect(lines[3]).toMatch(/^-+\+/)
    expect(lines[4]).toContain('timeout [expected: fails at once]')
    expect(lines[4]).toContain('| NO')
  })
})

describe('parseMetrics', () => {
  test('Prometheus text to name{labels} -> value, comments skipped', () => {
    const m = parseMetrics(
      '# HELP gatehouse_drops_total x\n# TYPE gatehouse_drops_total counter\ngatehouse_drops_total{reason="spoofed-source"} 3\ngatehouse_nat_sessions{protocol="udp"} 0\n',
    )
    expect(m.get('gatehouse_drops_total{reason="spoofed-source"}')).toBe(3)
    expect(m.get('gatehouse_nat_sessions{protocol="udp"}')).toBe(0)
    expect(m.size).toBe(2)
  })
})

describe('icmpText', () => {
  test('RFC 792 / RFC 4443 names of the unreachables the scenarios expect', () => {
    expect(icmpText({ from: '100.64.0.1', type: 3, code: 13, v6: false })).toBe(
      'ICMP 3/13 administratively prohibited from 100.64.0.1',
    )
    expect(icmpText({ from: 'fd00:2021:1111::1', type: 1, code: 3, v6: true })).toBe(
      'ICMPv6 1/3 address unreachable from fd00:2021:1111::1',
    )
    expect(icmpText(undefined)).toBe('no ICMP')
  })
})
