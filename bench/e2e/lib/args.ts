/**
 * The command line every end-to-end bench shares: `--quick`, `--profile`, `--rounds N`,
 * `--seconds N`, `--out DIR` (each also as `--name=value`), plus the bench's own options. Strict:
 * a misspelt option is an error that names it, not a silently default run.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { RESULTS_DIR } from './report.ts'

const COMMON = {
  quick: { type: 'boolean', default: false },
  profile: { type: 'boolean', default: false },
  rounds: { type: 'string' },
  seconds: { type: 'string' },
  out: { type: 'string', default: RESULTS_DIR },
} as const satisfies ParseArgsOptionsConfig

/** A positive integer option, or `fallback` when absent; exits 2 naming the option when it is not one. */
export function positiveInt(bench: string, name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${bench}: --${name} must be a positive integer, got '${text}'`)
    process.exit(2)
  }
  return n
}

/**
 * Parses `argv` (default: this process's arguments) with the common options and `extra`;
 * on an unknown or malformed option prints `<bench>: <what>` and exits 2.
 */
export function benchArgs<T extends ParseArgsOptionsConfig>(
  bench: string,
  extra: T,
  argv: string[] = process.argv.slice(2),
) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON, ...extra }, strict: true, allowPositionals: false })
      .values
  } catch (e) {
    console.error(`${bench}: ${(e as Error).message}`)
    process.exit(2)
  }
}
