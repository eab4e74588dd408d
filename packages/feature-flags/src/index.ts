/**
 * Typed feature flags: declared once, read as plain fields on the packet path, evaluated by a
 * PostHog-compatible backend with safe offline defaults, a grace period and operator overrides. See README.md.
 * @packageDocumentation
 */
export {
  type Answer,
  type AnswerParser,
  createAnswerParser,
  FAILURE_REASONS,
  type FailureReason,
  type ParsedAnswer,
} from './answer.ts'
export {
  DEFAULT_GRACE_MS,
  DEFAULT_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
  ENV_CONFIG_PREFIX,
  ENV_OVERRIDE_PREFIX,
} from './constants.ts'
export {
  BACKEND_APIS,
  type BackendOptions,
  backendOptions,
  type Env,
  OFFLINE,
  type ParsedOverrides,
  parseBackendEnv,
  parseOverrides,
} from './options.ts'
export {
  type Clock,
  FeatureFlags,
  type FeatureFlagsInit,
  type Fetch,
  type Logger,
  stderrLogger,
  type Timer,
} from './poller.ts'
export {
  type CamelCase,
  type CheckedSpecs,
  camelCase,
  defineFlags,
  envVarName,
  type FlagName,
  type FlagRegistry,
  type FlagSpec,
  type FlagValues,
  GATEHOUSE_FLAGS,
  type GatehouseFlags,
  type GatehouseRegistry,
} from './registry.ts'
export {
  CHANGE_REASONS,
  type ChangeReason,
  type EvaluationRequest,
  type FlagChange,
  type FlagEvent,
  type FlagSource,
  FlagState,
  type FlagStateConfig,
  type GraceExpired,
  type Millis,
  type Override,
  type Overrides,
} from './state.ts'
