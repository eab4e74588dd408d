/** Runs every benchmark of this package; prints mitata's table and writes bench-results/client.json. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { run } from 'mitata'
import './state.bench.ts'

const { context, benchmarks } = await run()

const results = benchmarks.flatMap((b) =>
  b.runs.map((r) => ({
    name: r.name,
    p50_ns: r.stats?.p50,
    avg_ns: r.stats?.avg,
    p99_ns: r.stats?.p99,
    min_ns: r.stats?.min,
    heap_avg_bytes: r.stats?.heap?.avg,
    gc_avg_ns: r.stats?.gc?.avg,
    error: r.error === undefined ? undefined : String(r.error),
  })),
)
const dir = new URL('../bench-results/', import.meta.url)
mkdirSync(dir, { recursive: true })
writeFileSync(
  new URL('client.json', dir),
  `${JSON.stringify({ date: new Date(context.now).toISOString(), cpu: context.cpu, runtime: context.runtime, arch: context.arch, results }, null, 2)}\n`,
)
