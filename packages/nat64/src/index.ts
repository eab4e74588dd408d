/**
 * A stateless IP/ICMP translator (SIIT, RFC 7915) with RFC 6052, RFC 7757
 * (EAMT) and fixed-pair address mappers and an RFC 6791 pool. See README.md.
 * @packageDocumentation
 */
export {
  ERROR_BUF_LEN,
  ICMPV4_ERROR_MAX_LEN,
  ICMPV6_ERROR_MAX_LEN,
  IPV6_MIN_MTU,
  NAT64_HEADROOM,
} from './constants.ts'
export {
  icmp4to6,
  icmp6to4,
  plateauBelow,
  pointer4to6,
  pointer6to4,
  ptbMtu4to6,
  ptbMtu6to4,
} from './icmp-map.ts'
export type { AddressMapper } from './mapper.ts'
export type { EamtEntry, EamtOptions } from './mapper-eamt.ts'
export { EamtMapper, eamtEntry, parseEamtEntry } from './mapper-eamt.ts'
export { PairMapper } from './mapper-pair.ts'
export type { Rfc6052Options } from './mapper-rfc6052.ts'
export { isNonGlobalIpv4, RFC6052_PREFIX_LENGTHS, Rfc6052Mapper } from './mapper-rfc6052.ts'
export type { Nat64Options, Nat64OptionsInput } from './options.ts'
export { nat64Options } from './options.ts'
export { Rfc6791Pool } from './pool-rfc6791.ts'
export type { Nat64DropReason, Nat64ErrorReason } from './reasons.ts'
export { NAT64_DROP_REASONS, NAT64_ERROR_REASONS } from './reasons.ts'
export type { PacketBuf, TranslateAction, TranslateReason } from './result.ts'
export { TranslateResult } from './result.ts'
export type { TranslateCountKey } from './translate.ts'
export { TRANSLATE_REASONS, Translator, translate } from './translate.ts'
