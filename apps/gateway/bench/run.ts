/**
 * Runs the gateway benchmarks (mitata), prints the table and writes bench-results/gateway.json.
 * `bun bench/run.ts` (or `bun run bench` at the root, through turbo); `bun bench/run.ts REGEX` for a subset.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { run } from 'mitata'
import './state.bench.ts'

const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined
const result = await run(filter ? { filter } : {})
const out = {
  package: '@gatehouse/gateway',
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
        heapBytesPerIter: r.stats!.heap?.avg ?? null,
      })),
  ),
}
const dir = `${import.meta.dir}/../bench-results`
mkdirSync(dir, { recursive: true })
writeFileSync(`${dir}/gateway.json`, `${JSON.stringify(out, null, 2)}\n`)
console.log(`wrote ${dir}/gateway.json`)
process.exit(0)
