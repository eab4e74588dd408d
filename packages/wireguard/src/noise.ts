/**
 * The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake as WireGuard uses it (paper §5.4.2–§5.4.5).
 *
 * Notation follows the paper: C is the chaining key, H the hash, E/S ephemeral/static keys,
 * subscript i the initiator and r the responder, Q the pre-shared key (32 zeros when none).
 *
 * ```
 * C = HASH(CONSTRUCTION), H = HASH(C ‖ IDENTIFIER), H = HASH(H ‖ S_r.pub)
 * initiator:  C = KDF1(C, E_i.pub); H = HASH(H ‖ E_i.pub)
 *             (C, κ) = KDF2(C, DH(E_i, S_r)); static = AEAD(κ, 0, S_i.pub, H); H = HASH(H ‖ static)
 *             (C, κ) = KDF2(C, DH(S_i, S_r)); timestamp = AEAD(κ, 0, TAI64N, H); H = HASH(H ‖ timestamp)
 * responder:  C = KDF1(C, E_r.pub); H = HASH(H ‖ E_r.pub)
 *             C = KDF1(C, DH(E_r, E_i)); C = KDF1(C, DH(E_r, S_i))
 *             (C, τ, κ) = KDF3(C, Q); H = HASH(H ‖ τ); empty = AEAD(κ, 0, ε, H); H = HASH(H ‖ empty)
 * keys:       (T_i→r, T_r→i) = KDF2(C, ε)
 * ```
 *
 * Handshake messages are rare (at most one per peer per REKEY_TIMEOUT outside an attack), so this
 * file allocates freely; the transport path in peer.ts does not.
 */
import { HANDSHAKE_INITIATION_RATE_MS } from './constants.ts'
import {
  clamp,
  dhInto,
  hash,
  KEY_LEN,
  kdf,
  openInPlace,
  publicKeyInto,
  sealInPlace,
  TAG_LEN,
} from './crypto.ts'
import type { DropReason } from './drops.ts'
import { INIT, MESSAGE_INITIATION, MESSAGE_RESPONSE, RESP, readU32, writeType, writeU32 } from './messages.ts'
import { TAI64N_LEN, tai64nAfter, writeTai64n } from './tai64n.ts'

const te = new TextEncoder()
/** Noise protocol name (paper §5.4). */
export const CONSTRUCTION = te.encode('Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s')
/** WireGuard's prologue identifier (paper §5.4). */
export const IDENTIFIER = te.encode('WireGuard v1 zx2c4 Jason@zx2c4.com')

/** C₀ = HASH(CONSTRUCTION). */
export const INITIAL_CHAIN_KEY = hash(CONSTRUCTION)
/** H₀ = HASH(C₀ ‖ IDENTIFIER). */
export const INITIAL_HASH = hash(INITIAL_CHAIN_KEY, IDENTIFIER)

const EMPTY = new Uint8Array(0)

/** Where one peer's handshake stands. */
export const HandshakeState = {
  Zeroed: 0,
  InitiationCreated: 1,
  InitiationConsumed: 2,
  ResponseCreated: 3,
  ResponseConsumed: 4,
} as const
export type HandshakeState = (typeof HandshakeState)[keyof typeof HandshakeState]

/** Our static identity: private key and its public key, and H₀ mixed with our public key (responder side). */
export class Identity {
  readonly privateKey: Uint8Array
  readonly publicKey = new Uint8Array(KEY_LEN)
  /** HASH(H₀ ‖ S_pub): the responder's starting hash. */
  readonly initialHash: Uint8Array
  constructor(privateKey: Uint8Array) {
    if (privateKey.length !== KEY_LEN) throw new Error('privateKey: must be 32 bytes')
    this.privateKey = clamp(privateKey.slice())
    publicKeyInto(this.publicKey, this.privateKey)
    this.initialHash = hash(INITIAL_HASH, this.publicKey)
  }
}

