/** Runs every benchmark of this package; prints mitata's table and writes bench-results/dns-resolver.json (@gatehouse/bench-kit). */
import { runAndRecord } from '@gatehouse/bench-kit'
import './pattern.bench.ts'
import './stub.bench.ts'

await runAndRecord('@gatehouse/dns-resolver', `${import.meta.dir}/..`)
