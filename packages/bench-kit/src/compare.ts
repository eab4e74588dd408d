/**
 * Compares two sets of benchmark records (base and head of a pull request, measured on one
 * machine) and renders a Markdown table with a verdict per benchmark.
 *
 * The noise rule: each side's noise band is its p25-p75 range (the middle half of mitata's samples),
 * widened to take in every round's p50 when the side was merged from several runs. The widening
 * matters: within one process the samples are tight, but JSC's tier-up and inlining decisions differ
 * from process to process, so the same code measured in two processes can differ by 10-20% with
 * disjoint p25-p75 ranges (seen here in an A/A run: main against itself). When the bands overlap, the
 * difference is within what a rerun of the same code shows, so the verdict is "unchanged (noise)"
 * however large the p50 ratio looks. Only when they are disjoint does the p50 ratio head/base decide:
 * at least `1 + threshold` is a regression, at most `1 / (1 + threshold)` is faster (so swapping base
 * and head swaps the two verdicts), anything between is unchanged. Ratios, not absolute figures, carry
 * between noisy shared machines.
 */
import type { Benchmark, BenchRecord } from './kit.ts'

export type Verdict = 'regression' | 'faster' | 'unchanged' | 'noise' | 'new' | 'removed'

/** The figures a verdict needs; p25/p75 may be missing from older records, roundP50s from single runs. */
export type Quantiles = Pick<Benchmark, 'p50'> & Partial<Pick<Benchmark, 'p25' | 'p75' | 'roundP50s'>>

/** The noise band: p25..p75 widened to every round's p50; null when there is nothing to make one of. */
export function noiseBand(q: Quantiles): [number, number] | null {
  const rounds = q.roundP50s && q.roundP50s.length > 1 ? q.roundP50s : []
  if ((q.p25 === undefined || q.p75 === undefined) && rounds.length === 0) return null
  const lo = Math.min(q.p25 ?? Number.POSITIVE_INFINITY, ...rounds)
  const hi = Math.max(q.p75 ?? Number.NEGATIVE_INFINITY, ...rounds)
  return [lo, hi]
}

export const DEFAULT_THRESHOLD = 0.1

/** The verdict for one benchmark; `null` means the side does not have it. */
export function verdict(
  base: Quantiles | null,
  head: Quantiles | null,
  threshold = DEFAULT_THRESHOLD,
): Verdict {
  if (base === null && head === null) throw new Error('verdict: neither side has the benchmark')
  if (base === null) return 'new'
  if (head === null) return 'removed'
  const b = noiseBand(base)
  const h = noiseBand(head)
  if (b && h && h[0] <= b[1] && b[0] <= h[1]) return 'noise'
  const r = ratio(base, head)
  if (r === null) return 'unchanged'
  if (r >= 1 + threshold) return 'regression'
  if (r <= 1 / (1 + threshold)) return 'faster'
  return 'unchanged'
}

/** head/base of the p50s, or null when it is not a finite positive number. */
export function ratio(base: Quantiles, head: Quantiles): number | null {
  const r = head.p50 / base.p50
  return Number.isFinite(r) && r > 0 ? r : null
}

export interface Row {
  package: string
  name: string
  base: Benchmark | null
  head: Benchmark | null
  ratio: number | null
  verdict: Verdict
}

/**
 * Benchmarks of `records` keyed by package and name. A name repeated within one package (two
 * mitata groups with the same case name) gets ` #2`, ` #3` so that neither hides the other.
 */
export function byKey(
  records: BenchRecord[],
): Map<string, { package: string; name: string; bench: Benchmark }> {
  const out = new Map<string, { package: string; name: string; bench: Benchmark }>()
  for (const rec of records) {
    for (const b of rec.benchmarks) {
      let name = b.name
      for (let n = 2; out.has(`${rec.package}\0${name}`); n++) name = `${b.name} #${n}`
      out.set(`${rec.package}\0${name}`, { package: rec.package, name, bench: b })
    }
  }
  return out
}

/** Row order: changes first; unchanged and noise together, by package and name. */
const RANK: Record<Verdict, number> = { regression: 0, faster: 1, new: 2, removed: 3, unchanged: 4, noise: 4 }

