/** Protocol numbers and ICMP types (IANA registries; RFC sections beside each group). */

// IANA "Assigned Internet Protocol Numbers" (RFC 8200 §4 for the IPv6 extension headers).
export const IP_PROTO_HOPOPT = 0
export const IP_PROTO_ICMP = 1
export const IP_PROTO_TCP = 6
export const IP_PROTO_UDP = 17
export const IP_PROTO_ROUTING = 43
export const IP_PROTO_FRAGMENT = 44
export const IP_PROTO_ESP = 50
export const IP_PROTO_AH = 51
export const IP_PROTO_ICMPV6 = 58
export const IP_PROTO_NONE = 59
export const IP_PROTO_DSTOPTS = 60
export const IP_PROTO_MOBILITY = 135
export const IP_PROTO_HIP = 139
export const IP_PROTO_SHIM6 = 140

/** RFC 791 §3.1 IPv4 option types (copied flag, class and number in one byte) the options walker knows. */
export const IPV4_OPT_END = 0
export const IPV4_OPT_NOP = 1
/** Loose Source and Record Route. */
export const IPV4_OPT_LSRR = 131
/** Strict Source and Record Route. */
export const IPV4_OPT_SSRR = 137

// RFC 792 message types.
export const ICMPV4_ECHO_REPLY = 0
export const ICMPV4_DEST_UNREACHABLE = 3
export const ICMPV4_SOURCE_QUENCH = 4
export const ICMPV4_REDIRECT = 5
export const ICMPV4_ECHO_REQUEST = 8
export const ICMPV4_TIME_EXCEEDED = 11
export const ICMPV4_PARAMETER_PROBLEM = 12
/** RFC 792 type 3 codes used by the gateway (RFC 1812 §5.2.7.1 for 13). */
export const ICMPV4_CODE_NET_UNREACHABLE = 0
export const ICMPV4_CODE_HOST_UNREACHABLE = 1
export const ICMPV4_CODE_PORT_UNREACHABLE = 3
export const ICMPV4_CODE_FRAG_NEEDED = 4
export const ICMPV4_CODE_ADMIN_PROHIBITED = 13

// RFC 4443 §2.1 message types.
export const ICMPV6_DEST_UNREACHABLE = 1
export const ICMPV6_PACKET_TOO_BIG = 2
export const ICMPV6_TIME_EXCEEDED = 3
export const ICMPV6_PARAMETER_PROBLEM = 4
export const ICMPV6_ECHO_REQUEST = 128
export const ICMPV6_ECHO_REPLY = 129
/** RFC 4443 §3.1 Destination Unreachable codes. */
export const ICMPV6_CODE_NO_ROUTE = 0
export const ICMPV6_CODE_ADMIN_PROHIBITED = 1
export const ICMPV6_CODE_ADDRESS_UNREACHABLE = 3
export const ICMPV6_CODE_PORT_UNREACHABLE = 4

/** TCP flag bits in byte 13 (RFC 9293 §3.1). */
export const TCP_FIN = 0x01
export const TCP_SYN = 0x02
export const TCP_RST = 0x04
export const TCP_PSH = 0x08
export const TCP_ACK = 0x10
export const TCP_URG = 0x20
export const TCP_ECE = 0x40
export const TCP_CWR = 0x80

/** Implementation limit: the longest IPv6 extension header chain we walk. */
export const MAX_IPV6_EXT_HEADERS = 8
