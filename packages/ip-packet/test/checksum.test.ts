import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { finish, sum, update16, update32 } from '../src/index.ts'

describe('RFC 1071 Internet checksum', () => {
  test('RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2', () => {
    const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])
    expect(finish(sum(b, 0, b.length, 0))).toBe(~0xddf2 & 0xffff)
  })

  test('a known IPv4 header verifies to zero', () => {
    // 45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7 (Wikipedia's IPv4 checksum example)
    const h = Uint8Array.from(
      Buffer.from('450000730000400040 11b861c0a80001c0a800c7'.replace(/ /g, ''), 'hex'),
    )
    expect(finish(sum(h, 0, 20, 0))).toBe(0)
  })

  test('an odd length is padded with a zero byte (RFC 1071 §4.1)', () => {
    const odd = new Uint8Array([0x12, 0x34, 0x56])
    const even = new Uint8Array([0x12, 0x34, 0x56, 0x00])
    expect(sum(odd, 0, 3, 0)).toBe(sum(even, 0, 4, 0))
  })
})

describe('RFC 1624 incremental update', () => {
  test('update16 equals a full recomputation', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (data, at, word) => {
          const buf = new Uint8Array(data.length + (data.length & 1))
          buf.set(data)
          const i = (at % (buf.length / 2)) * 2
          const before = finish(sum(buf, 0, buf.length, 0))
          const old = (buf[i] << 8) | buf[i + 1]
          buf[i] = word >> 8
          buf[i + 1] = word & 0xff
          const full = finish(sum(buf, 0, buf.length, 0))
          // Eq. 3 may give 0x0000 where a full sum gives 0xffff only for an all-zero sum; both are the same ones' complement value.
          expect(update16(before, old, word) % 0xffff).toBe(full % 0xffff)
        },
      ),
    )
  })

  test('update32 equals a full recomputation', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 64 }),
        fc.nat(),
        fc.nat(0xffffffff),
        (data, at, value) => {
          const buf = new Uint8Array(data.length + (data.length & 1) + 4)
          buf.set(data)
          const i = (at % ((buf.length - 2) / 2)) * 2
          const view = new DataView(buf.buffer)
          const before = finish(sum(buf, 0, buf.length, 0))
          const old = view.getUint32(i)
          view.setUint32(i, value)
          const full = finish(sum(buf, 0, buf.length, 0))
          expect(update32(before, old, value) % 0xffff).toBe(full % 0xffff)
        },
      ),
    )
  })
})
