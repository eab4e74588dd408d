/**
 * Shared by the end-to-end smoke tests: run a bench for real (quick mode, under the machine-wide
 * bench lock, into a temporary `--out` directory) and check the report it wrote.
 */
import { expect } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type E2eReport, readReport } from '../e2e/lib/report.ts'

export const LOCK = '/tmp/gh-bench.lock'

/** Why a smoke test of a bench needing `tools` cannot run here (not root, a tool missing), or null. */
export function smokeSkipReason(tools: readonly string[]): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, TUN devices)'
  const missing = ['flock', ...tools].filter((t) => Bun.which(t) === null)
  return missing.length > 0 ? `not installed: ${missing.join(', ')}` : null
}

/** Runs `bun e2e/<bench>/run.ts ...args --out=<tmp>` under the bench lock; returns its report and SVG. */
export async function runBench(
  bench: string,
  args: readonly string[],
): Promise<{ report: E2eReport; svg: string; md: string }> {
  const out = mkdtempSync(join(tmpdir(), `gh-e2e-${bench}-`))
  try {
    const script = join(import.meta.dir, '..', 'e2e', bench, 'run.ts')
    // Another bench may hold the lock for minutes: give up after 300 s (flock then exits 1, saying nothing).
    const p = Bun.spawn(['flock', '-w', '300', LOCK, process.execPath, script, ...args, `--out=${out}`], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()])
    const code = await p.exited
    if (code !== 0)
      throw new Error(
        `${bench} bench exited ${code} (1 and no output: the bench lock stayed busy)\n${stdout.slice(-2000)}\n${stderr.slice(-4000)}`,
      )
    for (const ext of ['json', 'svg', 'md']) expect(existsSync(join(out, `${bench}.${ext}`))).toBe(true)
    return {
      report: readReport(join(out, `${bench}.json`)),
      svg: readFileSync(join(out, `${bench}.svg`), 'utf8'),
      md: readFileSync(join(out, `${bench}.md`), 'utf8'),
    }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

/** Every subject has every metric, once, with a finite positive value. */
export function expectComplete(r: E2eReport, subjects: readonly string[], metrics: readonly string[]): void {
  for (const subject of subjects)
    for (const metric of metrics) {
      const found = r.measurements.filter((m) => m.subject === subject && m.metric === metric)
      expect(found.length, `${subject} × ${metric}`).toBe(1)
      expect(
        Number.isFinite(found[0].value) && found[0].value > 0,
        `${subject} × ${metric} = ${found[0].value}`,
      ).toBe(true)
    }
}

/** The chart draws one bar per measurement and the Markdown has a row per goal. */
export function expectChartAndGoals(r: E2eReport, svg: string, md: string): void {
  expect(svg.startsWith('<svg')).toBe(true)
  expect(svg.match(/<rect [^>]*rx="2"/g)?.length).toBe(r.measurements.length)
  for (const g of r.goals) {
    expect(Number.isFinite(g.ratio) && g.ratio > 0, `${g.name}: ${g.ratio}`).toBe(true)
    expect(md).toContain(`| ${g.name} | ${g.ratio.toFixed(2)} | ${g.target} |`)
  }
}

/** `--profile` filled where the time goes: a CPU profile with samples and strace's syscalls per packet, per process. */
export function expectProfiles(r: E2eReport, processes: number): void {
  expect(r.whereTimeGoes.length).toBe(processes)
  for (const p of r.whereTimeGoes) {
    expect(p.samples, p.process).toBeGreaterThan(0)
    expect(p.top.length, p.process).toBeGreaterThan(0)
    expect(
      p.syscallsPerPacket !== null && p.syscallsPerPacket > 0,
      `${p.process}: ${p.syscallsPerPacket}`,
    ).toBe(true)
  }
}
