/**
 * Runs the @gatehouse/tun micro-benchmarks (mitata) and writes bench-results/tun.json
 * (@gatehouse/bench-kit). Needs root (a real TUN device); otherwise it prints why and exits 0.
 * The end-to-end forwarder benchmark is bench/e2e/tun-forwarder/ at the root.
 */
import { runAndRecord } from '@gatehouse/bench-kit'
import { registerIoBenches, setupBench, teardownBench } from './io.bench.ts'

if (process.getuid?.() !== 0 || process.platform !== 'linux') {
  console.warn('skipping @gatehouse/tun benchmarks: they need Linux and root (a real TUN device)')
  process.exit(0)
}
const t = setupBench()
try {
  registerIoBenches(t)
  await runAndRecord('@gatehouse/tun', `${import.meta.dir}/..`)
} finally {
  teardownBench(t)
}
