/**
 * The gateway's stateful NAT and access decisions, sans-IO. See README.md.
 * @packageDocumentation
 */
export type { ClientConfig, Filter, ResourceConfig } from './access.ts'
export {
  EXPIRED_MEMORY_MS,
  ICMP_TTL_MS,
  PROXY_RANGE_V4,
  PROXY_RANGE_V6,
  TCP_ESTABLISHED_TTL_MS,
  TCP_TRANSITORY_TTL_MS,
  UDP_TTL_MS,
  UNCONFIRMED_TTL_MS,
} from './constants.ts'
export { Flow, NatResult } from './flow.ts'
export type {
  DomainMappingStatus,
  GatewayNatOptions,
  NatPacketView,
  NatQuoteView,
  NatSessionCounters,
} from './gateway-nat.ts'
export { GatewayNat, isProxyIp } from './gateway-nat.ts'
export type {
  InboundAction,
  InboundVerdict,
  NatDropReason,
  OutboundAction,
  OutboundVerdict,
} from './reasons.ts'
export { INBOUND_VERDICTS, NAT_DROP_REASONS, OUTBOUND_VERDICTS } from './reasons.ts'
