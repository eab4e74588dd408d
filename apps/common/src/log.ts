import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

/**
 * JSON-line logs, one object per line with `time`, `severity` and `message` first, so the
 * reference system's recipe works unchanged:
 *   cat *.log | jq -r '"\(.time) \(.severity) \(.message)"'
 * A `human` format prints the same three fields and `key=value` pairs for a terminal.
 */

export type Severity = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'
const RANK: Record<Severity, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 }

export type LogFields = Record<string, unknown>

export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** A logger that adds `fields` to every line (e.g. `{ component: 'nat' }`). */
  child(fields: LogFields): Logger
}

export interface LoggerOptions {
  /** Application name; the log file is `<dir>/<app>.log`. */
  app: string
  /** Directory for the JSON-line file; none = no file. */
  dir?: string | undefined
  /** What goes to stderr: JSON lines, human lines, or nothing. */
  console?: 'json' | 'human' | 'none'
  level?: Severity
  /** Injected for tests; defaults to the wall clock. */
  clock?: () => Date
  /** Injected for tests; defaults to process.stderr. */
  write?: (line: string) => void
}

/** Creates a logger and writes the two opening lines the reference prints: `started log` and `GIT_VERSION = …`. */
export function createLogger(opts: LoggerOptions, gitVersion: string): Logger {
  const minRank = RANK[opts.level ?? 'INFO']
  const clock = opts.clock ?? (() => new Date())
  const out = opts.write ?? ((line: string) => process.stderr.write(line))
  const consoleFormat = opts.console ?? 'human'
  let file: string | undefined
  if (opts.dir) {
    mkdirSync(opts.dir, { recursive: true })
    file = join(opts.dir, `${opts.app}.log`)
  }

  const emit = (severity: Severity, message: string, fields: LogFields) => {
    if (RANK[severity] < minRank) return
    const time = clock().toISOString()
    const json = `${JSON.stringify({ time, severity, message, ...fields }, jsonReplacer)}\n`
    // Appending synchronously keeps lines whole and ordered across a crash; logs are never on the packet path.
    if (file) appendFileSync(file, json)
    if (consoleFormat === 'json') out(json)
    else if (consoleFormat === 'human') out(`${time} ${severity} ${message}${humanFields(fields)}\n`)
  }

  const make = (base: LogFields): Logger => ({
    debug: (m, f) => emit('DEBUG', m, { ...base, ...f }),
    info: (m, f) => emit('INFO', m, { ...base, ...f }),
    warn: (m, f) => emit('WARN', m, { ...base, ...f }),
    error: (m, f) => emit('ERROR', m, { ...base, ...f }),
    child: (f) => make({ ...base, ...f }),
  })
  const logger = make({})
  logger.info('started log')
  logger.info(`GIT_VERSION = ${gitVersion}`)
  return logger
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Error) return { name: value.name, message: value.message }
  return value
}

function humanFields(fields: LogFields): string {
  let s = ''
  for (const [k, v] of Object.entries(fields)) {
    s += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v, jsonReplacer)}`
  }
  return s
}
