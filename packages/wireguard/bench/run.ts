/**
 * Runs every wireguard benchmark (mitata), prints the table and writes the results as JSON to
 * bench-results/wireguard.json for the PR comparison. `bun bench/run.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { run } from 'mitata'
import './crypto.bench.ts'
import './handshake.bench.ts'

const result = await run()
const out = {
  package: '@gatehouse/wireguard',
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
writeFileSync(`${dir}/wireguard.json`, `${JSON.stringify(out, null, 2)}\n`)
console.log(`wrote ${dir}/wireguard.json`)
