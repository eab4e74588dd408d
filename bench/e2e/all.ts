/**
 * Runs every end-to-end bench, one after the other, each under the machine-wide bench lock
 * (`flock /tmp/gh-bench.lock`, so nothing else measured overlaps it), then rebuilds
 * `results/README.md`. As root: `bun e2e/all.ts [--quick] [--profile] [--only=nat64,wireguard,path,tun-forwarder]`.
 * Exits non-zero when a bench fails; a missed goal is a published figure, not a failure.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { writeIndex } from './index.ts'

const BENCHES = ['nat64', 'wireguard', 'path', 'tun-forwarder'] as const
const pass = process.argv.slice(2).filter((a) => a === '--quick' || a === '--profile')
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')

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
  const p = Bun.spawn(['flock', '/tmp/gh-bench.lock', 'bun', script, ...pass], {
    stdout: 'inherit',
    stderr: 'inherit',
  })
  if ((await p.exited) !== 0) failed.push(name)
}
const reports = writeIndex()
for (const r of reports)
  for (const g of r.goals)
    console.log(`${g.met ? 'met   ' : 'MISSED'} ${g.name}: ${g.ratio.toFixed(2)} (target ${g.target})`)
if (failed.length > 0) {
  console.error(`e2e/all.ts: failed: ${failed.join(', ')}`)
  process.exit(1)
}
