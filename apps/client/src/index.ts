/**
 * The Gatehouse client: a sans-IO core (`ClientState`) composing WireGuard, the stub resolver and
 * the control protocol, and the shell around it (`bun run apps/client`). See README.md.
 * @packageDocumentation
 */
export * from './constants.ts'
export {
  backupPath,
  DEFAULT_RESOLV_CONF,
  type ResolvConfTakeover,
  recoverResolvConf,
  renderResolvConf,
  takeOverResolvConf,
} from './resolv-conf.ts'
export { type RunningClient, type RunOptions, registerMetrics, runClient } from './run.ts'
export {
  canonicalCidr,
  dnsResources,
  INTERNET_ROUTES,
  routedIntoTun,
  splitEndpoint,
  tunAddresses,
  tunRoutes,
  upstreamsFor,
} from './setup.ts'
export {
  CLIENT_DROPS,
  type ClientDrop,
  type ClientEvent,
  ClientState,
  type ClientStateOptions,
  type DnsAsker,
  type DnsReply,
  type NameState,
  type NameStatus,
  statusRcode,
  type TunVerdict,
} from './state.ts'
export { IDLE_MS, MAX_RETRIES, MAX_TCP_CONNS, RTO_MS, type TcpConn, TcpDnsServer } from './tcp-dns.ts'
