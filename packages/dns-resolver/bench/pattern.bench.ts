/**
 * Matching a name against 1,000 resource patterns (issue 6), side by side with a naive linear
 * scan over the same patterns in the same order (the model the tests compare against).
 */
import { bench, do_not_optimize, summary } from 'mitata'
import { comparePatterns, PatternSet, parsePattern, patternMatches } from '../src/pattern.ts'

// Deterministic pseudo-random patterns: 2-4 labels of 3 letters, a third with a wildcard in front.
let seed = 12345
const rnd = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % n
}
const label = () => String.fromCharCode(97 + rnd(26), 97 + rnd(26), 97 + rnd(26))
const patterns: string[] = []
while (patterns.length < 1000) {
  const labels = Array.from({ length: 2 + rnd(3) }, label)
  const kind = rnd(6)
  if (kind === 0) labels[0] = '*'
  else if (kind === 1) labels[0] = '**'
  else if (kind === 2) labels[0] = `${labels[0].slice(0, 2)}?`
  const p = labels.join('.')
  if (parsePattern(p) !== null && !patterns.includes(p)) patterns.push(p)
}
const set = new PatternSet<number>()
for (const [i, p] of patterns.entries()) set.set(p, i)
const sorted = [...patterns].sort(comparePatterns)

// A name matched by the last wildcard pattern in order (the slowest hit), an exact hit, a miss.
const lastWild = set.texts().at(-1)!
export const hitLast = lastWild.replace(/^\*\*?/, 'x').replace(/\?/g, 'z')
const exact = patterns.find((p) => !p.includes('*') && !p.includes('?'))!
const miss = 'nothing.here.example'
if (set.match(hitLast) === undefined) throw new Error(`bench setup: ${hitLast} does not match ${lastWild}`)

export function matchLast(): unknown {
  return set.match(hitLast)
}

// The worst case for the index: 1,000 wildcard patterns under one domain (one bucket).
const oneDomain = new PatternSet<number>()
for (let i = 0; i < 1000; i++)
  oneDomain.set(`${i % 3 === 0 ? '*' : `svc${i}-*`}.team${i}.corp.example.com`, i)
const oneDomainMiss = 'host.nowhere.corp.example.com'
const oneDomainLast = 'x.team999.corp.example.com'
if (oneDomain.match(oneDomainLast) === undefined) throw new Error('bench setup: no match')

summary(() => {
  bench('PatternSet: 1,000 patterns, hit on the last wildcard', () => do_not_optimize(matchLast()))
  bench('PatternSet: 1,000 patterns, exact name', () => do_not_optimize(set.match(exact)))
  bench('PatternSet: 1,000 patterns, miss', () => do_not_optimize(set.match(miss)))
  bench('PatternSet: 1,000 patterns under one domain, miss', () =>
    do_not_optimize(oneDomain.match(oneDomainMiss)),
  )
  bench('PatternSet: 1,000 patterns under one domain, hit', () =>
    do_not_optimize(oneDomain.match(oneDomainLast)),
  )
  bench('naive: sorted linear scan, hit on the last wildcard', () =>
    do_not_optimize(sorted.find((p) => patternMatches(p, hitLast))),
  )
})
