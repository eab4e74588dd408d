/**
 * The WireGuard device: a sans-IO state machine (quinn's shape, connlib's names). It performs no
 * I/O and reads no clock; the shell feeds it and drains it.
 *
 * (A) Config: `addPeer`, `removePeer`, `peers`, `publicKey`, `drops`, `peerForDestination`.
 * (B) Input: `handleDatagram(now, from, buf, len)` for UDP datagrams, `handlePacket(now, peer, …)` for
 *     IP packets to encrypt, `handleTimeout(now)` when `pollTimeout()` is reached (early calls are
 *     no-ops), `initiate(now, peer)` to handshake before there is data, `retryHandshake(now, peer)`
 *     to re-send an unanswered initiation before its retransmission is due.
 * (C) Output, drained in this order after every input: `pollTransmit()` until null (datagrams to
 *     send), `pollTimeout()` (the next deadline), `pollEvent()` until null.
 *
 * `now` is a monotonic clock in ms; `unixMs()` (injected) is read only to write TAI64N timestamps.
 * `random` (injected) fills keys, indices, cookie nonces and jitter.
 *
 * Decrypted packets are not queued: `handleDatagram` decrypts in place and returns `'forward'`;
 * the packet is then `buf[rx.off .. rx.off + rx.len)` from peer `rx.peer`, valid until the caller
 * reuses `buf`. Drops are returned as a `DropReason` and counted in `drops`; nothing on the packet
 * path throws or allocates.
 */
import { copyBytes } from '@gatehouse/ip-packet'
import { longestMatch } from './allowed-ips.ts'
import {
  DEFAULT_SLOT_SIZE,
  DEFAULT_UNDER_LOAD_THRESHOLD,
  HANDSHAKE_INITIATION_RATE_MS,
  KEEPALIVE_TIMEOUT_MS,
  MAX_STAGED_PACKETS,
  MAX_TIMER_HANDSHAKES,
  PADDING_MULTIPLE,
  REJECT_AFTER_MESSAGES,
  REJECT_AFTER_TIME_MS,
  REKEY_AFTER_MESSAGES,
  REKEY_AFTER_TIME_MS,
  REKEY_TIMEOUT_MS,
  TRANSMIT_QUEUE_SIZE,
  UNDER_LOAD_AFTER_TIME_MS,
  ZERO_KEY_MATERIAL_AFTER_MS,
} from './constants.ts'
import { CookieChecker, endpointBytes } from './cookie.ts'
import { equalBytes, openInPlace, sealInPlace, TAG_LEN } from './crypto.ts'
import { type DropReason, newDropCounters } from './drops.ts'
import { type IndexEntry, IndexTable } from './index-table.ts'
import { Keypair } from './keypair.ts'
import {
  COOKIE_REPLY_LEN,
  DATA,
  INIT,
  INITIATION_LEN,
  MESSAGE_COOKIE_REPLY,
  MESSAGE_INITIATION,
  MESSAGE_RESPONSE,
  MESSAGE_TRANSPORT,
  messageType,
  RESP,
  RESPONSE_LEN,
  readU32,
  readU64,
  TRANSPORT_HEADER_LEN,
  TRANSPORT_MIN_LEN,
  writeType,
  writeU32,
  writeU64,
} from './messages.ts'
import {
  consumeInitiation,
  consumeResponse,
  createInitiation,
  createResponse,
  deriveTransportKeys,
  HandshakeState,
  Identity,
} from './noise.ts'
import { type Endpoint, Peer, type PeerConfig } from './peer.ts'
import { RateLimiter } from './ratelimiter.ts'
import {
  type NextDeadline,
  T_NEW_HANDSHAKE,
  T_PERSISTENT_KEEPALIVE,
  T_RETRANSMIT_HANDSHAKE,
  T_SEND_KEEPALIVE,
  T_ZERO_KEY_MATERIAL,
  TIMERS,
} from './timers.ts'

