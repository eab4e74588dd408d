/**
 * Runs the gateway benchmarks (mitata) and writes bench-results/gateway.json (@gatehouse/bench-kit).
 * `bun bench/run.ts` (or `bun run bench` at the root, through turbo); `bun bench/run.ts REGEX` for a subset.
 */
import { runAndRecord } from '@gatehouse/bench-kit'
import './state.bench.ts'

await runAndRecord('@gatehouse/gateway', `${import.meta.dir}/..`)
process.exit(0)
