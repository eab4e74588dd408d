/**
 * The stub's hot path (issue 6 target: an A answer for a known resource name under 2 us median),
 * side by side with the same answer built through dns-packet (decode + encode), the codec the
 * hot path passed over.
 */
import dnsPacket from 'dns-packet'
import { bench, do_not_optimize, summary } from 'mitata'
import { buildSentinels } from '../src/sentinels.ts'
import { type QueryContext, StubResolver } from '../src/stub.ts'
import { encodeMessage, FLAG_RD, TYPE } from '../src/wire.ts'

const stub = new StubResolver<null>({
  sentinels: buildSentinels(['127.0.0.1']),
  resources: [
    { id: 'corp', address: '**.corp.example' },
    ...Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, address: `*.svc${i}.example` })),
  ],
})
const ctx: QueryContext<null> = { transport: 'udp', sentinel: '100.100.111.1', asker: null }
const q = (name: string, type: number) =>
  encodeMessage({ id: 0x1234, flags: FLAG_RD, questions: [{ name, type }], ednsUdpSize: 1232 })

export const queryA = q('app.corp.example', TYPE.A)
export const queryAAAA = q('app.corp.example', TYPE.AAAA)
const queryOther = q('www.example.org', TYPE.A)
// Assign once, outside the measurement: the bench is for a known name.
stub.handleQuery(0, queryA, ctx)
while (stub.pollEvent() !== null) {}

export function answerA(): unknown {
  return stub.handleQuery(0, queryA, ctx)
}

const pktQuery = Buffer.from(queryA)
const pktOut = Buffer.alloc(512)
const PROXY = ['100.96.0.1', '100.96.0.2', '100.96.0.3', '100.96.0.4']

summary(() => {
  bench('stub: answer A for a resource name (scan + match + write)', () => do_not_optimize(answerA()))
  bench('stub: answer AAAA for a resource name', () => do_not_optimize(stub.handleQuery(0, queryAAAA, ctx)))
  bench('dns-packet: decode query + encode the same 4-A answer', () => {
    const m = dnsPacket.decode(pktQuery)
    const name = m.questions![0].name
    do_not_optimize(
      dnsPacket.encode(
        {
          type: 'response',
          id: m.id,
          flags: FLAG_RD,
          questions: m.questions,
          answers: PROXY.map((data) => ({ type: 'A' as const, name, ttl: 1, data })),
          additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.OptAnswer],
        },
        pktOut,
        0,
      ),
    )
  })
})

bench('stub: forward a non-resource, then time it out (SERVFAIL)', () => {
  do_not_optimize(stub.handleQuery(0, queryOther, ctx))
  stub.handleTimeout(1e12) // keep the pending table from growing
  while (stub.pollReply() !== null) {}
})
