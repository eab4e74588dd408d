/**
 * Issue 9's demo and end-to-end suite: the topology (namespaces, site, both apps), the nine
 * scenarios as functions returning observed rows, and the table they print. See README.md.
 * @packageDocumentation
 */
export { formatTable, wrap } from './report.ts'
export {
  dns,
  dualStack,
  type FlagState,
  filteredPort,
  flipFlag,
  gatewayRestart,
  icmpText,
  ipv4OnlyOverIpv6,
  ipv6OnlyOverIpv4,
  Runner,
  runAll,
  type ScenarioResult,
  security,
  udpClosedPort,
} from './scenarios.ts'
export {
  ADDR,
  CLIENT_MAIN,
  type ExecResult,
  exec,
  FLAG,
  GATEWAY_MAIN,
  missingTools,
  NAMES,
  type Proc,
  parseMetrics,
  TOOLS,
  Topology,
  type TopologyOptions,
} from './topology.ts'
