/**
 * The one result format of the end-to-end benches: what was measured (subject × metric), the goals
 * the project publishes (ours ÷ reference against a target), the machine it ran on, and, when a goal
 * is missed, where the time went. `writeReport` writes `results/<bench>.json`, `.svg` (the chart)
 * and `.md` (the table the README links), so the latest figures are in the repository.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release } from 'node:os'
import { join } from 'node:path'
import { barChart, type ChartPanel } from './chart.ts'
import type { ProfileSummary } from './profile.ts'

export interface Machine {
  date: string
  cpu: string
  cores: number
  /** Load average (1, 5, 15 min) when the bench started: the noise this run had. */
  load: string
  kernel: string
  runtime: string
}

export function machine(): Machine {
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    load: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    kernel: release(),
    runtime: `Bun ${Bun.version}`,
  }
}

export interface Measurement {
  /** Who was measured: "ours", "TAYGA", "wireguard-go", ... */
  subject: string
  /** What: "TCP single stream", "UDP 64 B", "ping", "translator CPU", ... */
  metric: string
  value: number
  unit: string
  better: 'higher' | 'lower'
  /** The per-round values `value` summarizes (e.g. its median), when there were rounds: the spread is shown beside it. */
  samples?: number[]
}

export interface Goal {
  /** "NAT64 TCP throughput ours/TAYGA ≥ 1.0" */
  name: string
  metric: string
  ours: string
  reference: string
  /** ours ÷ reference, oriented so that higher is better (reference ÷ ours when lower is better). */
  ratio: number
  target: number
  met: boolean
}

export interface E2eReport {
  bench: string
  title: string
  machine: Machine
  /** Durations, sizes, flags: whatever reproduces the run. */
  params: Record<string, unknown>
  measurements: Measurement[]
  goals: Goal[]
  /** Filled when a goal is missed (or on request): profiles of our processes. */
  whereTimeGoes: ProfileSummary[]
  notes: string[]
}

/** The median of `xs` (the mean of the middle two for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const h = s.length >> 1
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2
}

/** A measurement whose value is the median of per-round `samples` (kept, so the report shows the spread). */
export function fromRounds(
  subject: string,
  metric: string,
  unit: string,
  better: 'higher' | 'lower',
  samples: readonly number[],
): Measurement {
  return { subject, metric, value: median(samples), unit, better, samples: [...samples] }
}

/** The goal `ours/reference ≥ target` on `metric`, from the measurements (NaN ratio when one is missing). */
export function goal(
  name: string,
  measurements: readonly Measurement[],
  metric: string,
  ours: string,
  reference: string,
  target: number,
): Goal {
  const find = (s: string) => measurements.find((m) => m.metric === metric && m.subject === s)
  const o = find(ours)
  const r = find(reference)
  let ratio = Number.NaN
  if (o !== undefined && r !== undefined)
    ratio = o.better === 'higher' ? o.value / r.value : r.value / o.value
  ratio = Math.round(ratio * 100) / 100
  return { name, metric, ours, reference, ratio, target, met: ratio >= target }
}

/** The chart's panels: one per metric, subjects in first-seen order, each goal on the metric noted (else ours ÷ reference when there are two). */
export function panels(r: E2eReport): ChartPanel[] {
  const metrics = [...new Set(r.measurements.map((m) => m.metric))]
  return metrics.map((metric) => {
    const ms = r.measurements.filter((m) => m.metric === metric)
    const notes = r.goals
      .filter((g) => g.metric === metric)
      .map(
        (g) =>
          `goal: ${g.ours} ÷ ${g.reference} = ${g.ratio.toFixed(2)} (target ≥ ${g.target}, ${g.met ? 'met' : 'missed'})`,
      )
    if (notes.length === 0 && ms.length === 2) {
      const [a, b] = ms
      // A plain quotient: with "lower is better" in the title, ours ÷ reference reads the right way round.
      notes.push(`${a.subject} ÷ ${b.subject} = ${(a.value / b.value).toFixed(2)}`)
    }
    return {
      title: metric,
      unit: ms[0].unit,
      better: ms[0].better,
      bars: ms.map((m) => ({ label: m.subject, value: m.value })),
      notes,
    }
  })
}

