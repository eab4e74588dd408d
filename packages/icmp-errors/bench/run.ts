/**
 * Runs every benchmark of this package; prints mitata's table, measures bytes
 * allocated per call for the no-allocation claim, and writes
 * bench-results/icmp-errors.json.
 */
import { memoryUsage } from 'bun:jsc'
import { mkdirSync, writeFileSync } from 'node:fs'
import { run } from 'mitata'
import { build4, build6, build6Ring, rewrite4, rewrite6 } from './icmp.bench.ts'

const { context, benchmarks } = await run()

/**
 * Bytes allocated per call: bun:jsc `memoryUsage().current` (malloc + JS heap blocks) across 200k calls,
 * after a full GC and 300k warm-up calls (so JIT compilation memory is not counted); the median of three
 * rounds. A control that allocates one small object per call shows ~30 B, so the method sees allocation.
 */
let sink: unknown
function bytesPerCall(f: () => unknown, n = 200_000): number {
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
const heap = {
  control_one_object: bytesPerCall(() => ({ x: 1 })),
  build6: bytesPerCall(build6),
  build6_ring_of_4_buffers: bytesPerCall(build6Ring),
  build4: bytesPerCall(build4),
  rewrite4: bytesPerCall(rewrite4),
  rewrite6: bytesPerCall(rewrite6),
}
console.log('bytes allocated per call:', heap, typeof sink)

/**
 * Process CPU time per call (user + system, `process.cpuUsage`) over 2M calls: unlike wall-clock medians it
 * hardly moves when other processes share the cores, so it is the figure to compare across runs here.
 */
function cpuNsPerCall(f: () => unknown, n = 2_000_000): number {
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
const cpuNs = {
  build6: cpuNsPerCall(build6),
  build4: cpuNsPerCall(build4),
  rewrite6: cpuNsPerCall(rewrite6),
  rewrite4: cpuNsPerCall(rewrite4),
}
console.log('CPU ns per call (median of 5 rounds):', cpuNs)

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
  new URL('icmp-errors.json', dir),
  `${JSON.stringify({ date: new Date(context.now).toISOString(), cpu: context.cpu, runtime: context.runtime, arch: context.arch, bytesPerCall: heap, cpuNsPerCall: cpuNs, results }, null, 2)}\n`,
)