/** Device configuration. Throws at construction naming the bad field. */
export interface DeviceConfig {
  /** Our X25519 private key, 32 bytes (clamped on use, as `wg` does). */
  privateKey: Uint8Array
  /** Fills its argument with cryptographically secure random bytes. */
  random: (out: Uint8Array) => void
  /** Wall clock, ms since the Unix epoch, read only for TAI64N timestamps in initiations. */
  unixMs: () => number
  /** Handshake messages per second beyond which the device is "under load" and demands cookies. */
  underLoadThreshold?: number
  /** Size of each preallocated transmit slot; bounds the largest packet `handlePacket` accepts. */
  slotSize?: number
}

/**
 * A datagram to send: `data[0..length)` to `to`. Its slot is reused only after it was polled and the
 * ring went round (TRANSMIT_QUEUE_SIZE more datagrams), so it is valid at least until the next
 * `handle*` call; a shell may also poll later, after a batch of inputs.
 */
export interface Transmit {
  readonly to: Endpoint
  readonly data: Uint8Array
  length: number
}

/** Control-plane events. */
export type WireGuardEvent =
  | { type: 'handshake-complete'; peer: Peer; initiator: boolean }
  | { type: 'handshake-failed'; peer: Peer }
  | { type: 'keys-zeroed'; peer: Peer }

/** Result of `handleDatagram`: a decrypted packet to deliver, something handled, or a drop. */
export type DatagramVerdict = 'forward' | 'consumed' | DropReason
/** Result of `handlePacket`: encrypted and queued, staged until a handshake completes, or a drop. */
export type PacketVerdict = 'queued' | 'staged' | DropReason

/** Where the last `'forward'` packet lies in the caller's buffer. */
export interface Received {
  peer: Peer | null
  off: number
  len: number
}

interface Slot {
  to: Endpoint
  data: Uint8Array
  length: number
}

export class Device {
  readonly identity: Identity
  /** Our public key. */
  readonly publicKey: Uint8Array
  /** Drops by reason, every reason present from the start. */
  readonly drops: Record<DropReason, number> = newDropCounters()
  /** Where the packet of the last `'forward'` verdict is. */
  readonly rx: Received = { peer: null, off: 0, len: 0 }
  /** Counters beside the drops. */
  readonly stats = { keepalivesReceived: 0, keepalivesSent: 0, cookieRepliesSent: 0, handshakesInitiated: 0 }

  private readonly random: (b: Uint8Array) => void
  private readonly unixMs: () => number
  private readonly byKey = new Map<string, Peer>()
  private readonly peerList: Peer[] = []
  private readonly indices: IndexTable<Peer>
  private readonly checker: CookieChecker
  private readonly underLoadThreshold: number
  private handshakeWindowStart = Number.NEGATIVE_INFINITY
  private handshakeCount = 0
  private underLoadUntil = Number.NEGATIVE_INFINITY
  private readonly limiter = new RateLimiter()
  /** Earliest timer deadline over all peers, maintained by the timer tables (may be early, never late). */
  private readonly nextDeadline: NextDeadline = { at: Number.POSITIVE_INFINITY }

  private readonly slots: Slot[] = []
  private readonly slotSize: number
  private head = 0
  private count = 0
  private readonly events: WireGuardEvent[] = []

  constructor(config: DeviceConfig) {
    if (typeof config.random !== 'function') throw new Error('random: must be a function')
    if (typeof config.unixMs !== 'function') throw new Error('unixMs: must be a function')
    this.identity = new Identity(config.privateKey)
    this.publicKey = this.identity.publicKey
    this.random = config.random
    this.unixMs = config.unixMs
    this.indices = new IndexTable(config.random)
    this.checker = new CookieChecker(this.publicKey, config.random)
    this.underLoadThreshold = config.underLoadThreshold ?? DEFAULT_UNDER_LOAD_THRESHOLD
    this.slotSize = config.slotSize ?? DEFAULT_SLOT_SIZE
    if (!(this.slotSize >= 256)) throw new Error('slotSize: at least 256')
    for (let i = 0; i < TRANSMIT_QUEUE_SIZE; i++)
      this.slots.push({ to: { address: '', port: 0 }, data: new Uint8Array(this.slotSize), length: 0 })
  }

