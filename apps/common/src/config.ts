import { readFileSync } from 'node:fs'
import { z } from 'zod'

/**
 * Configuration from three layers, later beating earlier: a JSON file, `GATEHOUSE_*`
 * environment variables, command-line flags. Every leaf of the schema can be set by each:
 *
 *   file  { "tun": { "name": "gh0" } }
 *   env   GATEHOUSE_TUN__NAME=gh0          (path segments joined by "__", camelCase -> SNAKE_CASE)
 *   flag  --tun.name=gh0
 *
 * Values from env and flags are read as JSON where they parse (numbers, booleans, arrays) and
 * as strings otherwise. A wrong config throws a ConfigError that names each field, its problem
 * and where the value came from.
 */

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

export interface ConfigSources {
  /** Path of a JSON config file; undefined = none. */
  file?: string | undefined
  env?: Record<string, string | undefined>
  /** `--a.b=value` style overrides, already split: { 'a.b': 'value' }. */
  flags?: Record<string, string>
  envPrefix?: string
}

export function loadConfig<S extends z.ZodType>(schema: S, sources: ConfigSources): z.infer<S> {
  const prefix = sources.envPrefix ?? 'GATEHOUSE_'
  const origin = new Map<string, string>()
  let raw: Record<string, unknown> = {}
  if (sources.file) {
    let text: string
    try {
      text = readFileSync(sources.file, 'utf8')
    } catch (e) {
      throw new ConfigError([`config file ${sources.file}: ${(e as Error).message}`])
    }
    try {
      const parsed = JSON.parse(text)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('the top level must be an object')
      }
      raw = parsed
    } catch (e) {
      throw new ConfigError([`config file ${sources.file}: not valid JSON: ${(e as Error).message}`])
    }
  }
  const leaves = leafPaths(schema)
  for (const path of leaves) {
    const name = envName(prefix, path)
    const value = sources.env?.[name]
    if (value !== undefined) {
      setPath(raw, path, parseScalar(value))
      origin.set(path.join('.'), `env ${name}`)
    }
  }
  const known = new Set(leaves.map((p) => p.join('.')))
  const problems: string[] = []
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (!known.has(key)) {
      problems.push(`--${key}: unknown option`)
      continue
    }
    setPath(raw, key.split('.'), parseScalar(value))
    origin.set(key, `flag --${key}`)
  }
  if (problems.length) throw new ConfigError(problems)

  const result = schema.safeParse(raw)
  if (result.success) return result.data
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.')
      const from = origin.get(path) ?? (sources.file ? `file ${sources.file}` : 'defaults')
      return `${path || '(top level)'}: ${issue.message} (from ${from})`
    }),
  )
}

/** `--a.b=c` and `--a.b c` flags into `{ 'a.b': 'c' }`; other arguments are returned as positional. */
export function splitFlags(argv: string[]): { flags: Record<string, string>; positional: string[] } {
  const flags: Record<string, string> = {}
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('--')) {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1)
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags[arg.slice(2)] = argv[++i]
    else flags[arg.slice(2)] = 'true'
  }
  return { flags, positional }
}

function envName(prefix: string, path: string[]): string {
  return prefix + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__')
}

function parseScalar(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let node = obj
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1]] = value
}

/** Every settable path: object fields are walked; anything else (arrays, records, scalars) is a leaf. */
function leafPaths(schema: z.ZodType, prefix: string[] = []): string[][] {
  const inner = unwrap(schema)
  if (inner instanceof z.ZodObject) {
    const out: string[][] = []
    for (const [key, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
      out.push(...leafPaths(child, [...prefix, key]))
    }
    return out
  }
  return prefix.length ? [prefix] : []
}

/** Looks through optional/default/prefault/nullable/refinement wrappers to the schema that has a shape. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema
  for (;;) {
    const def = (s as unknown as { _zod: { def: { innerType?: z.ZodType; in?: z.ZodType } } })._zod.def
    const inner = def.innerType ?? (s instanceof z.ZodPipe ? def.in : undefined)
    if (!inner) return s
    s = inner
  }
}
