/**
 * One configured peer: its handshake, keypairs, timers, endpoint, allowed IPs and staged packets.
 * State only; the transitions live in device.ts, which owns the index table and transmit ring.
 */
import { type Prefix, parsePrefix } from './allowed-ips.ts'
import { REJECT_AFTER_MESSAGES, REJECT_AFTER_TIME_MS } from './constants.ts'
import { CookieGenerator, parseIp } from './cookie.ts'
import type { Keypair } from './keypair.ts'
import { Handshake, type Identity } from './noise.ts'
import { type NextDeadline, TimerTable } from './timers.ts'

/** A UDP endpoint. The device copies the fields; it never keeps the caller's object. */
export interface Endpoint {
  address: string
  port: number
}

/** How a peer is configured (config time: errors throw naming the field). */
export interface PeerConfig {
  /** The peer's X25519 public key, 32 bytes. */
  publicKey: Uint8Array
  /** Optional 32-byte pre-shared key (paper §5.2). */
  presharedKey?: Uint8Array | null
  /** Where to send before the peer has sent anything authenticated. */
  endpoint?: Endpoint | null
  /** Prefixes routed to this peer and accepted as inner sources from it, e.g. `['10.0.0.2/32']`. */
  allowedIps?: readonly string[]
  /** Seconds between keepalives even when idle (wg's PersistentKeepalive); 0 or absent = off. */
  persistentKeepaliveS?: number
}

/** Counters of one peer (plain numbers, read them freely). */
export interface PeerStats {
  rxBytes: number
  txBytes: number
  rxPackets: number
  txPackets: number
  handshakes: number
  /** `now` of the last completed handshake, or −Infinity. */
  lastHandshake: number
  /**
   * `now` of the last authenticated datagram from the peer (handshake message, keepalive or data),
   * or −Infinity: how long a peer has been silent, e.g. to release what a vanished peer left behind.
   */
  lastReceived: number
}

export class Peer {
  readonly publicKey: Uint8Array
  readonly handshake: Handshake
  readonly cookies: CookieGenerator
  readonly timers: TimerTable
  readonly allowedIps: Prefix[]
  /** Current endpoint: configured, then the source of the last authenticated packet (roaming). */
  endpoint: Endpoint | null
  previous: Keypair<Peer> | null = null
  current: Keypair<Peer> | null = null
  next: Keypair<Peer> | null = null
  /** `now` of the last initiation we sent (rate limit: one per REKEY_TIMEOUT). */
  lastSentHandshake = Number.NEGATIVE_INFINITY
  /** Copies of packets waiting for a session (oldest first). */
  readonly staged: Uint8Array[] = []
  readonly stats: PeerStats = {
    rxBytes: 0,
    txBytes: 0,
    rxPackets: 0,
    txPackets: 0,
    handshakes: 0,
    lastHandshake: Number.NEGATIVE_INFINITY,
    lastReceived: Number.NEGATIVE_INFINITY,
  }

  constructor(
    identity: Identity,
    config: PeerConfig,
    random: (b: Uint8Array) => void,
    deadline?: NextDeadline,
  ) {
    this.publicKey = config.publicKey.slice()
    this.handshake = new Handshake(identity, config.publicKey, config.presharedKey ?? null)
    this.cookies = new CookieGenerator(this.publicKey)
    this.timers = new TimerTable(random, deadline)
    const ka = config.persistentKeepaliveS ?? 0
    if (!(Number.isInteger(ka) && ka >= 0 && ka <= 65535))
      throw new Error('persistentKeepaliveS: integer 0..65535')
    this.timers.persistentKeepaliveMs = ka * 1000
    this.allowedIps = (config.allowedIps ?? []).map((t) => parsePrefix(t, parseIp))
    this.endpoint = config.endpoint ? { address: config.endpoint.address, port: config.endpoint.port } : null
  }

  /** The keypair to send with, or null when a handshake is needed first. */
  sendingKeypair(now: number): Keypair<Peer> | null {
    const kp = this.current
    if (kp === null || now - kp.created >= REJECT_AFTER_TIME_MS || kp.sendCounter >= REJECT_AFTER_MESSAGES)
      return null
    return kp
  }

  /** Sets the endpoint from an authenticated packet's source (paper §2 roaming); no allocation when unchanged. */
  setEndpoint(from: Endpoint): void {
    const e = this.endpoint
    if (e === null) this.endpoint = { address: from.address, port: from.port }
    else if (e.address !== from.address || e.port !== from.port) {
      e.address = from.address
      e.port = from.port
    }
  }
}
