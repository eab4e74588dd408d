/** A contrast for the heap column: the builder allocates (a Uint8Array and spec objects) on every call. Runs last. */
import { do_not_optimize, summary } from 'mitata'
import { buildUdp4, IpPacket } from '../src/index.ts'
import { PACKETS } from './packets.ts'
import { warmBench } from './warm.ts'

summary(() => {
  const udp = PACKETS[0]
  const q = new IpPacket()
  q.reset(udp.bytes, 0, udp.bytes.length)
  const payload = udp.bytes.subarray(q.payloadOff, q.payloadOff + q.payloadLen)
  warmBench('build udp4 64B (allocates, for contrast)', () =>
    do_not_optimize(buildUdp4({ src: q.src4, dst: q.dst4, srcPort: 40000, dstPort: 53, payload })),
  )
})
