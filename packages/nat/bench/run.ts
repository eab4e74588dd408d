/**
 * Runs the NAT benchmarks (mitata), then the memory measurement in a fresh process,
 * prints both and writes them as JSON to bench-results/nat.json for the PR comparison.
 * `bun bench/run.ts` (or `bun run bench` at the root, through turbo).
 */
import { runAndRecord } from '@gatehouse/bench-kit'
import './nat.bench.ts'

await runAndRecord('@gatehouse/nat', `${import.meta.dir}/..`, () => {
  const memory = []
  // 1 000 sessions is the control: the RSS growth that is JIT code and runtime, not the table.
  for (const clients of [1, 10, 100]) {
    const p = Bun.spawnSync(['bun', `${import.meta.dir}/memory.ts`, String(clients)], { stderr: 'inherit' })
    if (p.exitCode !== 0) throw new Error(`memory.ts ${clients} failed`)
    memory.push(JSON.parse(p.stdout.toString()))
  }
  console.log('\nmemory (fresh process per line):')
  for (const m of memory) {
    console.log(
      `  ${m.sessions} sessions: table ${(m.tableBytes / 2 ** 20).toFixed(2)} MiB (${m.tableBytesPerSession} B/session), ` +
        `process RSS ${(m.rssAfter / 2 ** 20).toFixed(1)} MiB (was ${(m.rssBefore / 2 ** 20).toFixed(1)} MiB), ` +
        `JS heap +${(m.heapDelta / 2 ** 20).toFixed(2)} MiB (of which typed arrays ${(m.typedArrayDelta / 2 ** 20).toFixed(2)} MiB)`,
    )
  }

  const alloc = Bun.spawnSync(['bun', `${import.meta.dir}/alloc.ts`], { stderr: 'inherit' })
  if (alloc.exitCode !== 0) throw new Error('alloc.ts failed')
  const allocation = JSON.parse(alloc.stdout.toString()) as {
    name: string
    heapBytes: number
    objects: number
  }[]
  console.log('\nallocation (fresh process, 3e6 calls per case after warm-up; heap growth after full GC):')
  for (const a of allocation)
    console.log(`  ${a.name.padEnd(36)} ${String(a.objects).padStart(5)} objects, ${a.heapBytes} B`)
  return { memory, allocation }
})
process.exit(0)
