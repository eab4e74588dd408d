import { describe, expect, test } from 'bun:test'
import { buildUdp6, ipv6FromText } from '@gatehouse/ip-packet'
import fc from 'fast-check'
import {
  buildControlPacket,
  CONTROL_NEXT_HEADER,
  decodeControlPacket,
  isControlPacket,
  MessageType,
} from '../src/index.ts'

describe('control carrier (Firezone p2p control protocol: IPv6 :: -> ::, RFC 4727 §2 next header 253)', () => {
  test('a built packet is recognised and decodes to the message', () => {
    const pkt = buildControlPacket({
      type: MessageType.AssignedIps,
      requestId: 7,
      resource: 'web',
      domain: 'app.example.com',
      proxyIps: ['100.96.0.1', 'fd00:2021:1111:8000::1'],
    })
    expect(pkt[0] >> 4).toBe(6)
    expect(pkt[6]).toBe(CONTROL_NEXT_HEADER)
    expect(isControlPacket(pkt, 0, pkt.length)).toBe(true)
    expect(decodeControlPacket(pkt, 0, pkt.length)).toEqual({
      type: MessageType.AssignedIps,
      requestId: 7,
      resource: 'web',
      domain: 'app.example.com',
      proxyIps: ['100.96.0.1', 'fd00:2021:1111:8000::1'],
    })
  })

  test('at an offset inside a larger buffer', () => {
    const pkt = buildControlPacket({ type: MessageType.Goodbye, requestId: 0, reason: 'bye' })
    const buf = new Uint8Array(pkt.length + 30)
    buf.set(pkt, 16)
    expect(isControlPacket(buf, 16, pkt.length)).toBe(true)
    expect(decodeControlPacket(buf, 16, pkt.length)).toEqual({
      type: MessageType.Goodbye,
      requestId: 0,
      reason: 'bye',
    })
  })

  test('ordinary traffic, a wrong address or a short buffer is not a control packet', () => {
    const a = ipv6FromText('fd00::1')!
    const udp = buildUdp6({ src: a, dst: a, srcPort: 1, dstPort: 2 })
    expect(isControlPacket(udp, 0, udp.length)).toBe(false)
    const pkt = buildControlPacket({ type: MessageType.Goodbye, requestId: 0 })
    const spoof = pkt.slice()
    spoof[39] = 1 // dst ::1
    expect(isControlPacket(spoof, 0, spoof.length)).toBe(false)
    expect(isControlPacket(pkt, 0, 39)).toBe(false)
    expect(isControlPacket(pkt, 0, pkt.length - 1)).toBe(false) // payload length past the end
  })

  test('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        if (b.length > 0) b[0] = (b[0] & 0x0f) | 0x60
        if (isControlPacket(b, 0, b.length)) {
          const m = decodeControlPacket(b, 0, b.length)
          expect(m).toBeDefined()
        }
      }),
      { numRuns: 300 },
    )
  })
})
