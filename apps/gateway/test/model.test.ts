import { describe, expect, test } from 'bun:test'
import { MessageType } from '@gatehouse/control'
import {
  buildUdp4,
  buildUdp6,
  IpPacket,
  ipv4FromText,
  ipv4ToText,
  ipv6FromText,
  ipv6ToText,
} from '@gatehouse/ip-packet'
import fc from 'fast-check'
import { Bench } from './harness.ts'

const CLIENTS = [
  { name: 'alice', ipv4: '100.64.0.2', ipv6: 'fd00:2021:1111::2', resources: ['web'] },
  { name: 'bob', ipv4: '100.64.0.3', ipv6: 'fd00:2021:1111::3', resources: ['web'] },
]
const P4 = ['100.96.0.1', '100.96.0.2', '100.96.0.3', '100.96.0.4']
const P6 = [
  'fd00:2021:1111:8000::1',
  'fd00:2021:1111:8000::2',
  'fd00:2021:1111:8000::3',
  'fd00:2021:1111:8000::4',
]

const action = fc.record({
  client: fc.integer({ min: 0, max: 1 }),
  proxy: fc.integer({ min: 0, max: 3 }),
  port: fc.integer({ min: 1000, max: 1003 }),
  v6: fc.boolean(),
})

describe('issue 9 §7 model: a reply goes back to the client and port that opened the session, and nowhere else', () => {
  test('two clients, the same proxy IPs and ports, interleaved flows', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 16 }), (acts) => {
        const b = new Bench(
          { a: { 'app.example.com': ['192.0.2.10'] }, aaaa: { 'app.example.com': ['2001:db8::10'] } },
          CLIENTS,
        )
        for (const c of CLIENTS) {
          b.connect(c.name)
          b.sendControl(c.name, {
            type: MessageType.AssignedIps,
            requestId: 1,
            resource: 'web',
            domain: 'app.example.com',
            proxyIps: [...P4, ...P6],
          })
        }
        b.takeTun()
        const p = new IpPacket()
        for (const a of acts) {
          const me = CLIENTS[a.client]
          const spec = { srcPort: a.port, dstPort: 53, payload: new Uint8Array([a.client, a.proxy]) }
          b.send(
            me.name,
            a.v6
              ? buildUdp6({ src: ipv6FromText(me.ipv6)!, dst: ipv6FromText(P6[a.proxy])!, ...spec })
              : buildUdp4({ src: ipv4FromText(me.ipv4)!, dst: ipv4FromText(P4[a.proxy])!, ...spec }),
          )
          const out = b.takeTun()
          expect(out.length).toBe(1)
          expect(p.reset(out[0], 0, out[0].length)).toBeNull()
          // The site answers whatever arrived: to its source address and port.
          const reply = a.v6
            ? buildUdp6({
                src: ipv6FromText('2001:db8::10')!,
                dst: out[0].slice(p.srcAddrOff, p.srcAddrOff + 16),
                srcPort: 53,
                dstPort: p.srcPort,
              })
            : buildUdp4({ src: ipv4FromText('192.0.2.10')!, dst: p.src4, srcPort: 53, dstPort: p.srcPort })
          b.fromSite(reply)
          for (const [i, c] of CLIENTS.entries()) {
            const inbox = b.client(c.name).inbox.splice(0)
            if (i !== a.client) {
              expect(inbox).toEqual([])
              continue
            }
            expect(inbox.length).toBe(1)
            expect(p.reset(inbox[0], 0, inbox[0].length)).toBeNull()
            expect(p.verifyChecksums()).toBeNull()
            expect(p.dstPort).toBe(a.port)
            if (a.v6) {
              expect(ipv6ToText(inbox[0], p.srcAddrOff)).toBe(P6[a.proxy])
              expect(ipv6ToText(inbox[0], p.dstAddrOff)).toBe(me.ipv6)
            } else {
              expect(ipv4ToText(p.src4)).toBe(P4[a.proxy])
              expect(ipv4ToText(p.dst4)).toBe(me.ipv4)
            }
          }
        }
      }),
      { numRuns: 25 },
    )
  })
})
