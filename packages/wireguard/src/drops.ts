/**
 * Why a datagram or packet was dropped. One `as const` list, so every counter exists from the start
 * (`Device.drops`) and a drop is a string literal: nothing is allocated to report it.
 */
export const DROP_REASONS = [
  /** Datagram shorter than 4 bytes or with non-zero reserved bytes. */
  'wg-bad-header',
  /** Message type other than 1–4. */
  'wg-unknown-type',
  /** A handshake or cookie message whose length is not exactly its size, or a short transport message. */
  'wg-bad-length',
  /** MAC1 did not verify: not keyed to our public key (paper §5.4.4). */
  'wg-bad-mac1',
  /** Under load and MAC2 missing or wrong: answered with a cookie reply instead (paper §5.4.7). */
  'wg-cookie-required',
  /** Under load, a source with a valid cookie sent handshakes faster than 20/s (burst 5). */
  'wg-rate-limited',
  /** A handshake message's AEAD or DH failed. */
  'wg-handshake-decrypt-failed',
  /** The initiator's static key is not a configured peer. */
  'wg-unknown-peer',
  /** The initiation's TAI64N timestamp is not after the last accepted one (paper §5.1). */
  'wg-initiation-replay',
  /** Initiations from one peer faster than HANDSHAKE_INITIATION_RATE. */
  'wg-initiation-flood',
  /** Receiver index not in the index table. */
  'wg-unknown-index',
  /** A response for a handshake we are not waiting on. */
  'wg-unexpected-response',
  /** A cookie reply that does not decrypt, or arrives with no initiation outstanding. */
  'wg-bad-cookie-reply',
  /** Transport message for a keypair older than REJECT_AFTER_TIME. */
  'wg-keypair-expired',
  /** Transport message whose Poly1305 tag did not verify. */
  'wg-decrypt-failed',
  /** Transport counter already seen, too old for the window, or past REJECT_AFTER_MESSAGES. */
  'wg-replayed',
  /** Decrypted payload is not a well-formed IPv4/IPv6 packet. */
  'wg-bad-inner-packet',
  /** Inner source address outside the peer's allowed IPs (cryptokey routing, paper §2). */
  'wg-disallowed-source',
  /** The peer has no known endpoint to send to. */
  'wg-no-endpoint',
  /** Packet larger than the transmit slot. */
  'wg-packet-too-large',
  /** Staging queue full while waiting for a handshake: the oldest packet was dropped. */
  'wg-staged-overflow',
  /** Staged packets discarded when a handshake attempt gave up (REKEY_ATTEMPT_TIME) or keys were erased. */
  'wg-handshake-timeout',
  /** Transmit ring full: the shell did not drain `pollTransmit`. */
  'wg-transmit-queue-full',
] as const

export type DropReason = (typeof DROP_REASONS)[number]

/** A fresh counter record with every reason at 0. */
export function newDropCounters(): Record<DropReason, number> {
  const r = {} as Record<DropReason, number>
  for (const d of DROP_REASONS) r[d] = 0
  return r
}
