/**
 * Runs every ip-packet benchmark (mitata), prints the table and writes the
 * results as JSON to bench-results/ip-packet.json for the PR comparison.
 * `bun bench/run.ts` (or `bun run bench` at the root, through turbo);
 * `bun bench/run.ts '<regex>'` runs the matching subset and writes nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { run } from 'mitata'
import './packet.bench.ts'
import './checksum.bench.ts'
import './address.bench.ts'
import './alloc.bench.ts'

// Collect the warm-up garbage now, not during a measurement.
Bun.gc(true)

// `bun bench/run.ts <regex>` runs a subset and writes no JSON.
const only = process.argv[2]
const result = await run(only ? { filter: new RegExp(only) } : {})
if (only) {
  for (const b of result.benchmarks)
    for (const r of b.runs)
      if (r.stats) console.log(`p50 ${r.stats.p50.toFixed(1).padStart(8)} ns  ${r.name}`)
  process.exit(0)
}
const out = {
  package: '@gatehouse/ip-packet',
  date: new Date(result.context.now).toISOString(),
  cpu: result.context.cpu.name,
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
const dir = `${import.meta.dir}/../bench-results`
mkdirSync(dir, { recursive: true })
writeFileSync(`${dir}/ip-packet.json`, `${JSON.stringify(out, null, 2)}\n`)
console.log(`wrote ${dir}/ip-packet.json`)
