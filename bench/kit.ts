/**
 * The one runner every package's `bench/run.ts` calls: runs the mitata benchmarks that the
 * caller imported, prints mitata's table, and writes the results as JSON to
 * `<package>/bench-results/<name>.json` for the pull-request comparison (`bench/compare.ts`).
 *
 * `bun bench/run.ts '<regex>'` runs the matching subset, prints medians and writes nothing.
 */
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
}

/** Runs and records; `packageDir` is the package's folder (pass `${import.meta.dir}/..`). */
export async function runAndRecord(packageName: string, packageDir: string): Promise<BenchRecord | null> {
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
  const dir = join(packageDir, 'bench-results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${basename(packageName)}.json`)
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`)
  console.log(`wrote ${file}`)
  return record
}
