/**
 * The front page of the latest end-to-end figures: reads every `results/<bench>.json` and writes
 * `results/README.md` with the project's goals (ours ÷ reference against its target, met or
 * missed, from which run) and each bench's chart. `all.ts` calls it after the benches;
 * `bun e2e/index.ts` rebuilds it alone.
 */
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type E2eReport, RESULTS_DIR, readReport, writeReport } from './lib/report.ts'

/** The index page for these reports (sorted by bench name). */
export function indexMarkdown(reports: readonly E2eReport[]): string {
  const sorted = [...reports].sort((a, b) => a.bench.localeCompare(b.bench))
  const lines = [
    '# Latest end-to-end figures',
    '',
    'Written by `bench/e2e/all.ts` (or each bench on its own); every figure is a side-by-side ratio from',
    'one run on one machine, because absolute figures on a shared 2-core machine move with its load.',
    '',
    '| goal | ours ÷ reference | target | status | run |',
    '|---|---:|---:|---|---|',
  ]
  for (const r of sorted)
    for (const g of r.goals)
      lines.push(
        `| ${g.name} | ${Number.isFinite(g.ratio) ? g.ratio.toFixed(2) : 'n/a'} | ${g.target} | ${g.met ? 'met' : '**missed**'} | [${r.bench}](${r.bench}.md), ${r.machine.date.slice(0, 16).replace('T', ' ')} UTC, load ${r.machine.load} |`,
      )
  for (const r of sorted)
    lines.push(
      '',
      `## ${r.title}`,
      '',
      `[table and profile](${r.bench}.md)`,
      '',
      `![${r.bench}](${r.bench}.svg)`,
    )
  return `${lines.join('\n')}\n`
}

/**
 * Reads every report in `dir`, renders each one's .svg and .md again from its .json (so a change of
 * format reaches every report, not only the last one run) and writes `dir/README.md`.
 */
export function writeIndex(dir = RESULTS_DIR): E2eReport[] {
  const reports = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readReport(join(dir, f)))
    .filter((r) => typeof r.bench === 'string' && Array.isArray(r.goals))
  for (const r of reports) writeReport(r, dir)
  writeFileSync(join(dir, 'README.md'), indexMarkdown(reports))
  return reports
}

if (import.meta.main) {
  const reports = writeIndex(process.argv[2] ?? RESULTS_DIR)
  console.log(`results/README.md: ${reports.length} benches, ${reports.flatMap((r) => r.goals).length} goals`)
}
