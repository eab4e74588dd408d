/**
 * Why a packet was not translated: kebab-case values from one `as const`
 * array, counted by the caller (`Translator.counts`). A malformed packet's
 * reason comes from `@gatehouse/ip-packet`'s `DROP_REASONS` instead, and an
 * error that was due but that the ICMP error builder declined (about an ICMP
 * error, to a multicast address, rate-limited, ...) from
 * `@gatehouse/icmp-errors`' `ICMP_REASONS`.
 */

/** Reasons a packet was dropped (`action: 'drop'`). */
export const NAT64_DROP_REASONS = [
  /** The source has no mapping in the other family (errors for it are off, or the packet was an ICMP error). */
  'nat64-src-unmappable',
  /** The destination has no mapping in the other family. */
  'nat64-dst-unmappable',
  /** RFC 7915 §4.2/§5.2: single-hop, obsolete or unknown ICMP informational type; dropped silently. */
  'nat64-icmp-type-untranslatable',
  /** RFC 7915 §4.2/§5.2: an ICMP error type or code the tables drop. */
  'nat64-icmp-code-untranslatable',
  /** RFC 7915 §4.2 Figure 3 / §5.2 Figure 6: a Parameter Problem pointer with no counterpart field. */
  'nat64-icmp-pointer-untranslatable',
  /** An ICMP error's source maps to nothing and no RFC 6791 pool is configured for that family. */
  'nat64-icmp-source-unmappable',
  /** The packet quoted inside an ICMP error is too short or malformed to translate (RFC 7915 §4.3/§5.3). */
  'nat64-icmp-inner-malformed',
  /** The quoted packet's addresses do not map (RFC 7915 §4.3/§5.3). */
  'nat64-icmp-inner-unmappable',
  /** RFC 7915 §4.3/§5.3: the quoted packet is itself an ICMP error (or the quote is an error in an error). */
  'nat64-icmp-error-in-error',
  /** A fragmented ICMP message: its checksum cannot be fixed without the whole message (RFC 7915 §4.1, §5.1: the ICMPv6 pseudo-header length). */
  'nat64-icmp-fragmented',
  /** RFC 7915 §4.5: UDP with checksum zero, and amending is off. */
  'nat64-udp-checksum-zero',
  /** RFC 7915 §4.5: a fragmented UDP datagram with checksum zero can never be amended. */
  'nat64-udp-checksum-zero-fragment',
  /** The caller gave too few fragment buffers for the fragments this packet needs. */
  'nat64-too-many-fragments',
  /** No headroom (before) nor tailroom (after) to grow an IPv4 packet into IPv6 in place. */
  'nat64-no-room',
  /** RFC 7915 §5.1: IPv6 payload length 0 (a jumbogram, RFC 2675) cannot become IPv4. */
  'nat64-jumbogram',
] as const

/** Reasons the translator answered with an ICMP error of its own (`action: 'icmp-error'`). */
export const NAT64_ERROR_REASONS = [
  /** RFC 7915 §4.1 + RFC 1191: DF set and the IPv6 packet exceeds the IPv6 MTU: ICMPv4 3/4 with the MTU. */
  'nat64-fragmentation-needed',
  /** RFC 7915 §5.1: the IPv4 packet would exceed the IPv4 MTU: ICMPv6 Packet Too Big. */
  'nat64-packet-too-big',
  /** RFC 7915 §4.1 (decrementing as a router, RFC 1812 §5.3.1): TTL expired: ICMPv4 11/0. */
  'nat64-ttl-exceeded',
  /** RFC 7915 §5.1 (RFC 8200 §3): hop limit expired: ICMPv6 3/0. */
  'nat64-hop-limit-exceeded',
  /** RFC 7915 §4.1: an unexpired IPv4 source route option: ICMPv4 3/5. */
  'nat64-source-route',
  /** RFC 7915 §5.1: a Routing header with Segments Left > 0: ICMPv6 Parameter Problem 4/0. */
  'nat64-routing-header',
  /** RFC 7915 §5.4: the IPv6 source is not IPv4-translatable: ICMPv6 1/5. */
  'nat64-src-untranslatable',
  /** RFC 7915 §5.4: the IPv6 destination is not IPv4-translatable: ICMPv6 1/0. */
  'nat64-dst-untranslatable',
  /** RFC 7915 §4.4: an IPv4 packet that cannot be translated: ICMPv4 3/13. */
  'nat64-untranslatable-v4',
  /** An extension header after the Fragment header (RFC 7915 §5.1 skips only those before it): ICMPv6 1/1 (§5.4). */
  'nat64-ext-header-after-fragment',
] as const

export type Nat64DropReason = (typeof NAT64_DROP_REASONS)[number]
export type Nat64ErrorReason = (typeof NAT64_ERROR_REASONS)[number]
