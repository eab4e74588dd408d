import { describe, expect, test } from 'bun:test'
import {
  compareRecords,
  formatNs,
  formatRatio,
  markdown,
  mergeRounds,
  noiseBand,
  summarize,
  summaryLine,
  verdict,
} from '../src/compare.ts'
import { bench, record } from './fixtures/records.ts'

describe('verdict', () => {
  test('overlapping p25-p75 ranges are noise even when the p50 ratio is large', () => {
    // p50 doubles, but head's p25 (95) is below base's p75 (300): a rerun could show the same.
    expect(verdict({ p25: 90, p50: 100, p75: 300 }, { p25: 95, p50: 200, p75: 400 })).toBe('noise')
    // Touching ranges count as overlapping.
    expect(verdict({ p25: 90, p50: 100, p75: 110 }, { p25: 110, p50: 150, p75: 160 })).toBe('noise')
  })

  test('disjoint ranges and head/base at or beyond 1 + threshold is a regression', () => {
    expect(verdict({ p25: 95, p50: 100, p75: 105 }, { p25: 106, p50: 111, p75: 112 })).toBe('regression')
    expect(verdict({ p25: 95, p50: 100, p75: 105 }, { p25: 140, p50: 150, p75: 160 })).toBe('regression')
  })

  test('disjoint ranges below the threshold are unchanged', () => {
    expect(verdict({ p25: 99, p50: 100, p75: 101 }, { p25: 104, p50: 105, p75: 106 })).toBe('unchanged')
    expect(verdict({ p25: 99, p50: 100, p75: 101 }, { p25: 94, p50: 95, p75: 96 })).toBe('unchanged')
  })

  test('disjoint ranges and head/base at or below 1 / (1 + threshold) is faster', () => {
    expect(verdict({ p25: 95, p50: 100, p75: 105 }, { p25: 60, p50: 62, p75: 64 })).toBe('faster')
    expect(verdict({ p25: 108, p50: 111, p75: 115 }, { p25: 96, p50: 100, p75: 104 })).toBe('faster')
  })

  test('the threshold is a parameter', () => {
    const base = { p25: 99, p50: 100, p75: 101 }
    const head = { p25: 104, p50: 105, p75: 106 }
    expect(verdict(base, head, 0.1)).toBe('unchanged')
    expect(verdict(base, head, 0.05)).toBe('regression')
  })

  test('swapping base and head swaps regression and faster, for every ratio on a grid', () => {
    const flip = {
      regression: 'faster',
      faster: 'regression',
      unchanged: 'unchanged',
      noise: 'noise',
    } as const
    for (const threshold of [0.05, 0.1, 0.25])
      for (let p50 = 50.25; p50 <= 200; p50 += 1.5)
        for (const spread of [0, 0.01, 0.08, 0.3]) {
          const base = { p25: 100 * (1 - spread), p50: 100, p75: 100 * (1 + spread) }
          const head = { p25: p50 * (1 - spread), p50, p75: p50 * (1 + spread) }
          const v = verdict(base, head, threshold)
          expect(v === 'new' || v === 'removed').toBe(false)
          expect(verdict(head, base, threshold)).toBe(flip[v as keyof typeof flip])
        }
  })

  test('one side missing is new or removed', () => {
    expect(verdict(null, { p25: 1, p50: 2, p75: 3 })).toBe('new')
    expect(verdict({ p25: 1, p50: 2, p75: 3 }, null)).toBe('removed')
    expect(() => verdict(null, null)).toThrow()
  })

  test('records without p25/p75 (older format) are judged on the ratio alone', () => {
    expect(verdict({ p50: 100 }, { p50: 120 })).toBe('regression')
    expect(verdict({ p50: 100 }, { p50: 101 })).toBe('unchanged')
  })

  test('a zero base p50 gives no ratio and no verdict of change', () => {
    expect(verdict({ p50: 0 }, { p50: 5 })).toBe('unchanged')
  })
})

