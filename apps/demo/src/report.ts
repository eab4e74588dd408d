/**
 * The demo's table: one row per observation, columns wrapped to fit a terminal.
 * @module
 */
import type { ScenarioResult } from './scenarios.ts'

const WIDTHS = { n: 2, title: 34, flag: 4, command: 40, observed: 60, ms: 6, ok: 4 } as const

/** Wraps `text` into lines of at most `width` characters, breaking at spaces where it can. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = []
  let rest = text.replace(/\s+/g, ' ').trim()
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width)
    if (cut <= 0) cut = width
    out.push(rest.slice(0, cut).trimEnd())
    rest = rest.slice(cut).trimStart()
  }
  out.push(rest)
  return out
}

/** The results as a plain-text table (scenario, what, flag, command, observed, ms, ok). */
export function formatTable(results: readonly ScenarioResult[]): string {
  const cols = [
    ['#', WIDTHS.n],
    ['scenario', WIDTHS.title],
    ['flag', WIDTHS.flag],
    ['ran', WIDTHS.command],
    ['observed', WIDTHS.observed],
    ['ms', WIDTHS.ms],
    ['ok', WIDTHS.ok],
  ] as const
  const line = (cells: string[][]) => {
    const height = Math.max(...cells.map((c) => c.length))
    const rows: string[] = []
    for (let i = 0; i < height; i++)
      rows.push(
        cells
          .map((c, j) => (j === 5 ? (c[i] ?? '').padStart(cols[j][1]) : (c[i] ?? '').padEnd(cols[j][1])))
          .join(' | ')
          .trimEnd(),
      )
    return rows.join('\n')
  }
  const rule = cols.map(([, w]) => '-'.repeat(w)).join('-+-')
  const out = [line(cols.map(([h]) => [h])), rule]
  let last = 0
  for (const r of results) {
    if (r.scenario !== last && last !== 0) out.push(rule)
    last = r.scenario
    out.push(
      line([
        [String(r.scenario)],
        wrap(r.title, WIDTHS.title),
        [r.flag],
        wrap(r.command, WIDTHS.command),
        wrap(r.pass ? r.observed : `${r.observed} [expected: ${r.expected}]`, WIDTHS.observed),
        [r.ms.toFixed(0)],
        [r.pass ? 'yes' : 'NO'],
      ]),
    )
  }
  return out.join('\n')
}
