/** Re-evaluation period. Firezone's `RE_EVAL_DURATION` (telemetry/src/feature_flags.rs) is 5 minutes. */
export const DEFAULT_INTERVAL_MS = 5 * 60 * 1000

/**
 * How long a backend answer stays trusted once re-evaluations start failing (issue 5). Three missed
 * evaluations at the default interval: one flaky request never flips a flag, an outage of the flag
 * backend ends in the safe defaults.
 */
export const DEFAULT_GRACE_MS = 15 * 60 * 1000

/** Per-request timeout (issue 5): a slow backend delays nothing but the next evaluation. */
export const DEFAULT_TIMEOUT_MS = 5 * 1000

/** Prefix of the environment variables that override one flag each (`GATEHOUSE_FEATURE_<NAME>`). */
export const ENV_OVERRIDE_PREFIX = 'GATEHOUSE_FEATURE_'

/** Prefix of the environment variables that configure the backend (`GATEHOUSE_FLAGS_URL`, ...). */
export const ENV_CONFIG_PREFIX = 'GATEHOUSE_FLAGS_'
