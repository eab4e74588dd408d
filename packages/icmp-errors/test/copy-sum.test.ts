import { describe, expect, test } from 'bun:test'
import { finish, sum } from '@gatehouse/ip-packet'
import fc from 'fast-check'
import { copyAndSum } from '../src/copy-sum.ts'

describe('RFC 1071 §2(B): copy + checksum in one pass equals a copy then a byte-wise sum', () => {
  test('property: any offsets (aligned or not), any length, views with a byteOffset, same buffer', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 1600 }),
        fc.nat(9),
        fc.nat(9),
        fc.nat(9),
        fc.nat(9),
        fc.boolean(),
        (data, srcView, dstView, srcOff, dstOff, shared) => {
          const srcBuf = new ArrayBuffer(data.length + 32)
          const src = new Uint8Array(srcBuf, srcView)
          src.set(data, srcOff)
          const dstBacking = shared ? srcBuf : new ArrayBuffer(data.length + 32)
          const dst = new Uint8Array(dstBacking, dstView)
          const n = Math.min(data.length, src.length - srcOff, dst.length - dstOff)
          const expected = Array.from(data.subarray(0, n))
          const s = copyAndSum(src, srcOff, dst, dstOff, n)
          expect(Array.from(dst.subarray(dstOff, dstOff + n))).toEqual(expected)
          expect(finish(s)).toBe(finish(sum(Uint8Array.from(expected), 0, n, 0)))
        },
      ),
      { numRuns: 300 },
    )
  })
})