/** One row per benchmark on either side: changes first (regressions, faster, new, removed), then by package and name. */
export function compareRecords(
  base: BenchRecord[],
  head: BenchRecord[],
  threshold = DEFAULT_THRESHOLD,
): Row[] {
  const b = byKey(base)
  const h = byKey(head)
  const rows: Row[] = []
  for (const key of new Set([...b.keys(), ...h.keys()])) {
    const x = b.get(key) ?? null
    const y = h.get(key) ?? null
    const id = (x ?? y)!
    rows.push({
      package: id.package,
      name: id.name,
      base: x?.bench ?? null,
      head: y?.bench ?? null,
      ratio: x && y ? ratio(x.bench, y.bench) : null,
      verdict: verdict(x?.bench ?? null, y?.bench ?? null, threshold),
    })
  }
  return rows.sort(
    (p, q) => RANK[p.verdict] - RANK[q.verdict] || cmp(p.package, q.package) || cmp(p.name, q.name),
  )
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export interface Summary {
  faster: number
  slower: number
  /** Unchanged, including those within noise. */
  unchanged: number
  noise: number
  new: number
  removed: number
}

export function summarize(rows: Row[]): Summary {
  const n = (v: Verdict) => rows.filter((r) => r.verdict === v).length
  return {
    faster: n('faster'),
    slower: n('regression'),
    unchanged: n('unchanged') + n('noise'),
    noise: n('noise'),
    new: n('new'),
    removed: n('removed'),
  }
}

const UNITS: [number, string][] = [
  [1e9, 's'],
  [1e6, 'ms'],
  [1e3, 'µs'],
  [1, 'ns'],
]

/** A duration given in ns, to three significant figures in ns, µs, ms or s: `0.572 ns`, `178 ns`, `1.23 µs`. */
export function formatNs(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || !Number.isFinite(ns)) return '–'
  const rounded = Number(ns.toPrecision(3))
  const [scale, unit] = UNITS.find(([s]) => Math.abs(rounded) >= s) ?? UNITS[UNITS.length - 1]
  return `${Number((rounded / scale).toPrecision(3)).toFixed(precision(rounded / scale))} ${unit}`
}

/** Decimals that show three significant figures (1.23, 12.3, 123), at least up to 3 decimals below 1. */
function precision(v: number): number {
  const a = Math.abs(v)
  if (a >= 100) return 0
  if (a >= 10) return 1
  if (a >= 1) return 2
  if (a === 0) return 0
  return Math.min(6, 2 - Math.floor(Math.log10(a)))
}

export function formatRatio(r: number | null): string {
  if (r === null) return ''
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`
}

const LABEL: Record<Verdict, string> = {
  regression: '**regression**',
  faster: '**faster**',
  unchanged: 'unchanged',
  noise: 'unchanged (noise)',
  new: 'new',
  removed: 'removed',
}

/** A package name without its scope: `@gatehouse/nat64` → `nat64`. */
export function shortName(pkg: string): string {
  return pkg.replace(/^@[^/]+\//, '')
}

function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ')
}

export interface MarkdownOptions {
  threshold?: number
  /** Heading line (without `#`); none when omitted. */
  title?: string
  /** Lines under the summary (machine, refs, rounds). */
  notes?: string[]
  /**
   * Put the unchanged rows in a collapsed `<details>` block under the changes (default true), so a
   * pull-request comment shows what moved first; false gives one table.
   */
  foldUnchanged?: boolean
}

/** The summary line alone: `1 faster, 2 slower, 40 unchanged (3 within noise), 1 new, 0 removed`. */
export function summaryLine(s: Summary): string {
  return `${s.faster} faster, ${s.slower} slower, ${s.unchanged} unchanged (${s.noise} within noise), ${s.new} new, ${s.removed} removed`
}

function table(rows: Row[]): string[] {
  return [
    '| benchmark | base p50 | head p50 | head/base | verdict |',
    '|---|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${cell(`${shortName(r.package)} · ${r.name}`)} | ${formatNs(r.base?.p50)} | ${formatNs(r.head?.p50)} | ${formatRatio(r.ratio)} | ${LABEL[r.verdict]} |`,
    ),
  ]
}