function num(v: number): string {
  if (!Number.isFinite(v)) return 'n/a'
  // Whole numbers from 100 up, three significant figures below (46.5, 4.05, 0.311).
  return Math.abs(v) >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(3)))
}

/** The Markdown summary: measurements as a metric × subject table, the goals, where the time goes. */
export function markdown(r: E2eReport): string {
  const subjects = [...new Set(r.measurements.map((m) => m.subject))]
  const metrics = [...new Set(r.measurements.map((m) => m.metric))]
  const m = r.machine
  const spreadNote = r.measurements.some((x) => (x.samples?.length ?? 0) > 1)
    ? ['', 'Each figure is the median over the rounds; (min–max) over the rounds beside it.']
    : []
  const lines = [
    `# ${r.title}`,
    '',
    `${m.date.slice(0, 16).replace('T', ' ')} UTC, ${m.cpu}, ${m.cores} cores, load ${m.load}, Linux ${m.kernel}, ${m.runtime}.`,
    `Parameters: ${Object.entries(r.params)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ')}.`,
    '',
    `![${r.bench}](${r.bench}.svg)`,
    '',
    `| metric | ${subjects.join(' | ')} |`,
    `|---|${subjects.map(() => '---:').join('|')}|`,
  ]
  for (const metric of metrics) {
    const row = subjects.map((s) => {
      const x = r.measurements.find((y) => y.metric === metric && y.subject === s)
      if (x === undefined) return ''
      const spread =
        x.samples !== undefined && x.samples.length > 1
          ? ` (${num(Math.min(...x.samples))}–${num(Math.max(...x.samples))})`
          : ''
      return `${num(x.value)} ${x.unit}${spread}`
    })
    lines.push(`| ${metric} | ${row.join(' | ')} |`)
  }
  lines.push(...spreadNote)
  if (r.goals.length > 0) {
    lines.push('', '| goal | ratio | target | |', '|---|---:|---:|---|')
    for (const g of r.goals)
      lines.push(`| ${g.name} | ${g.ratio.toFixed(2)} | ${g.target} | ${g.met ? 'met' : '**missed**'} |`)
  }
  for (const p of r.whereTimeGoes) {
    lines.push('', `## Where the time goes: ${p.process}`, '')
    if (p.syscallsPerPacket !== null)
      lines.push(
        `${p.syscallsPerPacket} syscalls per packet (${p.syscalls.map((s) => `${s.name} ${s.perPacket}`).join(', ')}).`,
        '',
      )
    if (p.top.length === 0) continue // traced only (a C process: no CPU profile)
    lines.push(
      `Top functions by self time (${p.samples} samples):`,
      '',
      '| self % | function |',
      '|---:|---|',
    )
    for (const f of p.top) lines.push(`| ${f.selfPct.toFixed(1)} | \`${f.function}\` |`)
  }
  if (r.notes.length > 0) lines.push('', ...r.notes.map((n) => `- ${n}`))
  return `${lines.join('\n')}\n`
}

/** Where the latest figures live (committed, linked from the README). */
export const RESULTS_DIR = join(import.meta.dir, '..', 'results')

/** Writes `<dir>/<bench>.json`, `.svg` and `.md`; returns their paths. */
export function writeReport(r: E2eReport, dir = RESULTS_DIR): { json: string; svg: string; md: string } {
  const base = join(dir, r.bench)
  const m = r.machine
  const subtitle = `${m.date.slice(0, 16).replace('T', ' ')} UTC · ${m.cpu} · ${m.cores} cores · load ${m.load} · ${m.runtime}`
  writeFileSync(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`)
  writeFileSync(`${base}.svg`, barChart(r.title, subtitle, panels(r)))
  writeFileSync(`${base}.md`, markdown(r))
  return { json: `${base}.json`, svg: `${base}.svg`, md: `${base}.md` }
}

/** Reads a report back (for the README table and tests). */
export function readReport(path: string): E2eReport {
  return JSON.parse(readFileSync(path, 'utf8')) as E2eReport
}