describe('units', () => {
  test('three significant figures, scaled to ns, µs, ms or s', () => {
    expect(formatNs(0.572021484375)).toBe('0.572 ns')
    expect(formatNs(0.05)).toBe('0.0500 ns')
    expect(formatNs(3)).toBe('3.00 ns')
    expect(formatNs(12.34)).toBe('12.3 ns')
    expect(formatNs(178.38)).toBe('178 ns')
    expect(formatNs(1234)).toBe('1.23 µs')
    expect(formatNs(45_678)).toBe('45.7 µs')
    expect(formatNs(1_234_567)).toBe('1.23 ms')
    expect(formatNs(2.5e9)).toBe('2.50 s')
    expect(formatNs(0)).toBe('0 ns')
  })

  test('rounding up across a unit boundary moves to the next unit', () => {
    expect(formatNs(999.7)).toBe('1.00 µs')
    expect(formatNs(999_600)).toBe('1.00 ms')
  })

  test('missing or non-finite values print as a dash', () => {
    expect(formatNs(null)).toBe('–')
    expect(formatNs(undefined)).toBe('–')
    expect(formatNs(Number.NaN)).toBe('–')
  })

  test('ratios', () => {
    expect(formatRatio(1.1649)).toBe('1.16×')
    expect(formatRatio(12.345)).toBe('12.3×')
    expect(formatRatio(null)).toBe('')
  })
})

describe('compareRecords and markdown', () => {
  const base = [
    record('@gatehouse/a', [
      bench('same', 99, 100, 101),
      bench('slower', 95, 100, 105),
      bench('gone', 9, 10, 11),
      bench('noisy', 50, 100, 300),
    ]),
    record('@gatehouse/b', [bench('quick', 1900, 2000, 2100)]),
  ]
  const head = [
    record('@gatehouse/a', [
      bench('same', 99, 100.5, 101),
      bench('slower', 125, 130, 135),
      bench('added', 1, 2, 3),
      bench('noisy', 60, 200, 400),
    ]),
    record('@gatehouse/b', [bench('quick', 950, 1000, 1050)]),
  ]
  const rows = compareRecords(base, head)

  test('one row per benchmark of either side, changes first', () => {
    expect(rows.map((r) => [r.package, r.name, r.verdict])).toEqual([
      ['@gatehouse/a', 'slower', 'regression'],
      ['@gatehouse/b', 'quick', 'faster'],
      ['@gatehouse/a', 'added', 'new'],
      ['@gatehouse/a', 'gone', 'removed'],
      ['@gatehouse/a', 'noisy', 'noise'],
      ['@gatehouse/a', 'same', 'noise'],
    ])
    expect(rows[0].ratio).toBeCloseTo(1.3)
    expect(rows[2].ratio).toBeNull()
  })

  test('the same name in two packages is two benchmarks', () => {
    const r = compareRecords([record('p', [bench('x', 1, 2, 3)]), record('q', [bench('x', 1, 2, 3)])], [])
    expect(r.map((x) => `${x.package} ${x.name} ${x.verdict}`)).toEqual(['p x removed', 'q x removed'])
  })

  test('a name repeated within one record is kept apart as #2', () => {
    const r = compareRecords([], [record('p', [bench('x', 1, 2, 3), bench('x', 4, 5, 6)])])
    expect(r.map((x) => [x.name, x.head?.p50])).toEqual([
      ['x', 2],
      ['x #2', 5],
    ])
  })

  test('summary counts', () => {
    expect(summarize(rows)).toEqual({ faster: 1, slower: 1, unchanged: 2, noise: 2, new: 1, removed: 1 })
    expect(summaryLine(summarize(rows))).toBe(
      '1 faster, 1 slower, 2 unchanged (2 within noise), 1 new, 1 removed',
    )
  })

  test('the report has the summary at the top, scaled units and one table row per benchmark', () => {
    const md = markdown(rows, { title: 'T', notes: ['note one'] })
    const lines = md.split('\n')
    expect(lines[0]).toBe('### T')
    expect(lines[2]).toBe('**1 faster, 1 slower, 2 unchanged (2 within noise), 1 new, 1 removed**')
    expect(md).toContain('note one')
    expect(md).toContain('| a · slower | 100 ns | 130 ns | 1.30× | **regression** |')
    expect(md).toContain('| b · quick | 2.00 µs | 1.00 µs | 0.50× | **faster** |')
    expect(md).toContain('| a · added | – | 2.00 ns |  | new |')
    expect(md).toContain('| a · gone | 10.0 ns | – |  | removed |')
    expect(md).toContain('| a · noisy | 100 ns | 200 ns | 2.00× | unchanged (noise) |')
    expect(lines.filter((l) => l.startsWith('| ') && !l.startsWith('| benchmark')).length).toBe(rows.length)
  })

  test('pipes in names do not break the table', () => {
    const md = markdown(compareRecords([], [record('p', [bench('a|b', 1, 2, 3)])]))
    expect(md).toContain('| p · a\\|b |')
  })
})

