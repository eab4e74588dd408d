/** A full handshake round trip in memory: initiation, response, confirming keepalive (4 DH each side). */
import { bench, do_not_optimize, summary } from 'mitata'
import { REKEY_TIMEOUT_MS } from '../src/index.ts'
import { A_ADDR, B_ADDR, makePair } from '../test/helpers.ts'

const p = makePair({ bKnowsA: true })

function roundTrip(): void {
  // Past the initiation rate limits and with a later TAI64N each time.
  p.clock.now += REKEY_TIMEOUT_MS + 1
  p.a.dev.initiate(p.clock.now, p.a.peer)
  const init = p.a.dev.pollTransmit()!
  p.b.dev.handleDatagram(p.clock.now, A_ADDR, init.data, init.length)
  const resp = p.b.dev.pollTransmit()!
  p.a.dev.handleDatagram(p.clock.now, B_ADDR, resp.data, resp.length)
  const ka = p.a.dev.pollTransmit()!
  do_not_optimize(p.b.dev.handleDatagram(p.clock.now, A_ADDR, ka.data, ka.length))
  while (p.a.dev.pollEvent() !== null) {}
  while (p.b.dev.pollEvent() !== null) {}
}

summary(() => {
  bench('handshake round trip (initiation, response, keepalive)', roundTrip)
})
