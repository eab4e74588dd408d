/**
 * `bench` with the function run first until the JIT has tiered it up, so that the
 * first case of each group does not pay for compilation (seen as a slow median
 * with heap growth on whichever case ran first).
 */
import { bench } from 'mitata'

const WARM_CALLS = 100_000

export function warmBench(name: string, fn: () => void): void {
  for (let i = 0; i < WARM_CALLS; i++) fn()
  bench(name, fn)
}
