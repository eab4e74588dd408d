/** fmix32, the table-key mixer nat and nat64 share: against a BigInt model of MurmurHash3's finaliser, and its inverse. */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { fmix32 } from '../src/index.ts'

const M = 1n << 32n
const C1 = 0x85ebca6bn
const C2 = 0xc2b2ae35n

/** The finaliser as written in MurmurHash3 (uint32 arithmetic), in BigInt mod 2^32. */
function model(x: number): number {
  let h = BigInt(x >>> 0)
  h ^= h >> 16n
  h = (h * C1) % M
  h ^= h >> 13n
  h = (h * C2) % M
  h ^= h >> 16n
  return Number(h)
}

function inverseMod(a: bigint): bigint {
  // Extended Euclid; the multipliers are odd, so an inverse mod 2^32 exists.
  let [r0, r1, s0, s1] = [a, M, 1n, 0n]
  while (r1 !== 0n) {
    const q = r0 / r1
    ;[r0, r1] = [r1, r0 - q * r1]
    ;[s0, s1] = [s1, s0 - q * s1]
  }
  return ((s0 % M) + M) % M
}

/** Undo `h ^= h >>> s` on u32 (s ≥ 1): re-apply until the shifted part is gone. */
function unXorShift(h: bigint, s: bigint): bigint {
  let x = h
  for (let i = 0n; i < 32n; i += s) x = h ^ (x >> s)
  return x
}

function inverse(y: number): number {
  let h = BigInt(y >>> 0)
  h = unXorShift(h, 16n)
  h = (h * inverseMod(C2)) % M
  h = unXorShift(h, 13n)
  h = (h * inverseMod(C1)) % M
  h = unXorShift(h, 16n)
  return Number(h)
}

describe('MurmurHash3 fmix32', () => {
  test('property: equals the uint32 model for any u32, and reads other numbers as their low 32 bits', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), (x) => {
        expect(fmix32(x)).toBe(model(x))
        expect(fmix32(x | 0)).toBe(fmix32(x))
      }),
      { numRuns: 500 },
    )
  })

  test('property: a bijection on u32 (the inverse recovers the input), so distinct keys stay distinct', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), (x) => {
        const y = fmix32(x)
        expect(y).toBeGreaterThanOrEqual(0)
        expect(y).toBeLessThanOrEqual(0xffffffff)
        expect(inverse(y)).toBe(x)
      }),
      { numRuns: 500 },
    )
  })

  test('consecutive inputs (ports, addresses) spread: one flipped input bit flips 12-20 output bits on average', () => {
    let flips = 0
    let n = 0
    for (let x = 0; x < 256; x++) {
      for (let b = 0; b < 32; b++) {
        let d = (fmix32(x) ^ fmix32(x ^ (1 << b))) >>> 0
        while (d) {
          flips += d & 1
          d >>>= 1
        }
        n++
      }
    }
    const mean = flips / n
    expect(mean).toBeGreaterThan(12)
    expect(mean).toBeLessThan(20)
  })
})
