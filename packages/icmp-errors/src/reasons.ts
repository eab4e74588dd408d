/**
 * Why no error was built, or why an incoming error was not routed. One
 * `as const` array of kebab-case names prefixed `icmp-`; every value returned
 * by a builder or the parser is one of these (never an exception).
 */
export const ICMP_REASONS = [
  // Never-send rules (RFC 1122 §3.2.2, RFC 1812 §4.3.2.7, RFC 4443 §2.4(e))
  'icmp-about-icmp-error',
  'icmp-about-redirect',
  'icmp-non-first-fragment',
  'icmp-dst-multicast',
  'icmp-dst-broadcast',
  'icmp-src-unspecified',
  'icmp-src-loopback',
  'icmp-src-multicast',
  'icmp-src-broadcast',
  'icmp-src-reserved',
  // Rate limiting (RFC 4443 §2.4(f), RFC 1812 §4.3.2.8)
  'icmp-rate-limited',
  // Inputs the builder cannot use
  'icmp-offending-malformed',
  'icmp-unsupported-type',
  'icmp-buffer-too-small',
  // Parsing an incoming error
  'icmp-malformed',
  'icmp-not-icmp',
  'icmp-not-error',
  'icmp-truncated',
  'icmp-outer-fragment',
  'icmp-quote-truncated',
  'icmp-quote-malformed',
  'icmp-quote-family-mismatch',
  'icmp-quote-fragment',
  'icmp-bad-checksum',
] as const

/** A reason an ICMP error was not built or not routed. */
export type IcmpReason = (typeof ICMP_REASONS)[number]

/** A zeroed counter per reason, for a state machine's `drops`. */
export function icmpReasonCounters(): Record<IcmpReason, number> {
  const r = {} as Record<IcmpReason, number>
  for (const k of ICMP_REASONS) r[k] = 0
  return r
}
