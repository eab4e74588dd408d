import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import {
  applyDiff,
  copyAndSum,
  diff16,
  diff32,
  diff128,
  finish,
  fold,
  sum,
  update16,
  update32,
} from '../src/index.ts'

/** The reference: RFC 1071 §4.1's loop, one 16-bit big-endian word per step, an odd tail padded with zero. */
function naiveSum(b: Uint8Array, off: number, len: number, acc: number): number {
  let s = acc
  for (let i = 0; i < len; i += 2) s += (b[off + i] << 8) | (i + 1 < len ? b[off + i + 1] : 0)
  return s
}

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

describe('RFC 1071 §2(B), §4.1: sum (byte pairs below 128 B, 32-bit words above) equals the naive word loop', () => {
  test('property: exactly the naive sum for any view offset, region offset, length and running sum', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 1600, size: 'max' }),
        fc.nat(7),
        fc.nat(9),
        fc.nat(0xffffffff),
        (data, viewOff, off, acc) => {
          // The view starts at any byte of its ArrayBuffer, so every alignment of the region is reached.
          const backing = new ArrayBuffer(viewOff + off + data.length + 3)
          const b = new Uint8Array(backing, viewOff)
          b.set(data, off)
          expect(sum(b, off, data.length, acc)).toBe(naiveSum(b, off, data.length, acc))
        },
      ),
      { numRuns: 300 },
    )
  })

  test('regions longer than one 128-word chunk of near-0xff bytes, at every alignment, sum exactly', () => {
    // Bytes near 0xff fill every 16-bit lane (where a carry between lanes would show); 0xff/0xfe
    // alternating makes high and low halves differ (where a swap of even and odd bytes would show).
    const b = new Uint8Array(4100).map((_, i) => (i & 1 ? 0xfe : 0xff))
    for (let off = 0; off < 4; off++) {
      for (const len of [127, 128, 129, 511, 512, 513, 1500, 4093]) {
        expect(sum(b, off, len, 0)).toBe(naiveSum(b, off, len, 0))
      }
    }
  })
})

describe('RFC 1071: copyAndSum copies and sums in one pass', () => {
  test('property: the copy is exact and the sum folds to the naive sum of the copied bytes, any alignments', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 1600, size: 'max' }),
        fc.nat(9),
        fc.nat(9),
        fc.nat(9),
        fc.nat(9),
        fc.boolean(),
        fc.nat(0xffff),
        (data, srcView, dstView, srcOff, dstOff, shared, acc) => {
          const srcBuf = new ArrayBuffer(data.length + 32)
          const src = new Uint8Array(srcBuf, srcView)
          src.set(data, srcOff)
          // shared: both views over one ArrayBuffer (possibly overlapping regions).
          const dst = new Uint8Array(shared ? srcBuf : new ArrayBuffer(data.length + 32), dstView)
          const n = Math.min(data.length, src.length - srcOff, dst.length - dstOff)
          const s = copyAndSum(src, srcOff, dst, dstOff, n, acc)
          expect(Array.from(dst.subarray(dstOff, dstOff + n))).toEqual(Array.from(data.subarray(0, n)))
          expect(fold(s)).toBe(fold(naiveSum(data, 0, n, acc)))
        },
      ),
      { numRuns: 300 },
    )
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

describe('RFC 1071 §2(B): folding keeps the value mod 0xffff, for any sum size', () => {
  test('fold(x) ≡ x (mod 0xffff), fits 16 bits, up to 2^53', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (x) => {
        const f = fold(x)
        expect(f).toBeLessThanOrEqual(0xffff)
        expect(f % 0xffff).toBe(x % 0xffff)
        if (x > 0) expect(f).toBeGreaterThan(0)
      }),
    )
  })
  test('a 65535-byte buffer of 0xff sums like a naive loop', () => {
    const b = new Uint8Array(65535).fill(0xff)
    let naive = 0
    for (let i = 0; i < b.length; i += 2) naive += (b[i] << 8) | (b[i + 1] ?? 0)
    expect(fold(sum(b, 0, b.length, 0)) % 0xffff).toBe(naive % 0xffff)
  })
})

describe('RFC 1624 difference terms', () => {
  test('applyDiff of summed diff16/diff32 terms equals chained update16/update32', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })), {
          maxLength: 10,
        }),
        fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff)),
        (ck, words, [o32, n32]) => {
          let chained = update32(ck, o32, n32)
          let d = diff32(o32, n32)
          for (const [o, n] of words) {
            chained = update16(chained, o, n)
            d += diff16(o, n)
          }
          expect(applyDiff(ck, d) % 0xffff).toBe(chained % 0xffff)
        },
      ),
    )
  })
  test('diff128 equals eight diff16 terms', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (a, b) => {
          let d = 0
          for (let i = 0; i < 16; i += 2) d += diff16((a[i] << 8) | a[i + 1], (b[i] << 8) | b[i + 1])
          expect(diff128(a, 0, b, 0)).toBe(d)
        },
      ),
    )
  })
})
