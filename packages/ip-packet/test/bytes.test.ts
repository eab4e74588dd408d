import { expect, test } from 'bun:test'
import fc from 'fast-check'
import { copyBytes } from '../src/index.ts'

test('copyBytes equals a byte loop, between buffers and within one (overlapping both ways)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.nat(),
      fc.nat(),
      fc.nat(),
      fc.boolean(),
      (src, a, b, c, same) => {
        const srcOff = a % src.length
        const len = c % (src.length - srcOff + 1)
        const dst = same ? src.slice() : new Uint8Array(src.length + 8)
        const dstOff = b % (dst.length - len + 1)
        const from = (same ? dst : src).slice()
        const want = dst.slice()
        for (let i = 0; i < len; i++) want[dstOff + i] = from[srcOff + i]
        copyBytes(same ? dst : src, srcOff, dst, dstOff, len)
        expect(dst).toEqual(want)
      },
    ),
  )
})
