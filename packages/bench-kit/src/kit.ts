/**
 * The one runner every package's `bench/run.ts` calls: runs the mitata benchmarks that the
 * caller imported, prints mitata's table, and writes the results as JSON to
 * `<package>/bench-results/<name>.json` for the pull-request comparison (`bench/compare.ts`).
 *
 * `bun bench/run.ts '<regex>'` runs the matching subset, prints medians and writes nothing.
 */
import { memoryUsage } from 'bun:jsc'
import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { run } from 'mitata'

export interface BenchRecord {
  package: string
  date: string
  cpu: string
  runtime: string
  unit: 'ns'
  benchmarks: {
    name: string
    avg: number
    p50: number
    p75: number
    p99: number
    min: number
    max: number
    /** mitata's heap figure per iteration (bytes), where the runtime exposes it: the no-allocation evidence. */
    heapBytesPerIter: number | null
    gc: unknown
  }[]
  /** Whatever else the package measured (memory of N sessions, CPU time per call, ...). */
  [extra: string]: unknown
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
    runtime: `${result.context.runtime} ${Bun.version}`,
    unit: 'ns',
    benchmarks: result.benchmarks.flatMap((b) =>
      b.runs
        .filter((r) => r.stats !== undefined)
        .map((r) => ({
          name: r.name,
          avg: r.stats!.avg,
          p50: r.stats!.p50,
          p75: r.stats!.p75,
          p99: r.stats!.p99,
          min: r.stats!.min,
          max: r.stats!.max,
          heapBytesPerIter: r.stats!.heap?.avg ?? null,
          gc: r.stats!.gc ?? null,
        })),
    ),
  }
  if (extra) Object.assign(record, await extra())
  const dir = join(packageDir, 'bench-results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${basename(packageName)}.json`)
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`)
  console.log(`wrote ${file}`)
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
