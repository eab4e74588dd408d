/**
 * Validating the backend's answer (zod), for both PostHog answer shapes:
 *
 * - `/decide?v=3`: `{ "featureFlags": { "name": true | false | "variant", ... }, "errorsWhileComputingFlags": bool }`
 * - `/flags?v=2`:  `{ "flags": { "name": { "key", "enabled": bool, "variant", "reason", "metadata", "failed"? } },
 *                    "errorsWhileComputingFlags": bool, "quotaLimited"?: string[], "requestId" }`
 *
 * A body with a `flags` object is read as the v2 shape, otherwise as the v3 shape (posthog-js's
 * responses carry both; `flags` is the richer one). Unknown flags are ignored whatever their value.
 * A known flag with a value of the wrong type makes the whole answer invalid: our flags are booleans,
 * and a multivariate string for one is a misconfiguration that must not turn a flag on by accident.
 */
import { z } from 'zod'
import type { FlagRegistry } from './registry.ts'

/**
 * Why an evaluation failed. Counted by the state core (`failures`), logged by the shell.
 * - `http-error`: a status other than 2xx.
 * - `timeout`: no complete answer within the request timeout.
 * - `network`: the request could not be made (refused, reset, DNS).
 * - `malformed-json`: the body is not JSON.
 * - `invalid-answer`: JSON, but not a valid answer (zod names the path).
 * - `quota-limited`: PostHog answered `quotaLimited: ["feature_flags"]`, i.e. it did not evaluate.
 */
export const FAILURE_REASONS = [
  'http-error',
  'timeout',
  'network',
  'malformed-json',
  'invalid-answer',
  'quota-limited',
] as const
/** One of {@link FAILURE_REASONS}. */
export type FailureReason = (typeof FAILURE_REASONS)[number]

/** A valid answer, reduced to what the state core needs. */
export interface Answer {
  /** Backend name → value, for each known flag the backend evaluated. Absent = not evaluated or not active. */
  readonly values: ReadonlyMap<string, boolean>
  /**
   * The backend said some flags could not be computed (`errorsWhileComputingFlags`, or v2's per-flag
   * `failed`). Absent flags then keep their last good value instead of falling back to the default.
   */
  readonly partial: boolean
}

/** What {@link AnswerParser} returns: an answer, or why the body is not one. */
export type ParsedAnswer =
  | { readonly ok: true; readonly answer: Answer }
  | { readonly ok: false; readonly reason: 'invalid-answer' | 'quota-limited'; readonly detail: string }

/** Validates a decoded JSON body against a registry. Never throws. */
export type AnswerParser = (body: unknown) => ParsedAnswer

/** Builds the zod schemas for a registry once; the returned parser is reused for every answer. */
export function createAnswerParser(registry: FlagRegistry): AnswerParser {
  const names = registry.specs.map((s) => s.name)
  const v3Flags: Record<string, z.ZodType> = {}
  const v2Flags: Record<string, z.ZodType> = {}
  const v2Detail = z.looseObject({ enabled: z.boolean(), failed: z.boolean().optional() })
  for (const name of names) {
    v3Flags[name] = z.boolean().optional()
    v2Flags[name] = v2Detail.optional()
  }
  const common = {
    errorsWhileComputingFlags: z.boolean().optional(),
    quotaLimited: z.array(z.string()).optional(),
  }
  const v3 = z.looseObject({ ...common, featureFlags: z.looseObject(v3Flags) })
  const v2 = z.looseObject({ ...common, flags: z.looseObject(v2Flags) })

  return (body) => {
    const isV2 = typeof body === 'object' && body !== null && 'flags' in body
    const result = (isV2 ? v2 : v3).safeParse(body)
    if (!result.success) return { ok: false, reason: 'invalid-answer', detail: describe(result.error, isV2) }
    const data = result.data as {
      errorsWhileComputingFlags?: boolean
      quotaLimited?: string[]
      featureFlags?: Record<string, boolean | undefined>
      flags?: Record<string, { enabled: boolean; failed?: boolean } | undefined>
    }
    // PostHog over quota answers with no flags evaluated at all: that is not "everything off".
    if (data.quotaLimited?.includes('feature_flags'))
      return { ok: false, reason: 'quota-limited', detail: 'quotaLimited: feature_flags' }
    let partial = data.errorsWhileComputingFlags === true
    const values = new Map<string, boolean>()
    for (const name of names) {
      if (isV2) {
        const d = data.flags?.[name]
        if (d === undefined) continue
        // v2 marks a flag whose evaluation failed; its `enabled` is then meaningless.
        if (d.failed === true) partial = true
        else values.set(name, d.enabled)
      } else {
        const v = data.featureFlags?.[name]
        if (v !== undefined) values.set(name, v)
      }
    }
    return { ok: true, answer: { values, partial } }
  }
}

function describe(error: z.ZodError, isV2: boolean): string {
  const issue = error.issues[0]
  const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.')
  return `${isV2 ? 'flags?v=2' : 'decide?v=3'} answer: ${path}: ${issue.message}`
}