/** The Markdown report: title, summary line, notes, the table(s) and the rule that made the verdicts. */
export function markdown(rows: Row[], opts: MarkdownOptions = {}): string {
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD
  const lines: string[] = []
  if (opts.title) lines.push(`### ${opts.title}`, '')
  lines.push(`**${summaryLine(summarize(rows))}**`, '')
  if (opts.notes?.length) lines.push(...opts.notes.map((n) => `${n}  `), '')
  if (opts.foldUnchanged === false) lines.push(...table(rows))
  else {
    const same = rows.filter((r) => r.verdict === 'unchanged' || r.verdict === 'noise')
    const changed = rows.filter((r) => !same.includes(r))
    lines.push(...(changed.length ? table(changed) : ['No change beyond noise and the threshold.']))
    if (same.length)
      lines.push(
        '',
        `<details><summary>${same.length} unchanged</summary>`,
        '',
        ...table(same),
        '',
        '</details>',
      )
  }
  const pct = Math.round(threshold * 1000) / 10
  lines.push(
    '',
    `Times are medians (p50) per iteration. Verdict: when the noise bands of base and head overlap (p25–p75, ` +
      `widened to every round's p50) the difference is noise (unchanged); otherwise head/base ≥ ${formatRatio(1 + threshold)} is a regression, ` +
      `≤ ${formatRatio(1 / (1 + threshold))} is faster (threshold ${pct}%).`,
  )
  return `${lines.join('\n')}\n`
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/**
 * Merges the records of several rounds of the same code into one record per package. Per benchmark:
 * p25, p50, p75, p99, avg and heap are the median over the rounds, min and max the extremes, samples
 * and ticks the sums; `roundP50s` keeps each round's p50. The median of each quantile keeps one
 * disturbed round (another process on the shared cores) from moving the result. The noise band that
 * `verdict` uses is p25..p75 widened to the rounds' p50s: that adds the process-to-process spread
 * (the figure that moves between runs) without taking the union of every round's p25..p75, whose
 * tails would add each round's outliers too.
 */
export function mergeRounds(rounds: BenchRecord[][]): BenchRecord[] {
  const packages = new Map<string, BenchRecord[]>()
  for (const round of rounds)
    for (const rec of round) packages.set(rec.package, [...(packages.get(rec.package) ?? []), rec])
  const out: BenchRecord[] = []
  for (const [pkg, recs] of packages) {
    const cases = new Map<string, Benchmark[]>()
    for (const rec of recs)
      for (const [, v] of byKey([rec])) cases.set(v.name, [...(cases.get(v.name) ?? []), v.bench])
    const benchmarks: Benchmark[] = []
    for (const [name, bs] of cases) {
      const m = (f: (b: Benchmark) => number) => median(bs.map(f))
      const heaps = bs.map((b) => b.heapBytesPerIter).filter((h): h is number => typeof h === 'number')
      const gcs = bs.map((b) => b.gc).filter((g): g is NonNullable<Benchmark['gc']> => !!g)
      benchmarks.push({
        name,
        avg: m((b) => b.avg),
        p25: m((b) => b.p25),
        p50: m((b) => b.p50),
        p75: m((b) => b.p75),
        p99: m((b) => b.p99),
        min: Math.min(...bs.map((b) => b.min)),
        max: Math.max(...bs.map((b) => b.max)),
        samples: bs.reduce((a, b) => a + (b.samples ?? 0), 0),
        ticks: bs.reduce((a, b) => a + (b.ticks ?? 0), 0),
        heapBytesPerIter: heaps.length ? median(heaps) : null,
        roundP50s: bs.map((b) => b.p50),
        gc: gcs.length
          ? {
              avg: median(gcs.map((g) => g.avg)),
              min: Math.min(...gcs.map((g) => g.min)),
              max: Math.max(...gcs.map((g) => g.max)),
              total: gcs.reduce((a, g) => a + g.total, 0),
            }
          : null,
      })
    }
    out.push({ ...recs[0], package: pkg, rounds: recs.length, benchmarks })
  }
  return out
}
