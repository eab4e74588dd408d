/**
 * Runs every wireguard benchmark (mitata) and writes bench-results/wireguard.json
 * (@gatehouse/bench-kit). `bun bench/run.ts`.
 */
import { runAndRecord } from '@gatehouse/bench-kit'
import './crypto.bench.ts'
import './handshake.bench.ts'

await runAndRecord('@gatehouse/wireguard', `${import.meta.dir}/..`)
