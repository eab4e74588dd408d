/**
 * The client's stub resolver and the gateway's resolver. See README.md.
 * @packageDocumentation
 */
export type {
  FamilyStatus,
  GatewayDrop,
  GatewayOutput,
  GatewayResolverOptions,
  ResolveResult,
  Transmit,
} from './gateway-resolver.ts'
export { GATEWAY_DROPS, GatewayResolver } from './gateway-resolver.ts'
export { exchange, GatewayResolverShell, hostUpstreams, monotonicMs } from './io.ts'
export type { Pattern } from './pattern.ts'
export { comparePatterns, PatternSet, parsePattern, patternMatches } from './pattern.ts'
export type { Assignment, ProxyIpOptions } from './proxy-ips.ts'
export { PROXY_IPS_PER_FAMILY, PROXY_V4_BASE, PROXY_V6_PREFIX, ProxyIpAllocator } from './proxy-ips.ts'
export type { Sentinel, Upstream } from './sentinels.ts'
export {
  buildSentinels,
  isSentinelAddress,
  parseResolvConf,
  parseUpstream,
  SentinelTable,
  sentinelsFromResolvConf,
} from './sentinels.ts'
export type { Asker, ServeOptions, StubServer } from './serve.ts'
export { serveStub } from './serve.ts'
export type {
  Answer,
  DnsResource,
  Dropped,
  Forward,
  IpStack,
  QueryContext,
  ResolveAtSite,
  StubDrop,
  StubEvent,
  StubOptions,
  StubOutcome,
  Transport,
} from './stub.ts'
export { DOH_CANARY, RESOURCE_TTL_S, STUB_DROPS, StubResolver } from './stub.ts'
export type { DnsMessage, DnsRecord, EncodableRecord, MessageSpec, WireDrop } from './wire.ts'
export {
  ANSWER_BUF_LEN,
  decodeMessage,
  encodeMessage,
  FLAG_QR,
  FLAG_RD,
  FLAG_TC,
  frameTcp,
  MessageView,
  nameToWire,
  RCODE,
  RCODE_BADVERS,
  reverseNameV4,
  reverseNameV6,
  scanMessage,
  TcpDeframer,
  TYPE,
  truncateForUdp,
  WIRE_DROPS,
  writeEmptyAnswer,
} from './wire.ts'