  // ---- (A) configuration -----------------------------------------------------------------------

  /** Adds a peer; throws if its key is malformed, a duplicate, or our own. */
  addPeer(config: PeerConfig): Peer {
    const key = hex(config.publicKey)
    if (this.byKey.has(key)) throw new Error('publicKey: peer already added')
    if (equalBytes(config.publicKey, 0, this.publicKey, 0, 32)) throw new Error('publicKey: is our own key')
    const peer = new Peer(this.identity, config, this.random, this.nextDeadline)
    this.byKey.set(key, peer)
    this.peerList.push(peer)
    return peer
  }

  /** Removes a peer and forgets its sessions. */
  removePeer(peer: Peer): void {
    this.zeroKeys(peer)
    this.byKey.delete(hex(peer.publicKey))
    const i = this.peerList.indexOf(peer)
    if (i >= 0) this.peerList.splice(i, 1)
  }

  /** Entries in the receiver-index table (handshakes and keypairs): at most 4 per peer. */
  get indexCount(): number {
    return this.indices.size
  }

  /** The configured peers. */
  get peers(): readonly Peer[] {
    return this.peerList
  }

  /** The peer whose allowed IPs hold the destination of the IP packet at `off`, or null (cryptokey routing). */
  peerForDestination(packet: Uint8Array, off = 0): Peer | null {
    const v = packet[off] >> 4
    const aOff = v === 4 ? off + 16 : off + 24
    const aLen = v === 4 ? 4 : 16
    if ((v !== 4 && v !== 6) || packet.length < aOff + aLen) return null
    let best: Peer | null = null
    let bestBits = -1
    for (const p of this.peerList) {
      const b = longestMatch(p.allowedIps, packet, aOff, aLen)
      if (b > bestBits) {
        bestBits = b
        best = p
      }
    }
    return best
  }

  // ---- (B) input --------------------------------------------------------------------------------

  /**
   * Handles one UDP datagram `buf[0..len)` from `from`. May decrypt in place: on `'forward'` the
   * inner IP packet is at `rx`. Never throws; drops are returned and counted.
   */
  handleDatagram(now: number, from: Endpoint, buf: Uint8Array, len = buf.length): DatagramVerdict {
    const t = messageType(buf, len)
    let v: DatagramVerdict
    if (t === MESSAGE_TRANSPORT) v = this.onTransport(now, from, buf, len)
    else if (t === MESSAGE_INITIATION) v = this.onInitiation(now, from, buf, len)
    else if (t === MESSAGE_RESPONSE) v = this.onResponse(now, from, buf, len)
    else if (t === MESSAGE_COOKIE_REPLY) v = this.onCookieReply(now, buf, len)
    else v = t === 0 ? 'wg-bad-header' : 'wg-unknown-type'
    if (v !== 'forward' && v !== 'consumed') this.drops[v]++
    return v
  }

  /**
   * Encrypts the IP packet `packet[off..off+len)` for `peer` and queues the datagram, or stages a
   * copy and starts a handshake when no session is usable.
   */
  handlePacket(
    now: number,
    peer: Peer,
    packet: Uint8Array,
    off = 0,
    len = packet.length - off,
  ): PacketVerdict {
    let v: PacketVerdict
    if (len + TRANSPORT_HEADER_LEN + TAG_LEN + PADDING_MULTIPLE > this.slotSize) v = 'wg-packet-too-large'
    else {
      const kp = peer.sendingKeypair(now)
      // Nowhere to send a handshake to (a peer that has never been heard from): the packet is lost.
      if (kp === null && peer.endpoint === null) v = 'wg-no-endpoint'
      else if (kp === null || peer.staged.length > 0) {
        v = this.stage(peer, packet, off, len)
        if (kp === null) this.sendInitiation(now, peer, false)
        else this.flushStaged(now, peer)
      } else v = this.seal(now, peer, kp, packet, off, len)
    }
    if (v !== 'queued' && v !== 'staged') this.drops[v]++
    return v
  }

