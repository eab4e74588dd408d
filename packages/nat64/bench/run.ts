/**
 * Runs every nat64 benchmark (mitata), prints the table and writes the
 * results as JSON to bench-results/nat64.json for the PR comparison.
 * `bun bench/run.ts` (or `bun run bench` at the root, through turbo);
 * `bun bench/run.ts '<regex>'` runs the matching subset and writes nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { run } from 'mitata'
import './translate.bench.ts'

const only = process.argv[2]
const result = await run(only ? { filter: new RegExp(only) } : {})
if (only) process.exit(0)
const out = {
  package: '@gatehouse/nat64',
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
writeFileSync(`${dir}/nat64.json`, `${JSON.stringify(out, null, 2)}\n`)
console.log(`wrote ${dir}/nat64.json`)
