/**
 * Why a packet was not parsed. One `as const` array so that counters can be
 * `Record<DropReason, number>` with every key present, and so that a drop is a
 * string literal (nothing allocated) rather than an exception.
 */
export const DROP_REASONS = [
  /** Zero bytes, or `off`/`len` outside the buffer. */
  'ip-truncated',
  /** The version nibble is neither 4 nor 6. */
  'ip-bad-version',
  /** Fewer than 20 bytes (RFC 791 §3.1). */
  'ipv4-truncated',
  /** IHL below 5, or the header longer than the buffer (RFC 791 §3.1). */
  'ipv4-bad-ihl',
  /** Total length below the header length or beyond the buffer (RFC 791 §3.1). */
  'ipv4-bad-total-len',
  /** Header checksum wrong (RFC 791 §3.1); only from `verifyChecksums()`. */
  'ipv4-bad-checksum',
  /** A non-first fragment (offset > 0): IP fields are valid, no transport header (RFC 791 §2.3). */
  'ipv4-fragment',
  /** Fewer than 40 bytes (RFC 8200 §3). */
  'ipv6-truncated',
  /** Payload length beyond the buffer (RFC 8200 §3). */
  'ipv6-bad-payload-len',
  /** An extension header runs past the payload (RFC 8200 §4). */
  'ipv6-ext-truncated',
  /** Hop-by-Hop Options not immediately after the IPv6 header (RFC 8200 §4.1). */
  'ipv6-hop-by-hop-not-first',
  /** More than 8 extension headers: a repeating chain (RFC 8200 §4.1 allows repeats; we bound them). */
  'ipv6-ext-loop',
  /** A non-first fragment (offset > 0): IP fields are valid, no transport header (RFC 8200 §4.5). */
  'ipv6-fragment',
  /** Fewer than 20 bytes of TCP header (RFC 9293 §3.1). */
  'tcp-truncated',
  /** Data offset below 5 or beyond the segment (RFC 9293 §3.1). */
  'tcp-bad-data-offset',
  /** TCP checksum wrong; only from `verifyChecksums()`. */
  'tcp-bad-checksum',
  /** Fewer than 8 bytes of UDP header (RFC 768). */
  'udp-truncated',
  /** UDP length below 8 or beyond the IP payload (RFC 768). */
  'udp-bad-length',
  /** UDP checksum wrong, or zero on IPv6 (RFC 8200 §8.1); only from `verifyChecksums()`. */
  'udp-bad-checksum',
  /** Fewer than 8 bytes of ICMP header (RFC 792). */
  'icmpv4-truncated',
  /** ICMP checksum wrong; only from `verifyChecksums()`. */
  'icmpv4-bad-checksum',
  /** Fewer than 8 bytes of ICMPv6 header (RFC 4443 §2.1). */
  'icmpv6-truncated',
  /** ICMPv6 checksum wrong; only from `verifyChecksums()`. */
  'icmpv6-bad-checksum',
  /** The packet quoted in an ICMP error has less than its IP header (with extension headers) and 8 bytes of transport (RFC 792, RFC 4443 §3). */
  'icmp-quote-truncated',
  /** The quoted packet's version is not the outer packet's (ICMPv4 quotes IPv4, ICMPv6 quotes IPv6). */
  'icmp-quote-bad-version',
  /** The quoted IPv4 header has IHL below 5. */
  'icmp-quote-bad-ihl',
  /** The quoted packet is a non-first fragment: no ports to route it by. */
  'icmp-quote-fragment',
] as const

/** One of `DROP_REASONS`. */
export type DropReason = (typeof DROP_REASONS)[number]
