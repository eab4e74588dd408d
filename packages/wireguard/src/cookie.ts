/**
 * MAC1, MAC2 and cookie replies (paper §5.4.4 and §5.4.7): the defence against handshake floods.
 *
 * - MAC1 = MAC(HASH(LABEL_MAC1 ‖ S_r.pub), msg[0..mac1)) is always present; a responder drops any
 *   handshake message without a valid MAC1 before doing any DH.
 * - Under load the responder also demands MAC2 = MAC(τ, msg[0..mac2)), where the cookie
 *   τ = MAC(R_m, source IP ‖ source port) and R_m is a secret changed every two minutes. A message
 *   without a valid MAC2 is answered with a cookie reply carrying τ, encrypted with
 *   XChaCha20-Poly1305 under HASH(LABEL_COOKIE ‖ S_r.pub), the initiator's MAC1 as associated data.
 * - The initiator stores τ for COOKIE_REFRESH_TIME and adds MAC2 to its next handshake messages.
 */
import { COOKIE_REFRESH_TIME_MS } from './constants.ts'
import { equalBytes, hash, mac, TAG_LEN, xopenInPlace, xsealInPlace } from './crypto.ts'
import { COOKIE, COOKIE_REPLY_LEN, MESSAGE_COOKIE_REPLY, writeType, writeU32 } from './messages.ts'

const te = new TextEncoder()
/** Label mixed into the MAC1 key (paper §5.4.4). */
export const LABEL_MAC1 = te.encode('mac1----')
/** Label mixed into the cookie encryption key (paper §5.4.7). */
export const LABEL_COOKIE = te.encode('cookie--')

const MAC_LEN = 16
const NONCE_LEN = 24

/** Responder side: checks MAC1/MAC2 of messages to us and writes cookie replies. */
export class CookieChecker {
  private readonly mac1Key: Uint8Array
  private readonly cookieKey: Uint8Array
  private readonly secret = new Uint8Array(32)
  private secretSetAt = Number.NEGATIVE_INFINITY
  private readonly nonce = new Uint8Array(NONCE_LEN)

  constructor(
    ourPublicKey: Uint8Array,
    private readonly random: (b: Uint8Array) => void,
  ) {
    this.mac1Key = hash(LABEL_MAC1, ourPublicKey)
    this.cookieKey = hash(LABEL_COOKIE, ourPublicKey)
  }

  /** True when the MAC1 of the `len`-byte handshake message verifies (MAC1 sits 32 bytes before the end). */
  checkMac1(msg: Uint8Array, len: number): boolean {
    const m = mac(this.mac1Key, msg, len - 2 * MAC_LEN)
    return equalBytes(m, 0, msg, len - 2 * MAC_LEN, MAC_LEN)
  }

  /** True when MAC2 verifies for a message from `source` (IP bytes ‖ port, see `endpointBytes`). */
  checkMac2(now: number, msg: Uint8Array, len: number, source: Uint8Array): boolean {
    const cookie = this.cookie(now, source)
    const m = mac(cookie, msg, len - MAC_LEN)
    return equalBytes(m, 0, msg, len - MAC_LEN, MAC_LEN)
  }

  /** Writes into `out` the 64-byte cookie reply to message `msg` (its sender index `senderIndex`). */
  createReply(
    now: number,
    msg: Uint8Array,
    len: number,
    senderIndex: number,
    source: Uint8Array,
    out: Uint8Array,
  ): void {
    const cookie = this.cookie(now, source)
    writeType(out, MESSAGE_COOKIE_REPLY)
    writeU32(out, COOKIE.RECEIVER, senderIndex)
    this.random(this.nonce)
    out.set(this.nonce, COOKIE.NONCE)
    out.set(cookie, COOKIE.COOKIE)
    const mac1 = msg.slice(len - 2 * MAC_LEN, len - MAC_LEN)
    xsealInPlace(this.cookieKey, this.nonce, out, COOKIE.COOKIE, MAC_LEN, mac1)
  }

