/**
 * What both apps share and no core may touch: JSON-line logs, Prometheus counters on
 * loopback, layered configuration validated with zod, and orderly shutdown.
 * @packageDocumentation
 */

export {
  cidrText,
  duplicateIds,
  endpointText,
  type Filter,
  filterSchema,
  ipText,
  ipv4Text,
  ipv6Text,
  type Resource,
  resourceSchema,
  wireguardKey,
} from './access.ts'
export {
  type ClientConfig,
  clientConfigSchema,
  featureFlagsConfigSchema,
  logConfigSchema,
  metricsConfigSchema,
} from './app-config.ts'
export { ConfigError, type ConfigSources, loadConfig, splitFlags } from './config.ts'
export { createLogger, type LogFields, type Logger, type LoggerOptions, type Severity } from './log.ts'
export { runMain } from './main.ts'
export { MetricsRegistry, type Sample, serveMetrics } from './metrics.ts'
export { Shutdown } from './shutdown.ts'
export { gitVersion } from './version.ts'
