/**
 * Test and bench support for Gatehouse's namespace tests: commands with clear errors, a `Lab` of
 * network namespaces that is always removed, veth, nft masquerade, wireguard-go, dnsmasq, waiting
 * on conditions, Prometheus text. It touches the OS on purpose; see README.md.
 * @packageDocumentation
 */
export {
  CommandError,
  type ExecResult,
  exec,
  inNs,
  missingTools,
  type RunOptions,
  run,
  skipReason,
  tryRun,
} from './command.ts'
export { type DnsmasqOptions, dnsmasqArgv, startDnsmasq } from './dnsmasq.ts'
export { addAddr, Lab, namespaceExists, type Proc, removeNamespace, tail, type VethEnd } from './lab.ts'
export {
  CpuMeter,
  cpuSeconds,
  type IperfOptions,
  type IperfResult,
  iperf3,
  linkPackets,
  type PingResult,
  parseIperf3,
  parsePing,
  ping,
  rssMb,
} from './measure.ts'
export { type MasqueradeOptions, masquerade, masqueradeRules } from './nft.ts'
export { nonZeroSamples, parseMetrics } from './prometheus.ts'
export { isListening, linkExists, type WaitOptions, waitFor } from './wait.ts'
export {
  setWgConfig,
  startWireguardGo,
  type WgInterface,
  type WgKeyPair,
  type WgPeer,
  type WireguardGoOptions,
  wgConfig,
  wgKeyPair,
  wgPublicKey,
} from './wireguard.ts'
