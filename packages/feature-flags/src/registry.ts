/**
 * The typed flag registry: every flag is declared once, with the kebab-case name the backend sends,
 * the camelCase accessor the packet path reads, a default and a description.
 *
 * Config-time code: `defineFlags` throws (naming the offending flag) on a malformed declaration.
 */
import { ENV_OVERRIDE_PREFIX } from './constants.ts'

/** `icmp-unreachable-instead-of-nat64` → `icmpUnreachableInsteadOfNat64`, at the type level. */
export type CamelCase<S extends string> = S extends `${infer H}-${infer T}`
  ? `${H}${Capitalize<CamelCase<T>>}`
  : S

/** One flag's declaration. `accessor` must be the camelCase of `name` (checked by type and at runtime). */
export interface FlagSpec<N extends string = string> {
  /** The key the backend uses, kebab-case: `[a-z][a-z0-9]*(-[a-z0-9]+)*`. */
  readonly name: N
  /** The field name on the values object; the camelCase of `name`. */
  readonly accessor: CamelCase<N>
  /** The value whenever no override and no fresh backend answer applies (offline, tests). */
  readonly default: boolean
  /** One sentence for operators: what turning it on does. */
  readonly description: string
}

/** Every spec of `T`, with its `accessor` re-derived from its `name`: a mismatch is a type error. */
export type CheckedSpecs<T extends readonly FlagSpec[]> = {
  readonly [I in keyof T]: T[I] extends { readonly name: infer N extends string } ? FlagSpec<N> : never
}

/** A declared set of flags. Built once, at start-up, by {@link defineFlags}. */
export interface FlagRegistry<T extends readonly FlagSpec[] = readonly FlagSpec[]> {
  /** The declarations, in declaration order. */
  readonly specs: T
  /** Lookup by backend name. */
  readonly byName: ReadonlyMap<string, T[number]>
}

/** Backend names of a registry's flags. */
export type FlagName<R extends FlagRegistry> = R['specs'][number]['name']

/**
 * The values object read on the packet path: one boolean field per flag, named by its accessor.
 * Held by the state core and updated in place, so a reader keeps the same object for the process'
 * lifetime and a read is a plain property load.
 */
export type FlagValues<R extends FlagRegistry> = {
  -readonly [S in R['specs'][number] as S['accessor']]: boolean
}

const NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/

/** Runtime twin of {@link CamelCase}. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/** The environment variable that overrides a flag: `GATEHOUSE_FEATURE_` + upper snake case of the name. */
export function envVarName(name: string): string {
  return `${ENV_OVERRIDE_PREFIX}${name.toUpperCase().replace(/-/g, '_')}`
}

/**
 * Declares a set of flags. Throws on a name that is not kebab-case, an accessor that is not the
 * camelCase of the name, a non-boolean default, an empty description, or a duplicate.
 */
export function defineFlags<const T extends readonly FlagSpec[]>(
  specs: T & CheckedSpecs<T>,
): FlagRegistry<T> {
  const byName = new Map<string, T[number]>()
  const accessors = new Set<string>()
  for (const spec of specs as readonly FlagSpec[]) {
    if (!NAME_RE.test(spec.name)) throw new Error(`feature flag name '${spec.name}' is not kebab-case`)
    if (spec.accessor !== camelCase(spec.name))
      throw new Error(
        `feature flag '${spec.name}': accessor '${spec.accessor}' must be '${camelCase(spec.name)}'`,
      )
    if (typeof spec.default !== 'boolean')
      throw new Error(`feature flag '${spec.name}': default must be a boolean`)
    if (spec.description.trim() === '') throw new Error(`feature flag '${spec.name}': description is empty`)
    if (byName.has(spec.name) || accessors.has(spec.accessor))
      throw new Error(`feature flag '${spec.name}' is declared twice`)
    byName.set(spec.name, spec as T[number])
    accessors.add(spec.accessor)
  }
  return { specs, byName }
}

/** The flags of Gatehouse's client and gateway. Both default to off: offline, and so in tests, they are false. */
export const GATEHOUSE_FLAGS = defineFlags([
  {
    name: 'icmp-unreachable-instead-of-nat64',
    accessor: 'icmpUnreachableInsteadOfNat64',
    default: false,
    description:
      'Answer a packet whose proxy IP family differs from its real IP family with ICMP unreachable instead of translating it (NAT64/46).',
  },
  {
    name: 'drop-llmnr-nxdomain-responses',
    accessor: 'dropLlmnrNxdomainResponses',
    default: false,
    description:
      'Client: drop the NXDOMAIN answers its stub resolver makes up locally (for LLMNR-style names) instead of sending them to the application.',
  },
] as const)

/** The registry type of {@link GATEHOUSE_FLAGS}. */
export type GatehouseRegistry = typeof GATEHOUSE_FLAGS
/** The values object of {@link GATEHOUSE_FLAGS}: `{ icmpUnreachableInsteadOfNat64: boolean; dropLlmnrNxdomainResponses: boolean }`. */
export type GatehouseFlags = FlagValues<GatehouseRegistry>
