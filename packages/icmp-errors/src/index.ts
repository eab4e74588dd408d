/**
 * Build, parse and rewrite ICMP errors: the gateway's own "unreachable"
 * answers (with the RFC never-send rules and a rate limiter), and errors from
 * the resource side routed back through the NAT. See README.md.
 * @packageDocumentation
 */
export type { Icmpv4ErrorSpec, Icmpv6ErrorSpec, V4ErrorBuilder, V6ErrorBuilder } from './build.ts'
export {
  buildIcmpv4Error,
  buildIcmpv6Error,
  buildV4AdminProhibited,
  buildV4FragmentationNeeded,
  buildV4HostUnreachable,
  buildV4NetUnreachable,
  buildV4ParameterProblem,
  buildV4PortUnreachable,
  buildV4TimeExceeded,
  buildV6AddressUnreachable,
  buildV6AdminProhibited,
  buildV6NoRoute,
  buildV6PacketTooBig,
  buildV6ParameterProblem,
  buildV6PortUnreachable,
  buildV6TimeExceeded,
} from './build.ts'
export * from './constants.ts'
export type { IcmpErrorKind } from './parse.ts'
export { IcmpErrorView } from './parse.ts'
export type { IcmpRateLimiterConfig, IcmpRateLimiterCounters } from './rate-limit.ts'
export { IcmpRateLimiter } from './rate-limit.ts'
export type { IcmpReason } from './reasons.ts'
export { ICMP_REASONS, icmpReasonCounters } from './reasons.ts'
