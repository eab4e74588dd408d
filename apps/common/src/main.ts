/**
 * The entry point both apps share: run `main(argv)`; a code ≥ 0 is the exit status, a negative one
 * means "keep running" (the shell owns the process until a signal). A configuration error prints
 * just its message (it already names the field and where it came from); anything else prints
 * `<program>: <message>`; both exit 1.
 */
import { ConfigError } from './config.ts'

export function runMain(
  program: string,
  main: (argv: string[]) => Promise<number>,
  argv = process.argv.slice(2),
): void {
  main(argv).then(
    (code) => {
      if (code >= 0) process.exit(code)
    },
    (e: unknown) => {
      if (e instanceof ConfigError) process.stderr.write(`${e.message}\n`)
      else process.stderr.write(`${program}: ${(e as Error).message ?? e}\n`)
      process.exit(1)
    },
  )
}
