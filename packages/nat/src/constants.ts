/**
 * Lifetimes and ranges of the gateway NAT. Spec values first (the facts in
 * MISSION.md "Gateway, NAT", which follow Firezone's gateway and the IETF NAT
 * behaviour RFCs), implementation choices after.
 */

/** MISSION.md / Firezone: TCP session idle lifetime, 2 h 4 min (RFC 5382 §5 REQ-5: established idle-timeout ≥ 2 h 4 min). */
export const TCP_ESTABLISHED_TTL_MS = (2 * 60 + 4) * 60_000
/** MISSION.md / Firezone: UDP session idle lifetime, 2 min (RFC 4787 §4.3 REQ-5: at least 2 min). */
export const UDP_TTL_MS = 2 * 60_000
/** MISSION.md / Firezone: ICMP echo session idle lifetime, 2 min (RFC 5508 §3.2 REQ-1 asks ≥ 60 s). */
export const ICMP_TTL_MS = 2 * 60_000
/** MISSION.md / Firezone: lifetime of a session that has not seen a reply yet, any protocol. */
export const UNCONFIRMED_TTL_MS = 60_000
/**
 * MISSION.md: "TCP FIN and RST shorten them". Once a FIN is seen in either direction the
 * session is closing: RFC 5382 §5 REQ-5 "transitory connection idle-timeout", at least 4 min.
 */
export const TCP_TRANSITORY_TTL_MS = 4 * 60_000

/**
 * Implementation choice: how long the tuple of an expired or RST-removed session is
 * remembered, so that a late packet is reported as 'nat-expired-session' and not
 * 'nat-no-session' (MISSION.md, "where the reference went"). Long enough to cover TCP
 * retransmissions after a RST and a UDP peer answering late; a remembered tuple costs
 * one table slot and never blocks a new session (its port is free for reuse).
 */
export const EXPIRED_MEMORY_MS = 10 * 60_000

/** MISSION.md: DNS resource proxy IPv4s come from 100.96.0.0/11. */
export const PROXY_RANGE_V4 = '100.96.0.0/11'
/** MISSION.md: DNS resource proxy IPv6s come from fd00:2021:1111:8000::/107. */
export const PROXY_RANGE_V6 = 'fd00:2021:1111:8000::/107'

/** IP protocol numbers (IANA) the NAT looks at. */
export const PROTO_ICMP = 1
export const PROTO_TCP = 6
export const PROTO_UDP = 17
export const PROTO_ICMPV6 = 58

/** TCP flag bits (RFC 9293 §3.1). */
export const TCP_FIN = 0x01
export const TCP_RST = 0x04

/**
 * A NAT session's protocol class. ICMP and ICMPv6 echo share one class so that a
 * session created by an ICMPv6 echo to an IPv6 proxy IP that maps onto an IPv4
 * address (NAT64) is found again by the ICMPv4 echo reply.
 */
export const CLASS_TCP = 0
export const CLASS_UDP = 1
export const CLASS_ICMP = 2
/** Not a class the NAT can map (not TCP, UDP or ICMP echo). */
export const CLASS_NONE = 3

/** Names of the classes, indexable by class number. */
export const CLASS_NAMES = ['tcp', 'udp', 'icmp'] as const
export type SessionProtocol = (typeof CLASS_NAMES)[number]
