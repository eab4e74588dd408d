import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { REJECT_AFTER_MESSAGES, REPLAY_WINDOW, ReplayWindow } from '../src/index.ts'

/** The naive model: a Set of everything seen and the highest counter. */
function modelAccepts(seen: Set<number>, max: { v: number }, c: number): boolean {
  if (c >= REJECT_AFTER_MESSAGES) return false
  if (seen.has(c)) return false
  if (c <= max.v && max.v - c > REPLAY_WINDOW) return false
  seen.add(c)
  if (c > max.v) max.v = c
  return true
}

describe('RFC 6479 / paper §5.4.6: sliding replay window', () => {
  test('agrees with a Set-based model on random counter sequences (reorder, replay, jumps)', () => {
    const counter = fc.oneof(
      fc.integer({ min: 0, max: 5000 }),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.constantFrom(0, 1, 31, 32, 63, 64, 2015, 2016, 2017, 2047, 2048, 2 ** 32 - 1, 2 ** 32, 2 ** 52),
    )
    fc.assert(
      fc.property(fc.array(counter, { maxLength: 300 }), (cs) => {
        const w = new ReplayWindow()
        const seen = new Set<number>()
        const max = { v: 0 }
        for (const c of cs) expect(w.check(c)).toBe(modelAccepts(seen, max, c))
      }),
      { numRuns: 200 },
    )
  })

  test('every counter in a window-sized reordered burst is accepted once', () => {
    const w = new ReplayWindow()
    const order = Array.from({ length: REPLAY_WINDOW }, (_, i) => REPLAY_WINDOW - 1 - i)
    for (const c of order) expect(w.check(c)).toBe(true)
    for (const c of order) expect(w.check(c)).toBe(false)
  })

  test('counters at or past REJECT_AFTER_MESSAGES (2^53 here) are rejected', () => {
    const w = new ReplayWindow()
    expect(w.check(REJECT_AFTER_MESSAGES)).toBe(false)
    expect(w.check(2 ** 64)).toBe(false)
    expect(w.check(REJECT_AFTER_MESSAGES - 1)).toBe(true)
  })
})
