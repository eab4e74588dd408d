/**
 * Runs every benchmark of this package, each case in a fresh Bun process, back to back; prints mitata's
 * rows, a summary of ratios against the first case of each file, and writes bench-kit's record
 * (bench-results/feature-flags.json, or $GH_BENCH_OUT) so `bench:compare` pairs these cases too.
 *
 * Why one process per case: mitata builds its sampling loop with `new AsyncFunction(source)`, and the
 * source is the same for every case, so JSC shares the compiled loop and its `$fn(p0)` call site turns
 * polymorphic as cases follow each other. For sub-nanosecond cases that bills later cases for their
 * position (the same field read measured 0.6 ns first and 5.5 ns fourth). Each child also runs with
 * `BUN_JSC_useConcurrentJIT=0`: on a loaded 2-core machine the background compiler may not finish before
 * sampling starts, and a case is then measured half in a lower tier. Neither changes the optimised code.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Benchmark, type BenchRecord, benchmarkFromStats, writeRecord } from '@gatehouse/bench-kit'

const FILES = { 'read.bench.ts': await import('./read.bench.ts').then((m) => m.CASES) }

interface ChildOut {
  context: { cpu: { name?: string | null }; runtime: string | null; arch: string | null }
  benchmark: Benchmark
}

const child = process.env.FF_BENCH_CASE
if (child !== undefined) {
  const { run } = await import('mitata')
  const escaped = child.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const { context, benchmarks } = await run({ filter: new RegExp(`^${escaped}$`) })
  const stats = benchmarks.flatMap((b) => b.runs).find((r) => r.name === child)?.stats
  if (stats === undefined) throw new Error(`bench case '${child}' did not run`)
  const out: ChildOut = {
    context: { cpu: context.cpu, runtime: context.runtime, arch: context.arch },
    benchmark: benchmarkFromStats(child, stats),
  }
  writeFileSync(process.env.FF_BENCH_OUT!, JSON.stringify(out))
  process.exit(0)
}

const started = new Date().toISOString()
const rows: { file: string; b: Benchmark }[] = []
let context: ChildOut['context'] | null = null
const out = join(tmpdir(), `ff-bench-${process.pid}.json`)
for (const [file, cases] of Object.entries(FILES)) {
  for (const name of cases) {
    const r = Bun.spawnSync([process.execPath, import.meta.path], {
      // The child must not write the package record itself: GH_BENCH_OUT is for this process.
      env: {
        ...process.env,
        FF_BENCH_CASE: name,
        FF_BENCH_OUT: out,
        BUN_JSC_useConcurrentJIT: '0',
        GH_BENCH_OUT: '',
      },
      stdio: ['inherit', 'inherit', 'inherit'],
    })
    if (r.exitCode !== 0) throw new Error(`bench case '${name}' failed (${r.exitCode})`)
    const got = JSON.parse(readFileSync(out, 'utf8')) as ChildOut
    context = got.context
    rows.push({ file, b: got.benchmark })
  }
}
rmSync(out, { force: true })

console.log('\nsummary (median; ratio to the first case of its file)')
for (const file of Object.keys(FILES)) {
  const group = rows.filter((r) => r.file === file)
  for (const { b } of group)
    console.log(
      `  ${b.name.padEnd(52)} ${b.p50.toFixed(2).padStart(7)} ns  ${(b.p50 / group[0].b.p50).toFixed(2)}x  heap ${(b.heapBytesPerIter ?? 0).toFixed(2)} B/iter`,
    )
}

// The same record every package writes (bench-kit), so `bench:compare` pairs these cases too.
const record: BenchRecord = {
  package: '@gatehouse/feature-flags',
  date: started,
  cpu: context?.cpu.name ?? 'unknown',
  bun: Bun.version,
  runtime: `${context?.runtime ?? 'bun'} ${Bun.version}`,
  arch: context?.arch ?? process.arch,
  unit: 'ns',
  benchmarks: rows.map((r) => r.b),
  isolation: 'process per case',
  jsc: { useConcurrentJIT: false },
}
console.log(`wrote ${writeRecord(record, join(import.meta.dir, '..'))}`)