  /** Starts a handshake with `peer` now (subject to the one-per-REKEY_TIMEOUT rate limit). */
  initiate(now: number, peer: Peer): void {
    this.sendInitiation(now, peer, false)
  }

  /**
   * Re-sends an unanswered initiation of ours to `peer` now, instead of at its retransmission
   * (REKEY_TIMEOUT + jitter after the last one). Returns whether one was sent: false when no
   * handshake of ours is waiting for an answer (none started, completed, or given up after
   * REKEY_ATTEMPT_TIME), when there is no endpoint, or within HANDSHAKE_INITIATION_RATE_MS of the
   * last initiation (the responder would drop it as a flood).
   *
   * For a caller that knows the responder is coming back soon (a peer that announced a restart):
   * the paper fixes how long a responder waits and rate-limits initiations, but an initiator's
   * retry pace is its own choice (§6.4 only bounds it by REKEY_TIMEOUT when nothing is known). The
   * retry is a fresh initiation (new ephemeral key and index); it does not count as one of the
   * MAX_TIMER_HANDSHAKES retransmissions, and the retransmission timer restarts from it.
   */
  retryHandshake(now: number, peer: Peer): boolean {
    if (!peer.timers.pending(T_RETRANSMIT_HANDSHAKE) || peer.endpoint === null) return false
    if (now - peer.lastSentHandshake < HANDSHAKE_INITIATION_RATE_MS) return false
    const before = peer.lastSentHandshake
    peer.lastSentHandshake = Number.NEGATIVE_INFINITY // past the REKEY_TIMEOUT pace of sendInitiation
    this.sendInitiation(now, peer, true)
    if (peer.lastSentHandshake === now) return true
    peer.lastSentHandshake = before // not sent (transmit ring full)
    return false
  }

  /** Runs every timer whose deadline is at or before `now`. Calling early is a no-op. */
  handleTimeout(now: number): void {
    if (now < this.nextDeadline.at) return
    // Expired timers run below and may set new ones (which lower `at` again); then `at` is made exact.
    this.nextDeadline.at = Number.POSITIVE_INFINITY
    for (let i = 0; i < this.peerList.length; i++) {
      const p = this.peerList[i]
      const tt = p.timers
      if (tt.next() > now) continue
      for (let t = 0; t < TIMERS.length; t++) {
        if (tt.deadlines[t] > now) continue
        tt.cancel(t)
        if (t === T_RETRANSMIT_HANDSHAKE) this.expiredRetransmitHandshake(now, p)
        else if (t === T_SEND_KEEPALIVE) {
          this.sendKeepalive(now, p)
          if (tt.needAnotherKeepalive) {
            tt.needAnotherKeepalive = false
            tt.set(T_SEND_KEEPALIVE, now + KEEPALIVE_TIMEOUT_MS)
          }
        } else if (t === T_NEW_HANDSHAKE) this.sendInitiation(now, p, false)
        else if (t === T_ZERO_KEY_MATERIAL) this.zeroKeys(p)
        else if (t === T_PERSISTENT_KEEPALIVE) {
          if (tt.persistentKeepaliveMs > 0) this.sendKeepalive(now, p)
        }
      }
    }
    let m = Number.POSITIVE_INFINITY
    for (let i = 0; i < this.peerList.length; i++) {
      const n = this.peerList[i].timers.next()
      if (n < m) m = n
    }
    this.nextDeadline.at = m
  }

  // ---- (C) output -------------------------------------------------------------------------------

  /** The next datagram to send, or null. Valid until the next `handle*` call. */
  pollTransmit(): Transmit | null {
    if (this.count === 0) return null
    const s = this.slots[this.head]
    this.head = (this.head + 1) % TRANSMIT_QUEUE_SIZE
    this.count--
    return s
  }

  /**
   * The earliest timer deadline, or null when no timer is set. O(1): it may be earlier than the true
   * deadline (a timer was cancelled since), never later; waking early costs one no-op `handleTimeout`.
   */
  pollTimeout(): number | null {
    const at = this.nextDeadline.at
    return at === Number.POSITIVE_INFINITY ? null : at
  }

