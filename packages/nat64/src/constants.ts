/**
 * NAT64 constants: specification constants (each with its section) first,
 * implementation constants after.
 */

// --- Specification constants ------------------------------------------------

/** RFC 8200 §5: the minimum link MTU every IPv6 link carries. */
export const IPV6_MIN_MTU = 1280
/** RFC 791 §3.1: every IPv4 host accepts 68-byte datagrams unfragmented; the smallest sane MTU. */
export const IPV4_MIN_MTU = 68
/** RFC 791 §3.1 / RFC 8200 §3: fixed header sizes. */
export const IPV4_HEADER_LEN = 20
export const IPV6_HEADER_LEN = 40
/** RFC 8200 §4.5: the Fragment header. */
export const FRAGMENT_HEADER_LEN = 8
/** RFC 7915 §5.1: an IPv6 packet that becomes an IPv4 packet of at most 1260 bytes gets DF=0 (1280 - 20). */
export const DF_THRESHOLD_V4 = 1260
/** RFC 1812 §4.3.2.3 (and RFC 7915 §5.3): a translated ICMPv4 error is at most 576 bytes. */
export const ICMPV4_ERROR_MAX_LEN = 576
/** RFC 4443 §2.4(c) (and RFC 7915 §4.3): a translated ICMPv6 error is at most 1280 bytes. */
export const ICMPV6_ERROR_MAX_LEN = 1280
/** RFC 4884 §4: an original datagram followed by an extension is padded to at least 128 bytes. */
export const RFC4884_MIN_ORIGINAL_LEN = 128

/** IANA protocol numbers. */
export const PROTO_HOPOPTS = 0
export const PROTO_ICMP = 1
export const PROTO_TCP = 6
export const PROTO_UDP = 17
export const PROTO_ROUTING = 43
export const PROTO_FRAGMENT = 44
export const PROTO_ESP = 50
export const PROTO_AH = 51
export const PROTO_ICMPV6 = 58
export const PROTO_NONE = 59
export const PROTO_DSTOPTS = 60

/** RFC 792 ICMPv4 types. */
export const ICMP4_ECHO_REPLY = 0
export const ICMP4_DEST_UNREACH = 3
export const ICMP4_ECHO_REQUEST = 8
export const ICMP4_TIME_EXCEEDED = 11
export const ICMP4_PARAM_PROBLEM = 12
/** RFC 792 Destination Unreachable code 4 (RFC 1191 §4: next-hop MTU in bytes 6-7). */
export const ICMP4_FRAG_NEEDED = 4

/** RFC 4443 ICMPv6 types. */
export const ICMP6_DEST_UNREACH = 1
export const ICMP6_PACKET_TOO_BIG = 2
export const ICMP6_TIME_EXCEEDED = 3
export const ICMP6_PARAM_PROBLEM = 4
export const ICMP6_ECHO_REQUEST = 128
export const ICMP6_ECHO_REPLY = 129

/** RFC 1191 §7: the MTU plateau table, used when a router sent MTU 0 (RFC 7915 §4.2). */
export const MTU_PLATEAUS = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68] as const

// --- Implementation constants -------------------------------------------------

/**
 * Headroom to leave before an IPv4 packet for in-place translation to IPv6.
 * An ordinary packet grows by 20 bytes (40 - 20), 28 when a Fragment header
 * is added (RFC 7915 §4.1); with less, the payload is moved into the tailroom
 * if there is some, else the drop is `nat64-no-room`. An ICMPv4 error grows
 * by 40 (outer and quoted header), 48 with a quoted fragment; with less it is
 * built in the result's scratch buffer (one copy of the quote) instead.
 */
export const NAT64_HEADROOM = 48
/** Size of the result's scratch buffer for ICMP errors (built and translated). */
export const ERROR_BUF_LEN = 1536