/** One peer's handshake state (paper §5.4). Fields are overwritten in place; `zero()` wipes them. */
export class Handshake {
  state: HandshakeState = HandshakeState.Zeroed
  chainKey: Uint8Array = new Uint8Array(KEY_LEN)
  hash: Uint8Array = new Uint8Array(KEY_LEN)
  readonly localEphemeralPrivate = new Uint8Array(KEY_LEN)
  readonly localEphemeralPublic = new Uint8Array(KEY_LEN)
  readonly remoteEphemeral = new Uint8Array(KEY_LEN)
  /** The peer's static public key. */
  readonly remoteStatic: Uint8Array
  /** Q, 32 zero bytes when no pre-shared key is configured. */
  readonly presharedKey: Uint8Array
  /** DH(S_local, S_remote), computed once (it never changes). */
  readonly precomputedStaticStatic = new Uint8Array(KEY_LEN)
  /** HASH(H₀ ‖ S_remote): the initiator's starting hash. */
  readonly initialHash: Uint8Array
  localIndex = 0
  remoteIndex = 0
  /** Greatest TAI64N accepted from this peer (initiation replay protection). */
  readonly lastTimestamp = new Uint8Array(TAI64N_LEN)
  /** `now` when the last initiation from this peer was accepted (flood protection). */
  lastInitiationConsumed = Number.NEGATIVE_INFINITY

  constructor(identity: Identity, remoteStatic: Uint8Array, presharedKey: Uint8Array | null) {
    if (remoteStatic.length !== KEY_LEN) throw new Error('publicKey: must be 32 bytes')
    if (presharedKey !== null && presharedKey.length !== KEY_LEN)
      throw new Error('presharedKey: must be 32 bytes')
    this.remoteStatic = remoteStatic.slice()
    this.presharedKey = presharedKey === null ? new Uint8Array(KEY_LEN) : presharedKey.slice()
    if (!dhInto(this.precomputedStaticStatic, identity.privateKey, this.remoteStatic))
      throw new Error('publicKey: low-order point (DH result is zero)')
    this.initialHash = hash(INITIAL_HASH, this.remoteStatic)
  }

  /** Erase ephemeral and chaining state (after keys are derived, or on timeout). */
  zero(): void {
    this.state = HandshakeState.Zeroed
    this.chainKey.fill(0)
    this.hash.fill(0)
    this.localEphemeralPrivate.fill(0)
    this.localEphemeralPublic.fill(0)
    this.remoteEphemeral.fill(0)
    this.localIndex = 0
    this.remoteIndex = 0
  }
}

/**
 * Writes bytes 0..116 of a handshake initiation into `out` (MACs are added by cookie.ts).
 * `random` fills the ephemeral private key; `unixMs` is the wall clock for TAI64N.
 * False when a DH result was zero (cannot happen for a valid peer key).
 */
export function createInitiation(
  hs: Handshake,
  identity: Identity,
  localIndex: number,
  unixMs: number,
  random: (b: Uint8Array) => void,
  out: Uint8Array,
): boolean {
  let c = INITIAL_CHAIN_KEY
  let h = hs.initialHash
  random(hs.localEphemeralPrivate)
  clamp(hs.localEphemeralPrivate)
  publicKeyInto(hs.localEphemeralPublic, hs.localEphemeralPrivate)

  writeType(out, MESSAGE_INITIATION)
  writeU32(out, INIT.SENDER, localIndex)
  out.set(hs.localEphemeralPublic, INIT.EPHEMERAL)
  c = kdf(c, hs.localEphemeralPublic, 1)[0]
  h = hash(h, hs.localEphemeralPublic)

  const dh = new Uint8Array(KEY_LEN)
  if (!dhInto(dh, hs.localEphemeralPrivate, hs.remoteStatic)) return false
  let [c2, k] = kdf(c, dh, 2)
  c = c2
  out.set(identity.publicKey, INIT.STATIC)
  sealInPlace(k, 0, out, INIT.STATIC, KEY_LEN, h)
  h = hash(h, out.subarray(INIT.STATIC, INIT.STATIC + INIT.STATIC_LEN))

  ;[c2, k] = kdf(c, hs.precomputedStaticStatic, 2)
  c = c2
  writeTai64n(out, INIT.TIMESTAMP, unixMs)
  sealInPlace(k, 0, out, INIT.TIMESTAMP, TAI64N_LEN, h)
  h = hash(h, out.subarray(INIT.TIMESTAMP, INIT.TIMESTAMP + INIT.TIMESTAMP_LEN))

  hs.chainKey = c
  hs.hash = h
  hs.localIndex = localIndex
  hs.state = HandshakeState.InitiationCreated
  return true
}

