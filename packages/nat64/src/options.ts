/**
 * Translator options (configuration time: validated once, may throw naming the field).
 */

import type { IcmpRateLimiter } from '@gatehouse/icmp-errors'
import { ipv4FromText, ipv6FromText } from '@gatehouse/ip-packet'
import { IPV4_MIN_MTU, IPV6_MIN_MTU } from './constants.ts'
import type { Rfc6791Pool } from './pool-rfc6791.ts'

/** Options as the caller writes them; every field optional. */
export interface Nat64OptionsInput {
  /** RFC 7915 §4.1: IPv4 packets with DF=0 are fragmented to fit this (default 1280, RFC 8200 §5). */
  lowestIpv6Mtu?: number
  /** MTU of the IPv4 side's next hop (default 1500). */
  mtu4?: number
  /** MTU of the IPv6 side's next hop (default 1500). */
  mtu6?: number
  /** RFC 7915 §4.5: compute the checksum of unfragmented IPv4 UDP with checksum 0 (default false: drop them). */
  amendUdpChecksumZero?: boolean
  /** Decrement TTL/hop limit as a router does, answering Time Exceeded at zero (default false). */
  decrementTtl?: boolean
  /** RFC 7915 §4.1: ignore the IPv4 TOS and send IPv6 traffic class 0 (default false: copy). */
  resetTrafficClass?: boolean
  /** RFC 7915 §5.1: send this IPv4 TOS instead of copying the IPv6 traffic class (default null: copy). */
  tos?: number | null
  /** RFC 6791 pool for ICMP errors whose source cannot be mapped (default none: such errors are dropped). */
  pool6791?: Rfc6791Pool | null
  /** RFC 7915 §4.4/§5.4: answer untranslatable packets with an ICMP error (default true); false drops them. */
  errorOnUntranslatable?: boolean
  /** Source of the ICMPv4 errors the translator makes (default: the offending packet's destination, as a router on the path would). */
  errorSource4?: string | number | null
  /** Source of the ICMPv6 errors the translator makes (default: the offending packet's destination). */
  errorSource6?: string | Uint8Array | null
  /**
   * RFC 7915 §4.4 / RFC 4443 §2.4(f): rate-limit the errors the translator makes (per destination, token
   * bucket; `translate`'s `now` is its clock). Default none. Translated errors are never limited here.
   */
  errorLimiter?: IcmpRateLimiter | null
}

/** Validated options; build with `nat64Options()`. */
export interface Nat64Options {
  readonly lowestIpv6Mtu: number
  readonly mtu4: number
  readonly mtu6: number
  readonly amendUdpChecksumZero: boolean
  readonly decrementTtl: boolean
  readonly resetTrafficClass: boolean
  /** 0..255, or -1 for "copy the traffic class". */
  readonly tos: number
  readonly pool6791: Rfc6791Pool | null
  readonly errorOnUntranslatable: boolean
  /** u32, or -1 for "the offending packet's destination". */
  readonly errorSource4: number
  /** 16 bytes, or null for "the offending packet's destination". */
  readonly errorSource6: Uint8Array | null
  readonly errorLimiter: IcmpRateLimiter | null
}

function mtu(v: number | undefined, dflt: number, min: number, field: string): number {
  const m = v ?? dflt
  if (!Number.isInteger(m) || m < min || m > 65535)
    throw new Error(`${field}: must be an integer in ${min}..65535, got ${m}`)
  return m
}

function tosOption(v: number | null | undefined): number {
  if (v === undefined || v === null || v === -1) return -1
  if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`tos: must be an integer in 0..255, got ${v}`)
  return v
}

/**
 * Fill defaults and validate.
 * @throws naming the field: an MTU below its family's minimum (RFC 8200 §5: 1280; RFC 791: 68), or a bad address.
 */
export function nat64Options(input: Nat64OptionsInput = {}): Nat64Options {
  let errorSource4 = -1
  if (input.errorSource4 !== undefined && input.errorSource4 !== null) {
    if (input.errorSource4 === -1) return nat64Options({ ...input, errorSource4: null })
    const a = typeof input.errorSource4 === 'number' ? input.errorSource4 : ipv4FromText(input.errorSource4)
    if (a === null || !Number.isInteger(a) || a < 0 || a > 0xffffffff) {
      throw new Error(`errorSource4: not an IPv4 address: ${input.errorSource4}`)
    }
    errorSource4 = a
  }
  let errorSource6: Uint8Array | null = null
  if (input.errorSource6 !== undefined && input.errorSource6 !== null) {
    const a =
      typeof input.errorSource6 === 'string' ? ipv6FromText(input.errorSource6) : input.errorSource6.slice()
    if (a === null || a.length !== 16)
      throw new Error(`errorSource6: not an IPv6 address: ${input.errorSource6}`)
    errorSource6 = a
  }
  return {
    lowestIpv6Mtu: mtu(input.lowestIpv6Mtu, IPV6_MIN_MTU, IPV6_MIN_MTU, 'lowestIpv6Mtu'),
    mtu4: mtu(input.mtu4, 1500, IPV4_MIN_MTU, 'mtu4'),
    mtu6: mtu(input.mtu6, 1500, IPV6_MIN_MTU, 'mtu6'),
    amendUdpChecksumZero: input.amendUdpChecksumZero ?? false,
    decrementTtl: input.decrementTtl ?? false,
    resetTrafficClass: input.resetTrafficClass ?? false,
    tos: tosOption(input.tos),
    pool6791: input.pool6791 ?? null,
    errorOnUntranslatable: input.errorOnUntranslatable ?? true,
    errorSource4,
    errorSource6,
    errorLimiter: input.errorLimiter ?? null,
  }
}
