/**
 * Sliding replay window for transport counters (paper §5.4.6; the bitmap of RFC 6479 §2).
 *
 * The window is a ring of `WORDS` 32-bit words (2048 bits). `last` is the highest counter accepted.
 * A counter above `last` advances the window, zeroing the words it passes over (at most all of
 * them); a counter at most `WINDOW` below `last` is checked against its bit. One word is always kept
 * clear ahead of the window (RFC 6479's trick), so the usable window is `2048 − 32` counters and
 * advancing never has to clear bits one by one.
 *
 * Counters are JS numbers, exact below 2^53: the 64-bit wire counter is read as
 * `lo + hi·2^32`, and REJECT_AFTER_MESSAGES caps it below 2^53. Block arithmetic therefore uses
 * `Math.floor(c / 32)` and `%`, never 32-bit bit operations on the counter itself.
 */
import { REJECT_AFTER_MESSAGES } from './constants.ts'

const WORD_BITS = 32
const WORDS = 64
/** Counters this far or further below the highest one seen are rejected as too old. */
export const REPLAY_WINDOW = (WORDS - 1) * WORD_BITS

/** One keypair's receive window. Starts empty: counter 0 is the first acceptable. */
export class ReplayWindow {
  private last = 0
  private readonly bits = new Uint32Array(WORDS)

  /** Forget everything (a fresh keypair). */
  reset(): void {
    this.last = 0
    this.bits.fill(0)
  }

  /**
   * Accepts `counter` once: true when it is new and within the window (and records it), false for
   * a replay, a counter too old for the window, or one at or beyond REJECT_AFTER_MESSAGES. Call only
   * after the packet authenticated, so a forged counter cannot move the window.
   */
  check(counter: number): boolean {
    if (!(counter < REJECT_AFTER_MESSAGES)) return false
    const block = Math.floor(counter / WORD_BITS)
    if (counter > this.last) {
      const current = Math.floor(this.last / WORD_BITS)
      let diff = block - current
      if (diff > WORDS) diff = WORDS
      for (let i = 1; i <= diff; i++) this.bits[(current + i) % WORDS] = 0
      this.last = counter
    } else if (this.last - counter > REPLAY_WINDOW) {
      return false
    }
    const word = block % WORDS
    const bit = 1 << (counter - block * WORD_BITS)
    if ((this.bits[word] & bit) !== 0) return false
    this.bits[word] |= bit
    return true
  }
}