/**
 * Consumes a 148-byte initiation (MAC1 already checked). `lookup` maps the decrypted static key to
 * a peer and its Handshake. On success the peer's handshake is `InitiationConsumed` and the peer is
 * returned; otherwise the drop reason.
 */
export function consumeInitiation<P extends { handshake: Handshake }>(
  identity: Identity,
  msg: Uint8Array,
  now: number,
  lookup: (staticKey: Uint8Array) => P | null,
): P | DropReason {
  const e = msg.slice(INIT.EPHEMERAL, INIT.EPHEMERAL + KEY_LEN)
  let c = kdf(INITIAL_CHAIN_KEY, e, 1)[0]
  let h = hash(identity.initialHash, e)

  const dh = new Uint8Array(KEY_LEN)
  if (!dhInto(dh, identity.privateKey, e)) return 'wg-handshake-decrypt-failed'
  let [c2, k] = kdf(c, dh, 2)
  c = c2
  const staticCt = msg.subarray(INIT.STATIC, INIT.STATIC + INIT.STATIC_LEN)
  const s = staticCt.slice()
  if (!openInPlace(k, 0, s, 0, INIT.STATIC_LEN, h)) return 'wg-handshake-decrypt-failed'
  h = hash(h, staticCt)

  const peer = lookup(s.subarray(0, KEY_LEN))
  if (peer === null) return 'wg-unknown-peer'
  const hs = peer.handshake

  ;[c2, k] = kdf(c, hs.precomputedStaticStatic, 2)
  c = c2
  const tsCt = msg.subarray(INIT.TIMESTAMP, INIT.TIMESTAMP + INIT.TIMESTAMP_LEN)
  const ts = tsCt.slice()
  if (!openInPlace(k, 0, ts, 0, INIT.TIMESTAMP_LEN, h)) return 'wg-handshake-decrypt-failed'
  h = hash(h, tsCt)

  // Paper §5.1: a replayed initiation carries an old timestamp; accept strictly increasing ones only.
  if (!tai64nAfter(ts, 0, hs.lastTimestamp, 0)) return 'wg-initiation-replay'
  // wireguard-go: at most one initiation per HANDSHAKE_INITIATION_RATE from a peer.
  if (now - hs.lastInitiationConsumed < HANDSHAKE_INITIATION_RATE_MS) return 'wg-initiation-flood'

  hs.lastTimestamp.set(ts.subarray(0, TAI64N_LEN))
  hs.lastInitiationConsumed = now
  hs.chainKey = c
  hs.hash = h
  hs.remoteEphemeral.set(e)
  hs.remoteIndex = readU32(msg, INIT.SENDER)
  hs.state = HandshakeState.InitiationConsumed
  return peer
}

