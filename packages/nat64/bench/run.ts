/**
 * Runs every nat64 benchmark (mitata) and writes bench-results/nat64.json (@gatehouse/bench-kit).
 * `bun bench/run.ts '<regex>'` runs the matching subset and writes nothing.
 */
import { runAndRecord } from '@gatehouse/bench-kit'
import './translate.bench.ts'

await runAndRecord('@gatehouse/nat64', `${import.meta.dir}/..`)
