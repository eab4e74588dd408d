import fc from 'fast-check'
import { encodeMessage, FLAG_RD } from '../src/wire.ts'

/** Bytes from spaced hex, for test vectors written out by hand. */
export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))
}

/** Host-name-like labels: letters (either case), digits, hyphen; 1 to 4 labels. */
export const arbLabel = (): fc.Arbitrary<string> => fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,14}$/)

export const arbName = (): fc.Arbitrary<string> =>
  fc.array(arbLabel(), { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'))

/** A well-formed query, optionally with EDNS. */
export const arbQuery = (): fc.Arbitrary<Uint8Array> =>
  fc
    .record({
      name: arbName(),
      type: fc.constantFrom(1, 28, 12, 16, 33, 65),
      id: fc.nat(0xffff),
      edns: fc.boolean(),
    })
    .map(({ name, type, id, edns }) =>
      encodeMessage({
        id,
        flags: FLAG_RD,
        questions: [{ name, type }],
        ...(edns ? { ednsUdpSize: 1232 } : {}),
      }),
    )

/** Runs for the hostile-input properties: modest by default, `FUZZ_RUNS=1e7 bun run fuzz` for the full budget. */
export function fuzzRuns(modest: number): number {
  const n = Number(process.env.FUZZ_RUNS ?? Number.NaN)
  return Number.isFinite(n) && n > 0 ? n : modest
}