  /** The next control-plane event, or null. */
  pollEvent(): WireGuardEvent | null {
    return this.events.length === 0 ? null : (this.events.shift() ?? null)
  }

  // ---- receive paths ----------------------------------------------------------------------------

  private onTransport(now: number, from: Endpoint, buf: Uint8Array, len: number): DatagramVerdict {
    if (len < TRANSPORT_MIN_LEN) return 'wg-bad-length'
    const entry = this.indices.get(readU32(buf, DATA.RECEIVER))
    if (entry === undefined || entry.keypair === null) return 'wg-unknown-index'
    const kp = entry.keypair
    const peer = entry.peer
    if (now - kp.created >= REJECT_AFTER_TIME_MS) return 'wg-keypair-expired'
    const counter = readU64(buf, DATA.COUNTER)
    if (!(counter < REJECT_AFTER_MESSAGES)) return 'wg-replayed'
    if (!openInPlace(kp.recvKey, counter, buf, DATA.PAYLOAD, len - DATA.PAYLOAD, null))
      return 'wg-decrypt-failed'
    // Paper §5.4.6: the counter is checked (and recorded) only after the packet authenticated.
    if (!kp.replay.check(counter)) return 'wg-replayed'

    if (kp === peer.next) {
      // Key confirmation: the initiator used the responder's new keypair; promote it.
      if (peer.previous !== null) this.dropKeypair(peer.previous)
      peer.previous = peer.current
      peer.current = kp
      peer.next = null
      peer.timers.onHandshakeComplete()
      this.flushStaged(now, peer)
    }
    peer.setEndpoint(from)
    peer.stats.lastReceived = now
    peer.timers.onAnyAuthenticatedPacketReceived()
    peer.timers.onAnyAuthenticatedPacketTraversal(now)
    this.keepKeyFreshReceiving(now, peer)

    const plen = len - TRANSPORT_MIN_LEN
    if (plen === 0) {
      this.stats.keepalivesReceived++
      return 'consumed'
    }
    peer.timers.onDataReceived(now)
    const p = DATA.PAYLOAD
    const version = buf[p] >> 4
    let ipLen: number
    let srcOff: number
    let srcLen: number
    if (version === 4 && plen >= 20) {
      ipLen = (buf[p + 2] << 8) | buf[p + 3]
      srcOff = p + 12
      srcLen = 4
      if (ipLen < 20) return 'wg-bad-inner-packet'
    } else if (version === 6 && plen >= 40) {
      ipLen = 40 + ((buf[p + 4] << 8) | buf[p + 5])
      srcOff = p + 8
      srcLen = 16
    } else return 'wg-bad-inner-packet'
    if (ipLen > plen) return 'wg-bad-inner-packet'
    if (longestMatch(peer.allowedIps, buf, srcOff, srcLen) < 0) return 'wg-disallowed-source'
    peer.stats.rxPackets++
    peer.stats.rxBytes += ipLen
    this.rx.peer = peer
    this.rx.off = p
    this.rx.len = ipLen
    return 'forward'
  }

  /** Counts a handshake message and says whether the device is under load (paper §5.3). */
  private underLoad(now: number): boolean {
    if (now - this.handshakeWindowStart >= 1000) {
      this.handshakeWindowStart = now
      this.handshakeCount = 0
    }
    if (++this.handshakeCount > this.underLoadThreshold) this.underLoadUntil = now + UNDER_LOAD_AFTER_TIME_MS
    return now < this.underLoadUntil
  }

  /** MAC1 always; MAC2 under load, else a cookie reply is queued. Null when the message may proceed. */
  private checkMacs(
    now: number,
    from: Endpoint,
    buf: Uint8Array,
    len: number,
    sender: number,
  ): DropReason | null {
    if (!this.checker.checkMac1(buf, len)) return 'wg-bad-mac1'
    if (!this.underLoad(now)) return null
    const source = endpointBytes(from.address, from.port)
    // Paper §5.3: the cookie proves the source address; then each address gets a bounded rate.
    if (this.checker.checkMac2(now, buf, len, source))
      return this.limiter.allow(now, from.address) ? null : 'wg-rate-limited'
    const slot = this.acquire(from)
    if (slot !== null) {
      this.checker.createReply(now, buf, len, sender, source, slot.data)
      slot.length = COOKIE_REPLY_LEN
      this.stats.cookieRepliesSent++
    }
    return 'wg-cookie-required'
  }

