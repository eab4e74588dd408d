/**
 * The one runner every package's `bench/run.ts` calls: runs the mitata benchmarks that the
 * caller imported, prints mitata's table, and writes the results as JSON (a `BenchRecord`) to
 * `<package>/bench-results/<name>.json`, or to the file named by `GH_BENCH_OUT` when that is set
 * (the base/head runner of `bench:compare --base` gives each run its own file).
 *
 * `bun bench/run.ts '<regex>'` runs the matching subset, prints medians and writes nothing.
 */
import { memoryUsage } from 'bun:jsc'
import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { run } from 'mitata'

/** Environment variable that redirects where `runAndRecord`/`writeRecord` write the record. */
export const BENCH_OUT_ENV = 'GH_BENCH_OUT'

/** One mitata case. Times in ns per iteration; quantiles over mitata's samples (each a batch mean). */
export interface Benchmark {
  name: string
  avg: number
  p25: number
  p50: number
  p75: number
  p99: number
  min: number
  max: number
  /** Number of samples the quantiles come from (mitata's `samples.length`, after its outlier trim). */
  samples: number
  /** Iterations measured in all (mitata's `ticks`: samples times the batch size). */
  ticks: number
  /** mitata's heap figure per iteration (bytes), where the runtime exposes it: the no-allocation evidence. */
  heapBytesPerIter: number | null
  /** mitata's GC time per sample (ns), only when a case asks for `.gc('inner')`. */
  gc: { avg: number; min: number; max: number; total: number } | null
  /** Only in records merged from several runs (`mergeRounds`): each run's p50, in run order. */
  roundP50s?: number[]
}

/** What one package's bench run writes. */
export interface BenchRecord {
  package: string
  /** ISO 8601, when the run started. */
  date: string
  cpu: string
  /** Bun version (`Bun.version`). */
  bun: string
  /** mitata's runtime name and the Bun version, e.g. `bun 1.4.5`. */
  runtime: string
  arch: string
  unit: 'ns'
  benchmarks: Benchmark[]
  /** Whatever else the package measured (memory of N sessions, CPU time per call, ...). */
  [extra: string]: unknown
}

/** The part of mitata's per-run `stats` that a `Benchmark` is made from. */
export interface MitataStats {
  samples: number[]
  ticks: number
  min: number
  max: number
  avg: number
  p25: number
  p50: number
  p75: number
  p99: number
  heap?: { avg: number }
  gc?: { avg: number; min: number; max: number; total: number }
}

/** A `Benchmark` from mitata's stats for one run. */
export function benchmarkFromStats(name: string, stats: MitataStats): Benchmark {
  return {
    name,
    avg: stats.avg,
    p25: stats.p25,
    p50: stats.p50,
    p75: stats.p75,
    p99: stats.p99,
    min: stats.min,
    max: stats.max,
    samples: stats.samples.length,
    ticks: stats.ticks,
    heapBytesPerIter: stats.heap?.avg ?? null,
    gc: stats.gc ? { avg: stats.gc.avg, min: stats.gc.min, max: stats.gc.max, total: stats.gc.total } : null,
  }
}

/**
 * Writes `record` to `$GH_BENCH_OUT` when set, else to `<packageDir>/bench-results/<name>.json`
 * (`name` = the package name without its scope). Returns the path written.
 */
export function writeRecord(record: BenchRecord, packageDir: string): string {
  const file =
    process.env[BENCH_OUT_ENV] || join(packageDir, 'bench-results', `${basename(record.package)}.json`)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`)
  return file
}

/**
 * Runs and records; `packageDir` is the package's folder (pass `${import.meta.dir}/..`).
 * `extra` runs after mitata (not on a filtered run) and its fields are added to the record.
 */
export async function runAndRecord(
  packageName: string,
  packageDir: string,
  extra?: () => Record<string, unknown> | Promise<Record<string, unknown>>,
): Promise<BenchRecord | null> {
  // Collect the imports' warm-up garbage now, not during a measurement.
  Bun.gc(true)
  const only = process.argv[2]
  const result = await run(only ? { filter: new RegExp(only) } : {})
  if (only) {
    for (const b of result.benchmarks)
      for (const r of b.runs)
        if (r.stats) console.log(`p50 ${r.stats.p50.toFixed(1).padStart(8)} ns  ${r.name}`)
    return null
  }
  const record: BenchRecord = {
    package: packageName,
    date: new Date(result.context.now).toISOString(),
    cpu: result.context.cpu.name ?? 'unknown',
    bun: Bun.version,
    runtime: `${result.context.runtime} ${Bun.version}`,
    arch: result.context.arch ?? process.arch,
    unit: 'ns',
    benchmarks: result.benchmarks.flatMap((b) =>
      b.runs.flatMap((r) => (r.stats === undefined ? [] : [benchmarkFromStats(r.name, r.stats)])),
    ),
  }
  if (extra) Object.assign(record, await extra())
  console.log(`wrote ${writeRecord(record, packageDir)}`)
  return record
}

let sink: unknown

/**
 * Bytes allocated per call, from bun:jsc `memoryUsage().current` (malloc and JS heap blocks) over
 * `n` calls after a full GC and a warm-up (so JIT memory is not counted); median of three rounds.
 * A control that allocates one small object per call reads about 20-30 B, so the method sees allocation.
 */
export function bytesPerCall(f: () => unknown, n = 200_000): number {
  for (let i = 0; i < 300_000; i++) sink = f()
  const rounds: number[] = []
  for (let k = 0; k < 3; k++) {
    Bun.gc(true)
    const before = memoryUsage().current
    for (let i = 0; i < n; i++) sink = f()
    rounds.push((memoryUsage().current - before) / n)
  }
  rounds.sort((a, b) => a - b)
  return Math.max(0, Math.round(rounds[1] * 100) / 100)
}

/**
 * Process CPU time per call (user + system) over `n` calls, median of five rounds: unlike
 * wall-clock medians it hardly moves when other processes share the cores.
 */
export function cpuNsPerCall(f: () => unknown, n = 2_000_000): number {
  for (let i = 0; i < 200_000; i++) sink = f()
  const rounds: number[] = []
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage()
    for (let i = 0; i < n / 5; i++) sink = f()
    const c1 = process.cpuUsage(c0)
    rounds.push(((c1.user + c1.system) * 1000) / (n / 5))
  }
  rounds.sort((a, b) => a - b)
  return Math.round(rounds[2] * 10) / 10
}

/** Keeps the JIT from proving the measured calls dead. */
export function sinkValue(): unknown {
  return sink
}
