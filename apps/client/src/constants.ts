/**
 * The client's constants: where each number comes from. Specification values (MISSION.md,
 * Firezone's client) apart from implementation choices, as wireguard-go splits them.
 */
import { KEEPALIVE_TIMEOUT_MS, REKEY_TIMEOUT_MS } from '@gatehouse/wireguard'

// ---- Facts carried over from the reference (MISSION.md "Client, DNS") ----------------------------

/** Proxy IPs of DNS resources, IPv4 (routed into the TUN). */
export const PROXY_RANGE_V4 = '100.96.0.0/11'
/** Proxy IPs of DNS resources, IPv6 (routed into the TUN). */
export const PROXY_RANGE_V6 = 'fd00:2021:1111:8000::/107'
/** Sentinel DNS servers, IPv4 (routed into the TUN). */
export const SENTINEL_RANGE_V4 = '100.100.111.0/24'
/** Sentinel DNS servers, IPv6 (routed into the TUN). */
export const SENTINEL_RANGE_V6 = 'fd00:2021:1111:8000:100:100:111:0/120'
/** DNS over UDP and TCP (RFC 1035 §4.2). */
export const DNS_PORT = 53

// ---- Implementation choices ---------------------------------------------------------------------

/**
 * How long a resource query waits for the gateway's DomainStatus before the application gets
 * SERVFAIL. Short, because the application is blocked meanwhile; long enough for the gateway to
 * resolve the name at its site (its resolver gives up on one upstream after 2 s too).
 */
export const STATUS_TIMEOUT_MS = 2_000
/** An active name is re-announced (the gateway re-resolves it) when asked again after this long. */
export const REFRESH_AFTER_MS = 30_000
/**
 * A handshake that completes when we sent the gateway something and then heard nothing from it
 * for this long means the gateway may have lost our mappings (restart without Goodbye, or idle
 * cleanup): every mapping is re-sent. A healthy peer sends at least a passive keepalive every
 * KEEPALIVE_TIMEOUT while we send data (WireGuard paper §6.5), so a routine rekey never looks
 * this quiet, and an idle client's keepalive rekeys send no data.
 */
export const RESYNC_AFTER_QUIET_MS = KEEPALIVE_TIMEOUT_MS
/**
 * Resync messages staged ahead of the packet that starts a handshake, at most (the device stages
 * 128 packets; the rest of a larger resync is sent when the handshake completes).
 */
export const MAX_STAGED_RESYNC = 100
/** Answers for applications waiting on one name's status, at most; more get SERVFAIL at once. */
export const MAX_WAITERS_PER_NAME = 64
/**
 * After a Goodbye, an unanswered handshake initiation is re-sent this long after it went out, then
 * after twice as long each time, until the step reaches REKEY_TIMEOUT (250, 500, 1000, 2000 and
 * 4000 ms, each plus up to 25% jitter: five extra initiations at most, within ~7.75-9.7 s), when
 * WireGuard's own retransmission takes over.
 *
 * Why: a packet that leaves between the old gateway's Goodbye and the new one's start (say the
 * last ACK of a closed connection) starts a handshake towards nobody. WireGuard would retry it
 * only after REKEY_TIMEOUT (5 s, paper §6.4) and holds every packet behind it: a 5 s blackout
 * although the new gateway is up in about a second. The Goodbye tells us the gateway is restarting,
 * not gone, so the first handshake after it retries on this short backoff instead. The paper fixes
 * the responder's side (REKEY_TIMEOUT is a floor only for a peer that knows nothing better); the
 * responder accepts a new initiation from one peer every 20 ms and, under load, 20/s per source,
 * so 4/s at most stays far inside both, and the backoff bounds what a gateway that stays away costs.
 * A step is about the time since the first initiation, so the new gateway is reached at most that
 * long (+ jitter) after it listens: the blackout is at most about twice the restart's own duration
 * (restart 0.4 s -> traffic at 0.75 s; 1 s -> 1.75 s), not REKEY_TIMEOUT or more.
 */
export const GOODBYE_RETRY_FIRST_MS = 250
/** Where the Goodbye backoff hands over to WireGuard's own retransmission pace. */
export const GOODBYE_RETRY_MAX_MS = REKEY_TIMEOUT_MS
/** Each step of the Goodbye backoff gets a random extra of up to step / this (so up to 25%). */
export const GOODBYE_RETRY_JITTER_DIVISOR = 4
