/**
 * Runs every end-to-end bench, one after the other, each under the machine-wide bench lock
 * (`flock /tmp/gh-bench.lock`, so nothing else measured overlaps it), then rebuilds
 * `results/README.md`. As root: `bun e2e/all.ts [--quick] [--profile] [--only=nat64,wireguard,path,tun-forwarder]
 * [--out=DIR]`. A `--quick` run writes into a fresh temporary directory unless `--out` is given, so
 * it never replaces the committed figures with short, noisier ones.
 * Exits non-zero when a bench fails; a missed goal is a published figure, not a failure.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeIndex } from './index.ts'
import { RESULTS_DIR } from './lib/report.ts'

const BENCHES = ['nat64', 'wireguard', 'path', 'tun-forwarder'] as const
const pass = process.argv.slice(2).filter((a) => a === '--quick' || a === '--profile')
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')

const outArg = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length)
const out = outArg ?? (pass.includes('--quick') ? mkdtempSync(join(tmpdir(), 'gh-e2e-quick-')) : RESULTS_DIR)
mkdirSync(out, { recursive: true })

if (process.getuid?.() !== 0) {
  console.error('e2e/all.ts: needs root (network namespaces, TUN devices); run it with sudo')
  process.exit(2)
}

const failed: string[] = []
for (const name of BENCHES) {
  if (only && !only.includes(name)) continue
  const script = join(import.meta.dir, name, 'run.ts')
  if (!existsSync(script)) {
    console.error(`e2e/all.ts: ${script} is missing`)
    failed.push(name)
    continue
  }
  console.log(`\n=== ${name} ===`)
  const p = Bun.spawn(['flock', '/tmp/gh-bench.lock', 'bun', script, ...pass, `--out=${out}`], {
    stdout: 'inherit',
    stderr: 'inherit',
  })
  if ((await p.exited) !== 0) failed.push(name)
}
const reports = writeIndex(out)
console.log(`\nreports in ${out} (index: ${join(out, 'README.md')})`)
for (const r of reports)
  for (const g of r.goals)
    console.log(`${g.met ? 'met   ' : 'MISSED'} ${g.name}: ${g.ratio.toFixed(2)} (target ${g.target})`)
if (failed.length > 0) {
  console.error(`e2e/all.ts: failed: ${failed.join(', ')}`)
  process.exit(1)
}
