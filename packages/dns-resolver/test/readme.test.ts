/** The README's example, run as written (STYLE.md §6: each README example is a test). */
import { expect, setDefaultTimeout, test } from 'bun:test'
import { buildSentinels, decodeMessage, encodeMessage, FLAG_RD, StubResolver, TYPE } from '../src/index.ts'

// bun's default is 5 s per test (the root bunfig's [test] timeout is not read); a shared CI core needs more.
setDefaultTimeout(60_000)

test('README example: a resource name gets its proxy IPs, the assignment is an event, the rest is forwarded', () => {
  const stub = new StubResolver<string>({
    sentinels: buildSentinels(['192.0.2.53']), // 100.100.111.1 stands for 192.0.2.53
    resources: [{ id: 'corp', address: '**.corp.example' }],
  })
  const query = encodeMessage({
    id: 7,
    flags: FLAG_RD,
    questions: [{ name: 'app.corp.example', type: TYPE.A }],
  })
  const out = stub.handleQuery(0, query, { transport: 'udp', sentinel: '100.100.111.1', asker: 'app:5353' })
  if (out.kind !== 'answer') throw new Error(out.kind)
  const answer = decodeMessage(out.bytes)
  if (typeof answer === 'string') throw new Error(answer)
  expect(answer.answers.map((a) => (a.type === 'A' ? `${a.address} ttl ${a.ttl}` : ''))).toEqual([
    '100.96.0.1 ttl 1',
    '100.96.0.2 ttl 1',
    '100.96.0.3 ttl 1',
    '100.96.0.4 ttl 1',
  ])
  expect(stub.pollEvent()).toMatchObject({ kind: 'assigned', name: 'app.corp.example', resourceId: 'corp' })

  const other = encodeMessage({ id: 8, flags: FLAG_RD, questions: [{ name: 'example.org', type: TYPE.A }] })
  const fwd = stub.handleQuery(0, other, { transport: 'udp', sentinel: '100.100.111.1', asker: 'app:5353' })
  expect(fwd.kind === 'forward' && fwd.upstream.address).toBe('192.0.2.53')
})
