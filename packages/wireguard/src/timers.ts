/**
 * The per-peer timer table (paper §6; wireguard-go's timers.go made sans-IO). Each timer is a
 * deadline in a `Float64Array` (Infinity = unset); the device's `pollTimeout` is the minimum over
 * its peers, and `handleTimeout(now)` runs the `expired*` logic for deadlines at or before `now`.
 *
 * The hooks keep wireguard-go's names and rules:
 * - onDataSent: unless already pending, expect an answer within KEEPALIVE + REKEY_TIMEOUT, else
 *   start a new handshake (NewHandshake).
 * - onDataReceived: unless pending, send a keepalive after KEEPALIVE_TIMEOUT if nothing else goes out.
 * - onAnyAuthenticatedPacketSent: cancel that keepalive.
 * - onAnyAuthenticatedPacketReceived: cancel NewHandshake.
 * - onAnyAuthenticatedPacketTraversal: re-arm the persistent keepalive.
 * - onHandshakeInitiated: retransmit after REKEY_TIMEOUT + jitter.
 * - onHandshakeComplete: cancel the retransmission, reset the attempt count.
 * - onSessionDerived: erase key material after 3 × REJECT_AFTER_TIME without a new session.
 */
import {
  KEEPALIVE_TIMEOUT_MS,
  REKEY_TIMEOUT_JITTER_MAX_MS,
  REKEY_TIMEOUT_MS,
  ZERO_KEY_MATERIAL_AFTER_MS,
} from './constants.ts'

/** The timers of one peer, in table order. */
export const TIMERS = [
  'retransmit-handshake',
  'send-keepalive',
  'new-handshake',
  'zero-key-material',
  'persistent-keepalive',
] as const
export type TimerName = (typeof TIMERS)[number]

export const T_RETRANSMIT_HANDSHAKE = 0
export const T_SEND_KEEPALIVE = 1
export const T_NEW_HANDSHAKE = 2
export const T_ZERO_KEY_MATERIAL = 3
export const T_PERSISTENT_KEEPALIVE = 4

/**
 * The device-wide earliest deadline, shared by every peer's table so `pollTimeout` is O(1). Setting a
 * timer can only lower it; cancelling leaves it early, which costs one early wake-up, after which
 * `handleTimeout` recomputes it exactly (O(peers) per wake-up, not per packet).
 */
export interface NextDeadline {
  at: number
}

/** Deadlines of one peer's timers plus the little state wireguard-go keeps beside them. */
export class TimerTable {
  readonly deadlines = new Float64Array(TIMERS.length).fill(Number.POSITIVE_INFINITY)
  /** Handshake retransmissions since the last attempt started. */
  handshakeAttempts = 0
  /** A keepalive is due again once the pending one fires (data kept arriving). */
  needAnotherKeepalive = false
  /** The "last minute" handshake before REJECT_AFTER_TIME was already sent for this keypair. */
  sentLastMinuteHandshake = false
  /** Seconds between persistent keepalives; 0 = off. */
  persistentKeepaliveMs = 0

  constructor(
    private readonly random: (b: Uint8Array) => void,
    private readonly shared: NextDeadline = { at: Number.POSITIVE_INFINITY },
  ) {}

  pending(t: number): boolean {
    return this.deadlines[t] !== Number.POSITIVE_INFINITY
  }
  set(t: number, at: number): void {
    this.deadlines[t] = at
    if (at < this.shared.at) this.shared.at = at
  }
  cancel(t: number): void {
    this.deadlines[t] = Number.POSITIVE_INFINITY
  }
  cancelAll(): void {
    this.deadlines.fill(Number.POSITIVE_INFINITY)
  }
  /** The earliest deadline (Infinity when none). */
  next(): number {
    let m = Number.POSITIVE_INFINITY
    for (let i = 0; i < this.deadlines.length; i++) if (this.deadlines[i] < m) m = this.deadlines[i]
    return m
  }

  private readonly jitterBuf = new Uint8Array(2)
  /** Uniform jitter in [0, REKEY_TIMEOUT_JITTER_MAX_MS). */
  jitter(): number {
    this.random(this.jitterBuf)
    return ((this.jitterBuf[0] | (this.jitterBuf[1] << 8)) * REKEY_TIMEOUT_JITTER_MAX_MS) / 65536
  }

  onDataSent(now: number): void {
    if (!this.pending(T_NEW_HANDSHAKE))
      this.set(T_NEW_HANDSHAKE, now + KEEPALIVE_TIMEOUT_MS + REKEY_TIMEOUT_MS)
  }
  onDataReceived(now: number): void {
    if (!this.pending(T_SEND_KEEPALIVE)) this.set(T_SEND_KEEPALIVE, now + KEEPALIVE_TIMEOUT_MS)
    else this.needAnotherKeepalive = true
  }
  onAnyAuthenticatedPacketSent(): void {
    this.cancel(T_SEND_KEEPALIVE)
  }
  onAnyAuthenticatedPacketReceived(): void {
    this.cancel(T_NEW_HANDSHAKE)
  }
  onAnyAuthenticatedPacketTraversal(now: number): void {
    if (this.persistentKeepaliveMs > 0) this.set(T_PERSISTENT_KEEPALIVE, now + this.persistentKeepaliveMs)
  }
  onHandshakeInitiated(now: number): void {
    this.set(T_RETRANSMIT_HANDSHAKE, now + REKEY_TIMEOUT_MS + this.jitter())
  }
  onHandshakeComplete(): void {
    this.cancel(T_RETRANSMIT_HANDSHAKE)
    this.handshakeAttempts = 0
    this.sentLastMinuteHandshake = false
  }
  onSessionDerived(now: number): void {
    this.set(T_ZERO_KEY_MATERIAL, now + ZERO_KEY_MATERIAL_AFTER_MS)
  }
}