  private cookie(now: number, source: Uint8Array): Uint8Array {
    if (now - this.secretSetAt >= COOKIE_REFRESH_TIME_MS) {
      this.random(this.secret)
      this.secretSetAt = now
    }
    return mac(this.secret, source, source.length)
  }
}

/** Initiator side, one per peer: adds MAC1/MAC2 to our handshake messages and takes cookie replies. */
export class CookieGenerator {
  private readonly mac1Key: Uint8Array
  private readonly cookieKey: Uint8Array
  private readonly cookie = new Uint8Array(MAC_LEN)
  private cookieSetAt = Number.NEGATIVE_INFINITY
  private readonly lastMac1 = new Uint8Array(MAC_LEN)
  private hasLastMac1 = false

  constructor(peerPublicKey: Uint8Array) {
    this.mac1Key = hash(LABEL_MAC1, peerPublicKey)
    this.cookieKey = hash(LABEL_COOKIE, peerPublicKey)
  }

  /** Fills MAC1 and MAC2 (zeros unless a fresh cookie is held) of the `len`-byte message in `msg`. */
  addMacs(now: number, msg: Uint8Array, len: number): void {
    const m1 = mac(this.mac1Key, msg, len - 2 * MAC_LEN)
    msg.set(m1, len - 2 * MAC_LEN)
    this.lastMac1.set(m1)
    this.hasLastMac1 = true
    if (now - this.cookieSetAt < COOKIE_REFRESH_TIME_MS)
      msg.set(mac(this.cookie, msg, len - MAC_LEN), len - MAC_LEN)
    else msg.fill(0, len - MAC_LEN, len)
  }

  /** Takes a 64-byte cookie reply to our last message. False when it does not decrypt. */
  consumeReply(now: number, msg: Uint8Array): boolean {
    if (!this.hasLastMac1) return false
    const nonce = msg.slice(COOKIE.NONCE, COOKIE.NONCE + NONCE_LEN)
    const box = msg.slice(COOKIE.COOKIE, COOKIE.COOKIE + MAC_LEN + TAG_LEN)
    if (!xopenInPlace(this.cookieKey, nonce, box, 0, box.length, this.lastMac1)) return false
    this.cookie.set(box.subarray(0, MAC_LEN))
    this.cookieSetAt = now
    this.hasLastMac1 = false
    return true
  }
}

/** Cookie source bytes for an endpoint: the IP address (4 or 16 bytes) then the port, big-endian. */
export function endpointBytes(address: string, port: number): Uint8Array {
  const ip = parseIp(address)
  const out = new Uint8Array(ip.length + 2)
  out.set(ip)
  out[ip.length] = port >>> 8
  out[ip.length + 1] = port & 0xff
  return out
}

/** Parses a textual IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4). Unparseable text gives its UTF-8 bytes. */
export function parseIp(address: string): Uint8Array {
  const a = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
  if (!a.includes(':')) {
    const parts = a.split('.')
    if (parts.length === 4) return Uint8Array.from(parts, (p) => Number(p) & 0xff)
    return te.encode(a)
  }
  const pct = a.indexOf('%')
  const s = pct >= 0 ? a.slice(0, pct) : a
  const out = new Uint8Array(16)
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const words: number[] = []
  const push = (part: string) => {
    if (part.includes('.')) {
      const v4 = parseIp(part)
      words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3])
    } else words.push(Number.parseInt(part, 16) || 0)
  }
  for (const p of h) push(p)
  const headWords = words.length
  const tw: number[] = []
  for (const p of t) {
    const before = words.length
    push(p)
    tw.push(...words.splice(before))
  }
  for (let i = 0; i < headWords && i < 8; i++) {
    out[2 * i] = words[i] >>> 8
    out[2 * i + 1] = words[i] & 0xff
  }
  for (let i = 0; i < tw.length && i < 8; i++) {
    const w = 8 - tw.length + i
    out[2 * w] = tw[i] >>> 8
    out[2 * w + 1] = tw[i] & 0xff
  }
  return out
}

export { COOKIE_REPLY_LEN }
