/**
 * Runs every benchmark of this package; prints mitata's table, measures bytes
 * allocated per call for the no-allocation claim, and writes
 * bench-results/icmp-errors.json.
 */
import { bytesPerCall, cpuNsPerCall, runAndRecord } from '@gatehouse/bench-kit'
import {
  build4,
  build4Full,
  build6,
  build6Full,
  build6Ring,
  copyNative,
  copySubarray,
  rewrite4,
  rewrite6,
} from './icmp.bench.ts'

await runAndRecord('@gatehouse/icmp-errors', `${import.meta.dir}/..`, () => {
  const bytes = {
    control_one_object: bytesPerCall(() => ({ x: 1 })),
    build6: bytesPerCall(build6),
    build6_ring_of_4_buffers: bytesPerCall(build6Ring),
    build6_full_sum: bytesPerCall(build6Full),
    build4: bytesPerCall(build4),
    copy_native: bytesPerCall(copyNative),
    copy_subarray: bytesPerCall(copySubarray),
    rewrite4: bytesPerCall(rewrite4),
    rewrite6: bytesPerCall(rewrite6),
  }
  console.log('bytes allocated per call:', bytes)
  const cpuNs = {
    build6: cpuNsPerCall(build6),
    build6_full_sum: cpuNsPerCall(build6Full),
    build4: cpuNsPerCall(build4),
    build4_full_sum: cpuNsPerCall(build4Full),
    rewrite6: cpuNsPerCall(rewrite6),
    rewrite4: cpuNsPerCall(rewrite4),
  }
  console.log('CPU ns per call (median of 5 rounds):', cpuNs)
  return { bytesPerCall: bytes, cpuNsPerCall: cpuNs }
})