/** Writes bytes 0..60 of a handshake response into `out` (MACs are added by cookie.ts). */
export function createResponse(
  hs: Handshake,
  localIndex: number,
  random: (b: Uint8Array) => void,
  out: Uint8Array,
): boolean {
  if (hs.state !== HandshakeState.InitiationConsumed) return false
  let c = hs.chainKey
  let h = hs.hash
  random(hs.localEphemeralPrivate)
  clamp(hs.localEphemeralPrivate)
  publicKeyInto(hs.localEphemeralPublic, hs.localEphemeralPrivate)

  writeType(out, MESSAGE_RESPONSE)
  writeU32(out, RESP.SENDER, localIndex)
  writeU32(out, RESP.RECEIVER, hs.remoteIndex)
  out.set(hs.localEphemeralPublic, RESP.EPHEMERAL)
  c = kdf(c, hs.localEphemeralPublic, 1)[0]
  h = hash(h, hs.localEphemeralPublic)

  const dh = new Uint8Array(KEY_LEN)
  if (!dhInto(dh, hs.localEphemeralPrivate, hs.remoteEphemeral)) return false
  c = kdf(c, dh, 1)[0]
  if (!dhInto(dh, hs.localEphemeralPrivate, hs.remoteStatic)) return false
  c = kdf(c, dh, 1)[0]

  const [c3, tau, k] = kdf(c, hs.presharedKey, 3)
  c = c3
  h = hash(h, tau)
  sealInPlace(k, 0, out, RESP.EMPTY, 0, h)
  h = hash(h, out.subarray(RESP.EMPTY, RESP.EMPTY + TAG_LEN))

  hs.chainKey = c
  hs.hash = h
  hs.localIndex = localIndex
  hs.state = HandshakeState.ResponseCreated
  return true
}

/** Consumes a 92-byte response for `hs` (which must be `InitiationCreated`; MAC1 already checked). */
export function consumeResponse(hs: Handshake, identity: Identity, msg: Uint8Array): DropReason | null {
  if (hs.state !== HandshakeState.InitiationCreated) return 'wg-unexpected-response'
  const e = msg.slice(RESP.EPHEMERAL, RESP.EPHEMERAL + KEY_LEN)
  let c = kdf(hs.chainKey, e, 1)[0]
  let h = hash(hs.hash, e)

  const dh = new Uint8Array(KEY_LEN)
  if (!dhInto(dh, hs.localEphemeralPrivate, e)) return 'wg-handshake-decrypt-failed'
  c = kdf(c, dh, 1)[0]
  if (!dhInto(dh, identity.privateKey, e)) return 'wg-handshake-decrypt-failed'
  c = kdf(c, dh, 1)[0]

  const [c3, tau, k] = kdf(c, hs.presharedKey, 3)
  c = c3
  h = hash(h, tau)
  const emptyCt = msg.subarray(RESP.EMPTY, RESP.EMPTY + TAG_LEN)
  if (!openInPlace(k, 0, emptyCt.slice(), 0, TAG_LEN, h)) return 'wg-handshake-decrypt-failed'
  h = hash(h, emptyCt)

  hs.chainKey = c
  hs.hash = h
  hs.remoteEphemeral.set(e)
  hs.remoteIndex = readU32(msg, RESP.SENDER)
  hs.state = HandshakeState.ResponseConsumed
  return null
}

/**
 * Derives the transport keys from a finished handshake (paper §5.4.5) into `send`/`recv`, then
 * wipes the handshake (read its indices first). The initiator sends with T₁ and receives with T₂; the responder the reverse.
 */
export function deriveTransportKeys(
  hs: Handshake,
  send: Uint8Array,
  recv: Uint8Array,
): 'initiator' | 'responder' | null {
  let isInitiator: boolean
  if (hs.state === HandshakeState.ResponseConsumed) isInitiator = true
  else if (hs.state === HandshakeState.ResponseCreated) isInitiator = false
  else return null
  const [t1, t2] = kdf(hs.chainKey, EMPTY, 2)
  send.set(isInitiator ? t1 : t2)
  recv.set(isInitiator ? t2 : t1)
  t1.fill(0)
  t2.fill(0)
  hs.zero()
  return isInitiator ? 'initiator' : 'responder'
}