describe('mergeRounds', () => {
  test('quantiles are medians over rounds, min/max the extremes, samples summed', () => {
    const rounds = [
      [record('p', [bench('x', 10, 20, 30), bench('y', 1, 2, 3)])],
      [record('p', [bench('x', 12, 22, 32)])],
      [record('p', [bench('x', 100, 200, 300), bench('y', 3, 4, 5)])],
    ]
    const [merged] = mergeRounds(rounds)
    expect(merged.package).toBe('p')
    expect(merged.rounds).toBe(3)
    const x = merged.benchmarks.find((b) => b.name === 'x')!
    expect([x.p25, x.p50, x.p75]).toEqual([12, 22, 32])
    expect(x.min).toBe(5)
    expect(x.max).toBe(900)
    expect(x.samples).toBe(300)
    // y ran in two rounds: the median of two is their mean.
    const y = merged.benchmarks.find((b) => b.name === 'y')!
    expect([y.p25, y.p50, y.p75]).toEqual([2, 3, 4])
  })

  test('packages stay apart', () => {
    const merged = mergeRounds([[record('p', [bench('x', 1, 2, 3)]), record('q', [bench('x', 4, 5, 6)])]])
    expect(merged.map((r) => [r.package, r.benchmarks[0].p50])).toEqual([
      ['p', 2],
      ['q', 5],
    ])
  })
})

describe('noise band across rounds', () => {
  test("rounds whose p50s straddle the other side's are noise, though each round's p25-p75 is tight", () => {
    // Two processes of the same code: 100 and 130 ns, each tight within itself; head measured 128 and 129.
    const base = mergeRounds([
      [record('p', [bench('x', 99, 100, 101)])],
      [record('p', [bench('x', 129, 130, 131)])],
    ])
    const head = mergeRounds([
      [record('p', [bench('x', 127, 128, 129)])],
      [record('p', [bench('x', 128, 129, 130)])],
    ])
    expect(base[0].benchmarks[0].roundP50s).toEqual([100, 130])
    const [row] = compareRecords(base, head)
    expect(row.ratio).toBeCloseTo(128.5 / 115)
    expect(row.verdict).toBe('noise')
    // Without the rounds' p50s (one merged figure each), the same medians would read as a regression.
    expect(verdict({ p25: 114, p50: 115, p75: 116 }, { p25: 127.5, p50: 128.5, p75: 129.5 })).toBe(
      'regression',
    )
  })

  test('rounds that agree with each other leave a real change a change', () => {
    const base = mergeRounds([
      [record('p', [bench('x', 99, 100, 101)])],
      [record('p', [bench('x', 100, 101, 102)])],
    ])
    const head = mergeRounds([
      [record('p', [bench('x', 119, 120, 121)])],
      [record('p', [bench('x', 121, 122, 123)])],
    ])
    expect(compareRecords(base, head)[0].verdict).toBe('regression')
  })

  test('noiseBand: p25..p75 widened to the rounds, or only the rounds, or none', () => {
    expect(noiseBand({ p25: 10, p50: 11, p75: 12, roundP50s: [9, 13] })).toEqual([9, 13])
    expect(noiseBand({ p25: 10, p50: 11, p75: 12, roundP50s: [11] })).toEqual([10, 12])
    expect(noiseBand({ p50: 11, roundP50s: [10, 12] })).toEqual([10, 12])
    expect(noiseBand({ p50: 11 })).toBeNull()
  })
})

describe('markdown layout', () => {
  const rows = compareRecords(
    [record('p', [bench('a', 9, 10, 11), bench('b', 9, 10, 11)])],
    [record('p', [bench('a', 19, 20, 21), bench('b', 9, 10, 11)])],
  )

  test('changes first, the unchanged rows folded in <details>', () => {
    const md = markdown(rows)
    const changes = md.indexOf('| p · a |')
    const details = md.indexOf('<details><summary>1 unchanged</summary>')
    expect(changes).toBeGreaterThan(0)
    expect(details).toBeGreaterThan(changes)
    expect(md.indexOf('| p · b |')).toBeGreaterThan(details)
    expect(md.indexOf('</details>')).toBeGreaterThan(md.indexOf('| p · b |'))
  })

  test('no changes says so; foldUnchanged: false gives one table', () => {
    const same = compareRecords(
      [record('p', [bench('b', 9, 10, 11)])],
      [record('p', [bench('b', 9, 10, 11)])],
    )
    expect(markdown(same)).toContain('No change beyond noise and the threshold.')
    const flat = markdown(rows, { foldUnchanged: false })
    expect(flat).not.toContain('<details>')
    expect(flat.match(/\| benchmark \|/g)?.length).toBe(1)
  })
})
