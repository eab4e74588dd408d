import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import fc from 'fast-check'
import { comparePatterns, PatternSet, parsePattern, patternMatches } from '../src/pattern.ts'
import { arbLabel } from './helpers.ts'

// bun's default is 5 s per test (the root bunfig's [test] timeout is not read); a shared CI core needs more.
setDefaultTimeout(60_000)

// Cases ported from Firezone connlib's `dns.rs` tests (pattern_ordering, domain_pattern_matches,
// domain_pattern_does_not_match, prioritises_non_wildcard_over_wildcard_domain), rewritten here.
describe('Firezone: address pattern semantics', () => {
  const matches: [string, string, string][] = [
    ['**.example.com', 'example.com', 'double star matches the root domain'],
    ['app.**.example.com', 'app.bar.foo.example.com', 'double star matches several labels inside a name'],
    ['**.example.com', 'foo.example.com', 'double star matches one label'],
    ['**.example.com', 'foo.bar.example.com', 'double star matches two labels'],
    ['*.example.com', 'foo.example.com', 'single star matches one label'],
    ['*.example.com', 'example.com', 'single star matches the bare domain'],
    ['foo.*.example.com', 'foo.bar.example.com', 'single star matches one label inside a name'],
    ['app.*.*.example.com', 'app.foo.bar.example.com', 'single star on several labels'],
    ['app.f??.example.com', 'app.foo.example.com', 'question mark matches one character'],
    ['app.example.com', 'app.example.com', 'literal name'],
    ['*?*.example.com', 'app.example.com', 'mix of * and ?'],
    ['app.**.web.**.example.com', 'app.web.example.com', 'several double stars, each matching zero labels'],
    ['APP.Example.COM', 'app.example.com', 'RFC 4343: case does not matter'],
    ['app.example.com', 'App.Example.Com.', 'RFC 4343: case does not matter; a trailing dot neither'],
  ]
  for (const [pattern, name, why] of matches) {
    test(`${why}: ${pattern} matches ${name}`, () => expect(patternMatches(pattern, name)).toBe(true))
  }

  const misses: [string, string, string][] = [
    ['app.*.example.com', 'app.foo.bar.example.com', 'single star does not match two labels'],
    ['app.*com', 'app.foo.com', 'single star does not match a dot'],
    ['app?com', 'app.com', 'question mark does not match a dot'],
    ['*.example.com', 'notexample.com', 'the bare domain is the domain, not a suffix'],
    ['f??.example.com', 'fo.example.com', 'question mark needs a character'],
    ['example.com', 'foo.example.com', 'a literal name does not match its subdomains'],
  ]
  for (const [pattern, name, why] of misses) {
    test(`${why}: ${pattern} does not match ${name}`, () => expect(patternMatches(pattern, name)).toBe(false))
  }

  test('pattern ordering (Firezone pattern_ordering, MISSION.md: exact, ?, *, **; shorter first; from the right)', () => {
    const input = [
      '**.example.com',
      'bar.example.com',
      'foo.example.com',
      'example.com',
      '*ample.com',
      '*.bar.example.com',
      '?.example.com',
      '*.com',
      '*.example.com',
    ]
    expect([...input].sort(comparePatterns)).toEqual([
      'example.com', // shorter names first
      'bar.example.com', // literals in order
      '*.bar.example.com', // the literal difference (bar vs foo) decides before the wildcard does
      'foo.example.com',
      '?.example.com', // ? before *
      '*.example.com', // * before **
      '**.example.com',
      '*ample.com', // a literal character before a wildcard
      '*.com', // wildcards after everything literal
    ])
  })

  test('the most specific match wins: foo.example.com over **.example.com (prioritises_non_wildcard_over_wildcard_domain)', () => {
    const set = new PatternSet<string>()
    set.set('**.example.com', 'wildcard')
    set.set('foo.example.com', 'exact')
    expect(set.match('foo.example.com')).toBe('exact')
    expect(set.match('bar.example.com')).toBe('wildcard')
    expect(set.match('example.com')).toBe('wildcard')
  })

  test('?, then *, then ** for the same suffix', () => {
    const set = new PatternSet<string>()
    set.set('**.example.com', '**')
    set.set('*.example.com', '*')
    set.set('?.example.com', '?')
    expect(set.match('a.example.com')).toBe('?')
    expect(set.match('ab.example.com')).toBe('*')
    expect(set.match('example.com')).toBe('*') // bare domain of *.example.com, which sorts before **
    expect(set.match('a.b.example.com')).toBe('**')
  })
})

describe('pattern parsing', () => {
  test('refuses empty labels, ** inside a label and characters no name has', () => {
    for (const bad of ['', '.', 'a..b', 'a**.com', '***.com', 'a b.com', 'a/b.com', '[ab].com'])
      expect(parsePattern(bad)).toBeNull()
    expect(parsePattern('**.Example.com.')?.text).toBe('**.example.com')
  })

  test('PatternSet.set throws naming the field', () => {
    expect(() => new PatternSet<number>().set('a..b', 1, 'resources[3].address')).toThrow(
      'resources[3].address',
    )
  })

  test('the literal suffix filter never rejects a name the pattern matches', () => {
    const arbPatternLabel = fc.oneof(arbLabel(), fc.constantFrom('*', '**', '?', 'a*', '*b', 'c?d'))
    fc.assert(
      fc.property(
        fc.array(arbPatternLabel, { minLength: 1, maxLength: 4 }),
        fc.array(arbLabel(), { minLength: 1, maxLength: 5 }),
        (pl, nl) => {
          const p = parsePattern(pl.join('.'))
          if (p === null) return
          const name = nl.join('.').toLowerCase()
          if (patternMatches(p.text, name)) expect(name.endsWith(p.suffix)).toBe(true)
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('PatternSet against a naive model (sort everything, take the first match)', () => {
  test('same answer as a linear scan over all patterns sorted by comparePatterns', () => {
    const arbPatternLabel = fc.oneof(
      fc.constantFrom('a', 'b', 'ab', 'example', 'com'),
      fc.constantFrom('*', '**', '?', 'a*', '*b', '?b'),
    )
    const arbPattern = fc.array(arbPatternLabel, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'))
    const arbNameLabels = fc.array(fc.constantFrom('a', 'b', 'ab', 'bb', 'example', 'com'), {
      minLength: 1,
      maxLength: 5,
    })
    fc.assert(
      fc.property(
        fc.uniqueArray(arbPattern, { maxLength: 12 }),
        fc.array(arbNameLabels, { maxLength: 10 }),
        (ps, names) => {
          const valid = ps.filter((p) => parsePattern(p) !== null)
          const set = new PatternSet<string>()
          for (const p of valid) set.set(p, p)
          const sorted = [...valid].sort(comparePatterns)
          for (const labels of names) {
            const name = labels.join('.')
            const model = sorted.find((p) => patternMatches(p, name))
            expect(set.match(name)).toBe(model)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  test('deleteWhere removes by value (resources removed at run time)', () => {
    const set = new PatternSet<number>()
    set.set('a.example.com', 1)
    set.set('*.example.com', 2)
    set.set('**.com', 1)
    expect(set.deleteWhere((v) => v === 1)).toBe(2)
    expect(set.size).toBe(1)
    expect(set.match('a.example.com')).toBe(2)
    expect(set.match('x.com')).toBeUndefined()
  })
})