  private onInitiation(now: number, from: Endpoint, buf: Uint8Array, len: number): DatagramVerdict {
    if (len !== INITIATION_LEN) return 'wg-bad-length'
    const macs = this.checkMacs(now, from, buf, len, readU32(buf, INIT.SENDER))
    if (macs !== null) return macs
    const peer = consumeInitiation(this.identity, buf, now, (k) => this.byKey.get(hex(k)) ?? null)
    if (typeof peer === 'string') return peer
    peer.setEndpoint(from)
    peer.stats.lastReceived = now
    const hs = peer.handshake
    // A fresh responder handshake supersedes an initiation of ours in flight.
    this.indices.delete(hs.localIndex)
    const slot = this.acquire(peer.endpoint!)
    if (slot === null) {
      hs.zero()
      return 'wg-transmit-queue-full'
    }
    const entry: IndexEntry<Peer> = { peer, keypair: null }
    const localIndex = this.indices.add(entry)
    if (!createResponse(hs, localIndex, this.random, slot.data)) {
      this.indices.delete(localIndex)
      this.unacquire()
      hs.zero()
      return 'wg-handshake-decrypt-failed'
    }
    peer.cookies.addMacs(now, slot.data, RESPONSE_LEN)
    slot.length = RESPONSE_LEN
    const remoteIndex = hs.remoteIndex
    const kp = new Keypair(peer, now, false, localIndex, remoteIndex)
    deriveTransportKeys(hs, kp.sendKey, kp.recvKey)
    this.indices.replace(localIndex, { peer, keypair: kp })
    // As wireguard-go: the new keypair waits in `next`; a previous `next` and `previous` are dropped
    // (on confirmation `current` moves to `previous`, so the old one would go then anyway).
    if (peer.next !== null) this.dropKeypair(peer.next)
    if (peer.previous !== null) this.dropKeypair(peer.previous)
    peer.previous = null
    peer.next = kp
    peer.stats.handshakes++
    peer.stats.lastHandshake = now
    peer.timers.onAnyAuthenticatedPacketReceived()
    peer.timers.onSessionDerived(now)
    peer.timers.onAnyAuthenticatedPacketTraversal(now)
    peer.timers.onAnyAuthenticatedPacketSent()
    this.events.push({ type: 'handshake-complete', peer, initiator: false })
    return 'consumed'
  }

  private onResponse(now: number, from: Endpoint, buf: Uint8Array, len: number): DatagramVerdict {
    if (len !== RESPONSE_LEN) return 'wg-bad-length'
    const macs = this.checkMacs(now, from, buf, len, readU32(buf, RESP.SENDER))
    if (macs !== null) return macs
    const localIndex = readU32(buf, RESP.RECEIVER)
    const entry = this.indices.get(localIndex)
    if (entry === undefined) return 'wg-unknown-index'
    if (entry.keypair !== null) return 'wg-unexpected-response'
    const peer = entry.peer
    const hs = peer.handshake
    if (hs.state !== HandshakeState.InitiationCreated || hs.localIndex !== localIndex)
      return 'wg-unexpected-response'
    const r = consumeResponse(hs, this.identity, buf)
    if (r !== null) return r
    const kp = new Keypair(peer, now, true, localIndex, hs.remoteIndex)
    deriveTransportKeys(hs, kp.sendKey, kp.recvKey)
    this.indices.replace(localIndex, { peer, keypair: kp })
    // Initiator: the new keypair is confirmed (we hold the response), so it becomes current at once.
    if (peer.next !== null) {
      // We had also answered an initiation of theirs: that unconfirmed keypair becomes `previous`
      // (it may still carry their data), and the old current and previous go.
      if (peer.previous !== null) this.dropKeypair(peer.previous)
      if (peer.current !== null) this.dropKeypair(peer.current)
      peer.previous = peer.next
      peer.next = null
    } else {
      if (peer.previous !== null) this.dropKeypair(peer.previous)
      peer.previous = peer.current
    }
    peer.current = kp
    peer.setEndpoint(from)
    peer.stats.lastReceived = now
    peer.stats.handshakes++
    peer.stats.lastHandshake = now
    peer.timers.onSessionDerived(now)
    peer.timers.onHandshakeComplete()
    peer.timers.onAnyAuthenticatedPacketReceived()
    peer.timers.onAnyAuthenticatedPacketTraversal(now)
    this.events.push({ type: 'handshake-complete', peer, initiator: true })
    // wireguard-go: confirm the session at once, with staged data or else a keepalive.
    this.sendKeepalive(now, peer)
    return 'consumed'
  }

