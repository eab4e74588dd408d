/**
 * Runs the @gatehouse/tun micro-benchmarks (mitata) and writes
 * bench-results/tun.json. Needs root (a real TUN device); otherwise it prints
 * why and exits 0. The end-to-end forwarder benchmark is bench/tun-forwarder/ at the root.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { run } from 'mitata'
import { registerIoBenches, setupBench, teardownBench } from './io.bench.ts'

if (process.getuid?.() !== 0 || process.platform !== 'linux') {
  console.warn('skipping @gatehouse/tun benchmarks: they need Linux and root (a real TUN device)')
  process.exit(0)
}
const t = setupBench()
let result: Awaited<ReturnType<typeof run>>
try {
  registerIoBenches(t)
  result = await run()
} finally {
  teardownBench(t)
}
const out = {
  package: '@gatehouse/tun',
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
        p99: r.stats!.p99,
        heapBytesPerIter: r.stats!.heap?.avg ?? null,
      })),
  ),
}
const dir = `${import.meta.dir}/../bench-results`
mkdirSync(dir, { recursive: true })
writeFileSync(`${dir}/tun.json`, `${JSON.stringify(out, null, 2)}\n`)
console.log(`wrote ${dir}/tun.json`)
