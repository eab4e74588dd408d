/**
 * Why the NAT dropped a packet. One `as const` array so that counters are a
 * `Record<NatDropReason, number>` with every key present and a drop is a string
 * literal, never an exception.
 */
export const NAT_DROP_REASONS = [
  /** Outbound from a client id that was never added (or was removed). */
  'unknown-client',
  /** Outbound whose source is not the client's own tunnel IP of that family (MISSION.md / Firezone). */
  'spoofed-source',
  /** Outbound to a destination that is no resource the client may use (MISSION.md / Firezone); inbound for a session whose resource was revoked. */
  'resource-not-allowed',
  /** Outbound to a DNS resource with a protocol the NAT cannot map: not TCP, UDP or ICMP echo. */
  'nat-unsupported-protocol',
  /** Every port/identifier towards this real IP is taken for this client (65 535 sessions). */
  'nat-ports-exhausted',
  /** The session table reached `maxSessions`. */
  'nat-table-full',
  /** The client holds `maxSessionsPerClient` live sessions already. */
  'nat-client-limit',
  /** Inbound whose destination is no client's tunnel IP. */
  'nat-not-a-client',
  /** Inbound (or an ICMP error's quote) matching no session and no CIDR/Internet resource of the client. */
  'nat-no-session',
  /** Inbound matching a session that expired or was reset a short while ago: a late packet, dropped quietly. */
  'nat-expired-session',
] as const

/** One of `NAT_DROP_REASONS`. */
export type NatDropReason = (typeof NAT_DROP_REASONS)[number]

/**
 * What to do with a packet from a client (`handleOutbound`).
 * - `'forward'`: write the packet to the TUN device. For a DNS resource of the same
 *   family the packet was rewritten in place (destination → real IP, source port →
 *   the session's port); CIDR and Internet resources pass unchanged.
 * - `'translate'`: the proxy IP's family differs from the real IP's and the flag is
 *   off: hand the packet to NAT64/46 with the addresses in the result (`NatResult`).
 *   `handleOutbound` already rewrote the source port/echo id in place (the translator
 *   keeps ports); the addresses are left to the translator.
 * - `'unreachable'`: answer the client with ICMP Destination Unreachable quoting the
 *   packet: IPv4 type 3 code 0 (network unreachable), IPv6 type 1 code 3 (address
 *   unreachable) (MISSION.md, the `icmp-unreachable-instead-of-nat64` change).
 * - `'prohibited'`: a resource filter refused it: answer with ICMP "administratively
 *   prohibited", IPv4 type 3 code 13, IPv6 type 1 code 1 (MISSION.md / Firezone).
 * - a `NatDropReason`: drop (already counted).
 */
export const OUTBOUND_VERDICTS = ['forward', 'translate', 'unreachable', 'prohibited'] as const
export type OutboundAction = (typeof OUTBOUND_VERDICTS)[number]
export type OutboundVerdict = OutboundAction | NatDropReason

/**
 * What to do with a packet from the resource side (`handleInbound`).
 * - `'forward'`: send to client `result.clientId` through its tunnel. Replies of a
 *   same-family session were rewritten in place (source → proxy IP, destination
 *   port → the client's original port); replies from CIDR/Internet resources pass
 *   unchanged.
 * - `'translate'`: the session crossed families: hand the packet to NAT46/64 with
 *   the addresses in the result; `handleInbound` already rewrote the destination
 *   port/echo id in place.
 * - `'icmp-error'`: an ICMP error: parse its quoted packet (icmp-errors) and call
 *   `handleInboundIcmpError` with the quote's tuple; it is routed by that.
 * - a `NatDropReason`: drop (already counted).
 */
export const INBOUND_VERDICTS = ['forward', 'translate', 'icmp-error'] as const
export type InboundAction = (typeof INBOUND_VERDICTS)[number]
export type InboundVerdict = InboundAction | NatDropReason
