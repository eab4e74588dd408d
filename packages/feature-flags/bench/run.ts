/**
 * Runs every benchmark of this package, each case in a fresh Bun process, back to back; prints mitata's
 * rows, a summary of ratios against the first case of each file, and writes bench-results/feature-flags.json.
 *
 * Why one process per case: mitata builds its sampling loop with `new AsyncFunction(source)`, and the
 * source is the same for every case, so JSC shares the compiled loop and its `$fn(p0)` call site turns
 * polymorphic as cases follow each other. For sub-nanosecond cases that bills later cases for their
 * position (the same field read measured 0.6 ns first and 5.5 ns fourth). Each child also runs with
 * `BUN_JSC_useConcurrentJIT=0`: on a loaded 2-core machine the background compiler may not finish before
 * sampling starts, and a case is then measured half in a lower tier. Neither changes the optimised code.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const FILES = { 'read.bench.ts': await import('./read.bench.ts').then((m) => m.CASES) }

interface Row {
  file: string
  name: string
  p50_ns: number
  avg_ns: number
  p99_ns: number
  min_ns: number
  heap_avg_bytes: number | null
}

const child = process.env.FF_BENCH_CASE
if (child !== undefined) {
  const { run } = await import('mitata')
  const escaped = child.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const { context, benchmarks } = await run({ filter: new RegExp(`^${escaped}$`) })
  const stats = benchmarks.flatMap((b) => b.runs).find((r) => r.name === child)?.stats
  if (stats === undefined) throw new Error(`bench case '${child}' did not run`)
  writeFileSync(
    process.env.FF_BENCH_OUT!,
    JSON.stringify({
      context: { cpu: context.cpu, runtime: context.runtime, arch: context.arch },
      row: {
        name: child,
        p50_ns: stats.p50,
        avg_ns: stats.avg,
        p99_ns: stats.p99,
        min_ns: stats.min,
        heap_avg_bytes: stats.heap?.avg ?? null,
      },
    }),
  )
  process.exit(0)
}

const rows: Row[] = []
let context: unknown = null
const out = join(tmpdir(), `ff-bench-${process.pid}.json`)
for (const [file, cases] of Object.entries(FILES)) {
  for (const name of cases) {
    const r = Bun.spawnSync([process.execPath, import.meta.path], {
      env: { ...process.env, FF_BENCH_CASE: name, FF_BENCH_OUT: out, BUN_JSC_useConcurrentJIT: '0' },
      stdio: ['inherit', 'inherit', 'inherit'],
    })
    if (r.exitCode !== 0) throw new Error(`bench case '${name}' failed (${r.exitCode})`)
    const got = JSON.parse(readFileSync(out, 'utf8'))
    context = got.context
    rows.push({ file, ...got.row })
  }
}
rmSync(out, { force: true })

console.log('\nsummary (median; ratio to the first case of its file)')
for (const file of Object.keys(FILES)) {
  const group = rows.filter((r) => r.file === file)
  for (const r of group)
    console.log(
      `  ${r.name.padEnd(52)} ${r.p50_ns.toFixed(2).padStart(7)} ns  ${(r.p50_ns / group[0].p50_ns).toFixed(2)}x  heap ${(r.heap_avg_bytes ?? 0).toFixed(2)} B/iter`,
    )
}

const dir = new URL('../bench-results/', import.meta.url)
mkdirSync(dir, { recursive: true })
writeFileSync(
  new URL('feature-flags.json', dir),
  `${JSON.stringify({ date: new Date().toISOString(), context, isolation: 'process per case', jsc: { useConcurrentJIT: false }, results: rows }, null, 2)}\n`,
)
