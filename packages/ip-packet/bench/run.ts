/**
 * Runs every ip-packet benchmark (mitata), prints the table and writes the
 * results as JSON to bench-results/ip-packet.json for the PR comparison.
 * `bun bench/run.ts` (or `bun run bench` at the root, through turbo);
 * `bun bench/run.ts '<regex>'` runs the matching subset and writes nothing.
 */
import { runAndRecord } from '@gatehouse/bench-kit'
import './packet.bench.ts'
import './checksum.bench.ts'
import './address.bench.ts'
import './alloc.bench.ts'

await runAndRecord('@gatehouse/ip-packet', `${import.meta.dir}/..`)
