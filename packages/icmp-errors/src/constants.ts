/**
 * ICMP error constants. Specification constants first (each with its
 * section), implementation constants after.
 */

// --- Specification constants ------------------------------------------------

/** RFC 792: ICMPv4 error types. */
export const ICMPV4_DEST_UNREACHABLE = 3
export const ICMPV4_SOURCE_QUENCH = 4 // deprecated by RFC 6633; never built, still an error type
export const ICMPV4_REDIRECT = 5
export const ICMPV4_TIME_EXCEEDED = 11
export const ICMPV4_PARAMETER_PROBLEM = 12

/** RFC 792 / RFC 1812 §5.2.7.1: Destination Unreachable codes. */
export const ICMPV4_NET_UNREACHABLE = 0
export const ICMPV4_HOST_UNREACHABLE = 1
export const ICMPV4_PROTOCOL_UNREACHABLE = 2
export const ICMPV4_PORT_UNREACHABLE = 3
export const ICMPV4_FRAGMENTATION_NEEDED = 4 // RFC 1191 §4: next-hop MTU in bytes 6-7
export const ICMPV4_ADMIN_PROHIBITED = 13 // RFC 1812 §5.2.7.1

/** RFC 4443 §2.1: ICMPv6 error types (0-127 are errors, 128-255 informational). */
export const ICMPV6_DEST_UNREACHABLE = 1
export const ICMPV6_PACKET_TOO_BIG = 2
export const ICMPV6_TIME_EXCEEDED = 3
export const ICMPV6_PARAMETER_PROBLEM = 4
export const ICMPV6_REDIRECT = 137 // RFC 4861 §4.5; RFC 4443 §2.4(e.2)

/** RFC 4443 §3.1: Destination Unreachable codes. */
export const ICMPV6_NO_ROUTE = 0
export const ICMPV6_ADMIN_PROHIBITED = 1
export const ICMPV6_BEYOND_SCOPE = 2
export const ICMPV6_ADDRESS_UNREACHABLE = 3
export const ICMPV6_PORT_UNREACHABLE = 4
/** RFC 4443 §3.4: Parameter Problem code 2, unrecognized IPv6 option (may answer a multicast destination, §2.4(e.3)). */
export const ICMPV6_PARAM_UNRECOGNIZED_OPTION = 2

/** RFC 1812 §4.3.2.3: an ICMPv4 error SHOULD quote as much as fits without exceeding 576 bytes. */
export const ICMPV4_ERROR_MAX_LEN = 576
/** RFC 4443 §2.4(c): an ICMPv6 error quotes as much as fits without exceeding the IPv6 minimum MTU. */
export const ICMPV6_ERROR_MAX_LEN = 1280

/** RFC 792: an ICMP message header is 8 bytes (type, code, checksum, 4 bytes of type-specific data). */
export const ICMP_HEADER_LEN = 8
/** RFC 791 §3.1: minimum IPv4 header. */
export const IPV4_HEADER_LEN = 20
/** RFC 8200 §3: fixed IPv6 header. */
export const IPV6_HEADER_LEN = 40

export const PROTO_ICMP = 1
export const PROTO_TCP = 6
export const PROTO_UDP = 17
export const PROTO_ICMPV6 = 58

// --- Implementation constants ---------------------------------------------------

/** Default TTL / hop limit of the errors we build (Linux's default, sysctl net.ipv4.ip_default_ttl). */
export const DEFAULT_TTL = 64