  private onCookieReply(now: number, buf: Uint8Array, len: number): DatagramVerdict {
    if (len !== COOKIE_REPLY_LEN) return 'wg-bad-length'
    const entry = this.indices.get(readU32(buf, 4))
    if (entry === undefined) return 'wg-unknown-index'
    if (!entry.peer.cookies.consumeReply(now, buf)) return 'wg-bad-cookie-reply'
    return 'consumed'
  }

  // ---- send paths -------------------------------------------------------------------------------

  private seal(
    now: number,
    peer: Peer,
    kp: Keypair<Peer>,
    packet: Uint8Array,
    off: number,
    len: number,
  ): PacketVerdict {
    if (peer.endpoint === null) return 'wg-no-endpoint'
    const slot = this.acquire(peer.endpoint)
    if (slot === null) return 'wg-transmit-queue-full'
    const d = slot.data
    const counter = kp.sendCounter++
    writeType(d, MESSAGE_TRANSPORT)
    writeU32(d, DATA.RECEIVER, kp.remoteIndex)
    writeU64(d, DATA.COUNTER, counter)
    // Paper §5.4.6: pad the plaintext with zeros to a multiple of 16.
    const padded = (len + PADDING_MULTIPLE - 1) & ~(PADDING_MULTIPLE - 1)
    copyBytes(packet, off, d, DATA.PAYLOAD, len)
    d.fill(0, DATA.PAYLOAD + len, DATA.PAYLOAD + padded)
    sealInPlace(kp.sendKey, counter, d, DATA.PAYLOAD, padded, null)
    slot.length = DATA.PAYLOAD + padded + TAG_LEN
    const tt = peer.timers
    tt.onAnyAuthenticatedPacketTraversal(now)
    tt.onAnyAuthenticatedPacketSent()
    if (len > 0) {
      tt.onDataSent(now)
      peer.stats.txPackets++
      peer.stats.txBytes += len
    } else this.stats.keepalivesSent++
    // keepKeyFreshSending (paper §6.2): either side rekeys after REKEY_AFTER_MESSAGES; only the
    // initiator after REKEY_AFTER_TIME, so the two sides do not both start one.
    if (counter > REKEY_AFTER_MESSAGES || (kp.isInitiator && now - kp.created > REKEY_AFTER_TIME_MS))
      this.sendInitiation(now, peer, false)
    return 'queued'
  }

  private keepKeyFreshReceiving(now: number, peer: Peer): void {
    const kp = peer.current
    if (kp === null || !kp.isInitiator || peer.timers.sentLastMinuteHandshake) return
    if (now - kp.created > REJECT_AFTER_TIME_MS - KEEPALIVE_TIMEOUT_MS - REKEY_TIMEOUT_MS) {
      peer.timers.sentLastMinuteHandshake = true
      this.sendInitiation(now, peer, false)
    }
  }

  private stage(peer: Peer, packet: Uint8Array, off: number, len: number): PacketVerdict {
    if (peer.staged.length >= MAX_STAGED_PACKETS) {
      peer.staged.shift()
      this.drops['wg-staged-overflow']++
    }
    peer.staged.push(packet.slice(off, off + len))
    return 'staged'
  }

