import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { TupleIndex } from '../src/tuple-index.ts'

type Key = [number, number, number, number, number, number]

/** Keys from a small space so that inserts, overwrites, deletes and probe-run collisions all happen. */
const key = fc.tuple(
  fc.constantFrom(0, 0xffffffff, 0x64600001),
  fc.constant(0),
  fc.nat(3),
  fc.nat(7),
  fc.nat(2),
  fc.nat(15),
) as fc.Arbitrary<Key>

const op = fc.oneof(
  fc.tuple(fc.constant('set' as const), key, fc.nat(1000)),
  fc.tuple(fc.constant('delete' as const), key, fc.constant(0)),
  fc.tuple(fc.constant('get' as const), key, fc.constant(0)),
)

describe('TupleIndex (open addressing, backward-shift deletion) against a Map', () => {
  test('every get agrees with a Map after any sequence of set/delete, through growth', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.integer(), (ops, seed) => {
        const idx = new TupleIndex(1, seed)
        const ref = new Map<string, number>()
        for (const [kind, k, v] of ops) {
          const s = k.map((w) => w >>> 0).join(',')
          if (kind === 'set') {
            idx.set(...k, v)
            ref.set(s, v)
          } else if (kind === 'delete') {
            expect(idx.delete(...k)).toBe(ref.delete(s))
          } else {
            expect(idx.get(...k)).toBe(ref.get(s) ?? -1)
          }
          expect(idx.size).toBe(ref.size)
        }
        for (const [s, v] of ref) {
          const k = s.split(',').map(Number) as Key
          expect(idx.get(...k)).toBe(v)
        }
      }),
      { numRuns: 200 },
    )
  })

  test('deleting from the middle of a cluster keeps the rest findable', () => {
    // Keys differing only in the port word, deleted from the middle of their run.
    const idx = new TupleIndex(16, 7)
    for (let p = 0; p < 7; p++) idx.set(1, 2, 3, 4, 5, p, p)
    idx.delete(1, 2, 3, 4, 5, 3)
    for (let p = 0; p < 7; p++) expect(idx.get(1, 2, 3, 4, 5, p)).toBe(p === 3 ? -1 : p)
  })
})
