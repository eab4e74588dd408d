import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { CONSTRUCTION, IDENTIFIER } from '../src/index.ts'
import { messageType, readU64, writeU64 } from '../src/messages.ts'
import { tai64nAfter, writeTai64n } from '../src/tai64n.ts'

describe('paper §5.4: constants', () => {
  test('construction and identifier strings are exactly the specified ones', () => {
    expect(new TextDecoder().decode(CONSTRUCTION)).toBe('Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s')
    expect(new TextDecoder().decode(IDENTIFIER)).toBe('WireGuard v1 zx2c4 Jason@zx2c4.com')
  })
})

describe('paper §5.4.2: TAI64N', () => {
  test('the Unix epoch is 2^62 + 10 s, 0 ns (label 400000000000000a)', () => {
    const b = new Uint8Array(12)
    writeTai64n(b, 0, 0)
    expect(Buffer.from(b).toString('hex')).toBe('400000000000000a00000000')
  })

  test('order of timestamps follows order of wall-clock times ≥ 2^24 ns apart', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 42 }), fc.integer({ min: 17, max: 2 ** 30 }), (t, d) => {
        const a = new Uint8Array(12)
        const b = new Uint8Array(12)
        writeTai64n(a, 0, t)
        writeTai64n(b, 0, t + d)
        expect(tai64nAfter(b, 0, a, 0)).toBe(true)
        expect(tai64nAfter(a, 0, b, 0)).toBe(false)
        expect(tai64nAfter(a, 0, a, 0)).toBe(false)
      }),
    )
  })
})

describe('paper §5.4: message header', () => {
  test('the type is one byte followed by three reserved zero bytes', () => {
    expect(messageType(Uint8Array.of(1, 0, 0, 0), 4)).toBe(1)
    expect(messageType(Uint8Array.of(4, 0, 0, 1), 4)).toBe(0)
    expect(messageType(Uint8Array.of(4, 0, 0), 3)).toBe(0)
  })

  test('u64 counters round-trip below 2^53', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 8 }),
        (v, off) => {
          const b = new Uint8Array(16)
          writeU64(b, off, v)
          expect(readU64(b, off)).toBe(v)
          expect(new DataView(b.buffer).getBigUint64(off, true)).toBe(BigInt(v))
        },
      ),
    )
  })
})