  private flushStaged(now: number, peer: Peer): void {
    while (peer.staged.length > 0) {
      const kp = peer.sendingKeypair(now)
      if (kp === null) {
        this.sendInitiation(now, peer, false)
        return
      }
      const p = peer.staged.shift()!
      const v = this.seal(now, peer, kp, p, 0, p.length)
      if (v !== 'queued' && v !== 'staged') this.drops[v]++
    }
  }

  /** wireguard-go SendKeepalive: an empty transport message unless data is staged, then flush. */
  private sendKeepalive(now: number, peer: Peer): void {
    if (peer.staged.length === 0) peer.staged.push(EMPTY)
    this.flushStaged(now, peer)
  }

  private sendInitiation(now: number, peer: Peer, isRetry: boolean): void {
    if (!isRetry) peer.timers.handshakeAttempts = 0
    if (now - peer.lastSentHandshake < REKEY_TIMEOUT_MS) return
    // No endpoint: nothing to send to. Not a packet drop; `handlePacket` counts the packets it loses.
    if (peer.endpoint === null) return
    const slot = this.acquire(peer.endpoint)
    if (slot === null) {
      this.drops['wg-transmit-queue-full']++
      return
    }
    const hs = peer.handshake
    this.indices.delete(hs.localIndex)
    hs.zero()
    const localIndex = this.indices.add({ peer, keypair: null })
    if (!createInitiation(hs, this.identity, localIndex, this.unixMs(), this.random, slot.data)) {
      this.indices.delete(localIndex)
      this.unacquire()
      return
    }
    peer.cookies.addMacs(now, slot.data, INITIATION_LEN)
    slot.length = INITIATION_LEN
    peer.lastSentHandshake = now
    this.stats.handshakesInitiated++
    peer.timers.onAnyAuthenticatedPacketTraversal(now)
    peer.timers.onAnyAuthenticatedPacketSent()
    peer.timers.onHandshakeInitiated(now)
  }

  private expiredRetransmitHandshake(now: number, peer: Peer): void {
    const tt = peer.timers
    if (tt.handshakeAttempts > MAX_TIMER_HANDSHAKES) {
      // Paper §6.4: give up after REKEY_ATTEMPT_TIME; drop what waited for this handshake.
      tt.cancel(T_SEND_KEEPALIVE)
      for (const p of peer.staged) if (p.length > 0) this.drops['wg-handshake-timeout']++
      peer.staged.length = 0
      if (!tt.pending(T_ZERO_KEY_MATERIAL)) tt.set(T_ZERO_KEY_MATERIAL, now + ZERO_KEY_MATERIAL_AFTER_MS)
      this.events.push({ type: 'handshake-failed', peer })
      return
    }
    tt.handshakeAttempts++
    this.sendInitiation(now, peer, true)
  }

  private zeroKeys(peer: Peer): void {
    for (const p of peer.staged) if (p.length > 0) this.drops['wg-handshake-timeout']++
    peer.staged.length = 0
    if (peer.previous !== null) this.dropKeypair(peer.previous)
    if (peer.current !== null) this.dropKeypair(peer.current)
    if (peer.next !== null) this.dropKeypair(peer.next)
    peer.previous = peer.current = peer.next = null
    this.indices.delete(peer.handshake.localIndex)
    peer.handshake.zero()
    this.events.push({ type: 'keys-zeroed', peer })
  }

  private dropKeypair(kp: Keypair<Peer>): void {
    kp.zero()
    const e = this.indices.get(kp.localIndex)
    if (e !== undefined && e.keypair === kp) this.indices.delete(kp.localIndex)
  }

  // ---- transmit ring ----------------------------------------------------------------------------

  private acquire(to: Endpoint): Slot | null {
    if (this.count === TRANSMIT_QUEUE_SIZE) return null
    const s = this.slots[(this.head + this.count) % TRANSMIT_QUEUE_SIZE]
    this.count++
    s.to.address = to.address
    s.to.port = to.port
    s.length = 0
    return s
  }

  private unacquire(): void {
    this.count--
  }
}

const EMPTY = new Uint8Array(0)

function hex(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16)
  return s
}
