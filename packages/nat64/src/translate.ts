/**
 * The translator's entry points: `translate` (a function of the packet, the
 * mapper, the options and a reusable result) and `Translator` (the same with
 * the three bound, and every outcome counted).
 */
import { ICMP_REASONS } from '@gatehouse/icmp-errors'
import { DROP_REASONS } from '@gatehouse/ip-packet'
import { clock, drop } from './common.ts'
import type { AddressMapper } from './mapper.ts'
import { type Nat64Options, type Nat64OptionsInput, nat64Options } from './options.ts'
import { NAT64_DROP_REASONS, NAT64_ERROR_REASONS } from './reasons.ts'
import { type PacketBuf, TranslateResult } from './result.ts'
import { translate4to6 } from './translate-4to6.ts'
import { translate6to4 } from './translate-6to4.ts'

/**
 * Translate one IP packet to the other family (RFC 7915, stateless SIIT).
 *
 * `pkt` names the packet in its buffer; it is translated in place (see
 * `TranslateResult` for the buffer contract: 28 bytes of headroom for
 * IPv4 -> IPv6). Returns `res`, filled:
 * - `translated`: `packets[0..count)` are the packets to send on the other
 *   side (more than one when fragmenting);
 * - `icmp-error`: `packets[0]` is an ICMP error (in `res.errorBuf`) to send
 *   back to the packet's source, same family as the input; `reason` says why;
 * - `drop`: nothing to send; `reason` says why.
 * `now` (monotonic ms) feeds `options.errorLimiter`, if any.
 * Never throws and allocates nothing, whatever the bytes.
 */
export function translate(
  pkt: PacketBuf,
  mapper: AddressMapper,
  options: Nat64Options,
  res: TranslateResult,
  now = 0,
): TranslateResult {
  clock.now = now
  const b = pkt.buf
  if (pkt.len < 1 || pkt.off < 0 || pkt.off + pkt.len > b.length) return drop(res, 'ip-truncated')
  const version = b[pkt.off] >> 4
  if (version === 4) return translate4to6(pkt, mapper, options, res)
  if (version === 6) return translate6to4(pkt, mapper, options, res)
  return drop(res, 'ip-bad-version')
}

/** Every reason a result may carry: this package's, `@gatehouse/ip-packet`'s and `@gatehouse/icmp-errors`'. */
export const TRANSLATE_REASONS = [
  ...NAT64_DROP_REASONS,
  ...NAT64_ERROR_REASONS,
  ...DROP_REASONS,
  ...ICMP_REASONS,
] as const

export type TranslateCountKey = (typeof TRANSLATE_REASONS)[number] | 'translated'

/**
 * A translator with its mapper, options and result bound, counting every
 * outcome once (`counts.translated`, and one counter per reason, all keys
 * present from the start so a metrics shell can export them as they are).
 */
export class Translator {
  readonly options: Nat64Options
  readonly result: TranslateResult
  readonly counts: Record<TranslateCountKey, number>

  /** @throws naming the option that is invalid (see `nat64Options`). */
  constructor(
    readonly mapper: AddressMapper,
    options: Nat64OptionsInput | Nat64Options = {},
    result: TranslateResult = new TranslateResult(),
  ) {
    this.options = nat64Options(options as Nat64OptionsInput)
    this.result = result
    const c = { translated: 0 } as Record<TranslateCountKey, number>
    for (const k of TRANSLATE_REASONS) c[k] = 0
    this.counts = c
  }

  /** Translate `pkt` (see `translate`); the result is `this.result`, valid until the next call. */
  translate(pkt: PacketBuf, now = 0): TranslateResult {
    const r = translate(pkt, this.mapper, this.options, this.result, now)
    if (r.reason === null) this.counts.translated++
    else this.counts[r.reason as TranslateCountKey]++
    return r
  }
}
