import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import {
  type ControlMessage,
  DOMAIN_STATUSES,
  decodeControl,
  encodeControl,
  MessageType,
} from '../src/index.ts'

const proxyIps = [
  '100.96.0.1',
  '100.96.0.2',
  '100.96.0.3',
  '100.96.0.4',
  'fd00:2021:1111:8000::1',
  'fd00:2021:1111:8000::2',
  'fd00:2021:1111:8000::3',
  'fd00:2021:1111:8000::4',
]

const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/)
const arbDomain = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'))
const arbResource = fc.stringMatching(/^[a-zA-Z0-9-]{1,36}$/)
const arbRequestId = fc.nat(0xffffffff)
const arbMessage: fc.Arbitrary<ControlMessage> = fc.oneof(
  fc.record({
    type: fc.constant(MessageType.AssignedIps),
    requestId: arbRequestId,
    resource: arbResource,
    domain: arbDomain,
    proxyIps: fc.shuffledSubarray(proxyIps, { minLength: 1 }),
  }),
  fc.record({
    type: fc.constant(MessageType.DomainStatus),
    requestId: arbRequestId,
    resource: arbResource,
    domain: arbDomain,
    status: fc.constantFrom(...DOMAIN_STATUSES),
  }),
  fc.record({
    type: fc.constant(MessageType.DnsQuery),
    requestId: arbRequestId,
    resource: arbResource,
    query: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64')),
  }),
  fc.record({
    type: fc.constant(MessageType.DnsAnswer),
    requestId: arbRequestId,
    resource: arbResource,
    answer: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64')),
  }),
  fc.record({ type: fc.constant(MessageType.Goodbye), requestId: arbRequestId }),
)

describe('control payload codec', () => {
  test('a known AssignedIps message has the documented layout', () => {
    const bytes = encodeControl({
      type: MessageType.AssignedIps,
      requestId: 0x01020304,
      resource: 'r1',
      domain: 'app.example.com',
      proxyIps,
    })
    expect([...bytes.subarray(0, 8)]).toEqual([1, 1, 0, 0, 1, 2, 3, 4])
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(8)))).toEqual({
      resource: 'r1',
      domain: 'app.example.com',
      proxyIps,
    })
  })

  test('decode(encode(m)) == m, also at an offset inside a larger buffer', () => {
    fc.assert(
      fc.property(arbMessage, fc.nat(64), (msg, pad) => {
        const bytes = encodeControl(msg)
        expect(decodeControl(bytes)).toEqual(msg)
        const bigger = new Uint8Array(pad + bytes.length + 7)
        bigger.set(bytes, pad)
        expect(decodeControl(bigger, pad, bytes.length)).toEqual(msg)
      }),
      { numRuns: 300 },
    )
  })

  test('random and truncated payloads give a drop reason or a valid message, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = decodeControl(bytes)
        expect(typeof r === 'string' || typeof r === 'object').toBe(true)
      }),
      { numRuns: 2000 },
    )
    fc.assert(
      fc.property(arbMessage, fc.nat(), (msg, cut) => {
        const bytes = encodeControl(msg)
        const len = cut % bytes.length
        const r = decodeControl(bytes, 0, len)
        expect(typeof r).toBe('string')
      }),
      { numRuns: 300 },
    )
  })

  test('each malformed kind has its own drop reason', () => {
    const good = encodeControl({ type: MessageType.Goodbye, requestId: 1 })
    expect(decodeControl(good.subarray(0, 7))).toBe('control-truncated')
    const badVersion = good.slice()
    badVersion[1] = 9
    expect(decodeControl(badVersion)).toBe('control-bad-version')
    const unknown = good.slice()
    unknown[0] = 200
    expect(decodeControl(unknown)).toBe('control-unknown-type')
    const notJson = new Uint8Array([...good.subarray(0, 8), 0x7b])
    expect(decodeControl(notJson)).toBe('control-bad-json')
    const badIp = new Uint8Array([
      1,
      1,
      0,
      0,
      0,
      0,
      0,
      1,
      ...new TextEncoder().encode('{"resource":"r","domain":"a.b","proxyIps":["300.1.1.1"]}'),
    ])
    expect(decodeControl(badIp)).toBe('control-bad-body')
  })

  test('encoding an invalid message is a programmer error', () => {
    expect(() =>
      encodeControl({
        type: MessageType.AssignedIps,
        requestId: 1,
        resource: 'r',
        domain: 'a.b',
        proxyIps: ['x'],
      }),
    ).toThrow(/not an IP address/)
    expect(() => encodeControl({ type: MessageType.Goodbye, requestId: -1 })).toThrow(/u32/)
  })
})
