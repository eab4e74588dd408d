/**
 * WireGuard constants, split as wireguard-go splits them: the protocol's own values (the
 * WireGuard paper §6.1 and §5.4) and the choices of this implementation.
 *
 * Times are milliseconds of the injected monotonic clock (`now`), named with a `_MS` suffix.
 */

// ---- Spec constants (WireGuard paper §6.1, "Timers & Stateless UX") -------------------------

/**
 * After this many messages sent with one keypair a new handshake starts. 2^60 in the paper; with
 * counters capped below 2^53 (see REJECT_AFTER_MESSAGES) the cap is reached first, and the next packet
 * is staged behind a fresh handshake instead.
 */
export const REKEY_AFTER_MESSAGES = 2 ** 60
/**
 * No keypair may send or accept more messages than this: 2^64 − 2^13 − 1 in the paper. Counters are
 * kept as JS numbers, exact below 2^53, so the effective limit is `Number.MAX_SAFE_INTEGER`; at
 * line rate (10^7 packets/s) 2^53 takes 28 years, far beyond REJECT_AFTER_TIME.
 */
export const REJECT_AFTER_MESSAGES = Number.MAX_SAFE_INTEGER
/** The initiator rekeys once its current keypair is this old. */
export const REKEY_AFTER_TIME_MS = 120_000
/** A keypair this old is never used again, to send or to receive. */
export const REJECT_AFTER_TIME_MS = 180_000
/** Handshake retries for one attempt stop after this long. */
export const REKEY_ATTEMPT_TIME_MS = 90_000
/** An unanswered handshake initiation is retransmitted after this (plus jitter). */
export const REKEY_TIMEOUT_MS = 5_000
/** A passive keepalive is sent this long after receiving data when nothing else was sent. */
export const KEEPALIVE_TIMEOUT_MS = 10_000
/** The responder's cookie secret changes, and a received cookie expires, after this long. */
export const COOKIE_REFRESH_TIME_MS = 120_000
/** Initiations from one peer closer together than this are dropped (wireguard-go: 50 per second). */
export const HANDSHAKE_INITIATION_RATE_MS = 20
/** Plaintext is padded with zeros to a multiple of this (paper §5.4.6). */
export const PADDING_MULTIPLE = 16

// ---- Implementation constants (this implementation's choices) --------------------------------

/** Random extra delay added to each handshake retransmission: uniform in [0, this). */
export const REKEY_TIMEOUT_JITTER_MAX_MS = 334
/** Retransmissions of one initiation before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT. */
export const MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME_MS / REKEY_TIMEOUT_MS
/** Packets held per peer while no session exists; older ones are dropped first. */
export const MAX_STAGED_PACKETS = 128
/** Datagrams that may wait in the transmit ring before `pollTransmit` drains them. */
export const TRANSMIT_QUEUE_SIZE = 1024
/** Default size of each preallocated transmit slot (header + padded packet + tag): bounds the packet size. */
export const DEFAULT_SLOT_SIZE = 2048
/** Once under load, the responder demands cookies for at least this long. */
export const UNDER_LOAD_AFTER_TIME_MS = 1_000
/** Default: more initiations than this within one second put the device under load. */
export const DEFAULT_UNDER_LOAD_THRESHOLD = 64
/** Key material is erased after this long without a new handshake (wireguard-go: 3 × REJECT_AFTER_TIME). */
export const ZERO_KEY_MATERIAL_AFTER_MS = REJECT_AFTER_TIME_MS * 3
