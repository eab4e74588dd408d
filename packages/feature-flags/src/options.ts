/**
 * Start-up configuration: operator overrides from `--feature` arguments and `GATEHOUSE_FEATURE_*`
 * variables, and the backend from `GATEHOUSE_FLAGS_*` variables. Config-time code: it throws, with an
 * error naming the argument or variable, on anything it cannot read.
 *
 * Precedence (highest first): `--feature` > `GATEHOUSE_FEATURE_<NAME>` > backend answer > default.
 */
import { z } from 'zod'
import {
  DEFAULT_GRACE_MS,
  DEFAULT_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
  ENV_CONFIG_PREFIX,
  ENV_OVERRIDE_PREFIX,
} from './constants.ts'
import { envVarName, type FlagRegistry } from './registry.ts'
import type { Override, Overrides } from './state.ts'

/** An environment: `process.env` or a test's plain object. */
export type Env = Readonly<Record<string, string | undefined>>

/** What {@link parseOverrides} returns. */
export interface ParsedOverrides<R extends FlagRegistry = FlagRegistry> {
  readonly overrides: Overrides<R>
  /** Things worth a warning but not worth refusing to start: `GATEHOUSE_FEATURE_*` naming no known flag. */
  readonly warnings: readonly string[]
}

const TRUE = new Set(['true', '1', 'on', 'yes'])
const FALSE = new Set(['false', '0', 'off', 'no'])

function parseBool(raw: string, where: string): boolean {
  const v = raw.trim().toLowerCase()
  if (TRUE.has(v)) return true
  if (FALSE.has(v)) return false
  throw new Error(`${where}: '${raw}' is not a boolean (true/false/1/0/on/off/yes/no)`)
}

/**
 * Reads overrides from `argv` (`--feature name=true`, `--feature=name=false`, or `--feature name`
 * for true; repeated, the last wins; other arguments are skipped) and `env`
 * (`GATEHOUSE_FEATURE_ICMP_UNREACHABLE_INSTEAD_OF_NAT64=true`; empty = unset). The CLI beats the
 * environment. An unknown flag on the command line throws (a typo the operator just made); an
 * unknown `GATEHOUSE_FEATURE_*` variable is a warning (the environment may outlive a flag).
 */
export function parseOverrides<R extends FlagRegistry>(
  registry: R,
  argv: readonly string[] = [],
  env: Env = {},
): ParsedOverrides<R> {
  const overrides: Record<string, Override> = {}
  const warnings: string[] = []
  const byEnv = new Map(registry.specs.map((s) => [envVarName(s.name), s.name]))

  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith(ENV_OVERRIDE_PREFIX) || raw === undefined || raw.trim() === '') continue
    const name = byEnv.get(key)
    if (name === undefined) {
      warnings.push(`${key} names no known feature flag (known: ${[...byEnv.keys()].join(', ')})`)
      continue
    }
    overrides[name] = { value: parseBool(raw, key), origin: `env ${key}` }
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    let spec: string
    if (arg === '--feature') {
      if (i + 1 >= argv.length) throw new Error('--feature: missing name=value')
      spec = argv[++i]
    } else if (arg.startsWith('--feature=')) spec = arg.slice('--feature='.length)
    else continue
    const eq = spec.indexOf('=')
    const name = eq < 0 ? spec : spec.slice(0, eq)
    if (!registry.byName.has(name))
      throw new Error(
        `--feature ${spec}: unknown feature flag '${name}' (known: ${registry.specs.map((s) => s.name).join(', ')})`,
      )
    const value = eq < 0 ? true : parseBool(spec.slice(eq + 1), `--feature ${spec}`)
    overrides[name] = { value, origin: 'cli --feature' }
  }
  return { overrides: overrides as Overrides<R>, warnings }
}

/** The two PostHog evaluation endpoints: `/decide?v=3` and `/flags?v=2`. */
export const BACKEND_APIS = ['decide', 'flags'] as const

/** Backend and timing configuration, validated. */
export const backendOptionsSchema = z
  .object({
    /** Base URL of the PostHog-compatible backend (`https://eu.i.posthog.com`); null = offline. */
    url: z.url({ protocol: /^https?$/ }).nullable(),
    /** Project API key, sent as `api_key` and `token`. Required with `url`. */
    apiKey: z.string().min(1).nullable(),
    api: z.enum(BACKEND_APIS),
    intervalMs: z.number().int().positive(),
    graceMs: z.number().int().nonnegative(),
    timeoutMs: z.number().int().positive(),
  })
  .refine((o) => o.url === null || o.apiKey !== null, {
    path: ['apiKey'],
    message: 'required when url is set',
  })
  .refine((o) => o.timeoutMs < o.intervalMs, {
    path: ['timeoutMs'],
    message: 'must be shorter than intervalMs',
  })
  // Shorter than one interval plus its request, and a healthy backend would flap flags back to defaults.
  .refine((o) => o.graceMs >= o.intervalMs + o.timeoutMs, {
    path: ['graceMs'],
    message: 'must be at least intervalMs + timeoutMs',
  })

/** Validated backend and timing configuration. */
export type BackendOptions = z.infer<typeof backendOptionsSchema>

/** Offline, with the default timings. */
export const OFFLINE: BackendOptions = {
  url: null,
  apiKey: null,
  api: 'decide',
  intervalMs: DEFAULT_INTERVAL_MS,
  graceMs: DEFAULT_GRACE_MS,
  timeoutMs: DEFAULT_TIMEOUT_MS,
}

/** Validates `input` over {@link OFFLINE}'s defaults; throws an error naming the field. */
export function backendOptions(input: Partial<BackendOptions> = {}): BackendOptions {
  const r = backendOptionsSchema.safeParse({ ...OFFLINE, ...input })
  if (r.success) return r.data
  const issue = r.error.issues[0]
  throw new Error(`feature flags: ${issue.path.join('.')}: ${issue.message}`)
}

const ENV_FIELDS = {
  URL: 'url',
  API_KEY: 'apiKey',
  API: 'api',
  INTERVAL_MS: 'intervalMs',
  GRACE_MS: 'graceMs',
  TIMEOUT_MS: 'timeoutMs',
} as const

/**
 * Reads the backend from `GATEHOUSE_FLAGS_URL`, `_API_KEY`, `_API` (`decide`|`flags`), `_INTERVAL_MS`,
 * `_GRACE_MS` and `_TIMEOUT_MS`. No URL means offline. Throws naming the variable on a bad value.
 */
export function parseBackendEnv(env: Env = {}): BackendOptions {
  const input: Record<string, unknown> = {}
  for (const [suffix, field] of Object.entries(ENV_FIELDS)) {
    const raw = env[ENV_CONFIG_PREFIX + suffix]?.trim()
    if (raw === undefined || raw === '') continue
    if (field === 'intervalMs' || field === 'graceMs' || field === 'timeoutMs') {
      if (!/^\d+$/.test(raw)) throw new Error(`${ENV_CONFIG_PREFIX}${suffix}: '${raw}' is not a whole number`)
      input[field] = Number(raw)
    } else input[field] = raw
  }
  const r = backendOptionsSchema.safeParse({ ...OFFLINE, ...input })
  if (r.success) return r.data
  const issue = r.error.issues[0]
  const field = String(issue.path[0])
  const suffix = Object.entries(ENV_FIELDS).find(([, f]) => f === field)?.[0] ?? field
  throw new Error(`${ENV_CONFIG_PREFIX}${suffix}: ${issue.message}`)
}
