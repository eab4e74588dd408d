/**
 * WireGuard wire formats (paper §5.4.2–§5.4.7). Every message starts with a 32-bit little-endian
 * type whose top three bytes are the "reserved" zeros, so a datagram is classified by one u32 read,
 * as wireguard-go does. Multi-byte integers (indices, counters) are little-endian.
 *
 * ```
 * initiation (148 B)      response (92 B)        cookie reply (64 B)    transport (16 B + data)
 *  0 type=1 + 3 zero       0 type=2 + 3 zero      0 type=3 + 3 zero      0 type=4 + 3 zero
 *  4 sender index          4 sender index         4 receiver index       4 receiver index
 *  8 ephemeral (32)        8 receiver index       8 nonce (24)           8 counter (u64)
 * 40 static (32+16)       12 ephemeral (32)      32 cookie (16+16)     16 encrypted packet
 * 88 timestamp (12+16)    44 empty (0+16)
 *116 mac1 (16)            60 mac1 (16)
 *132 mac2 (16)            76 mac2 (16)
 * ```
 */

export const MESSAGE_INITIATION = 1
export const MESSAGE_RESPONSE = 2
export const MESSAGE_COOKIE_REPLY = 3
export const MESSAGE_TRANSPORT = 4

export const INITIATION_LEN = 148
export const RESPONSE_LEN = 92
export const COOKIE_REPLY_LEN = 64
export const TRANSPORT_HEADER_LEN = 16
/** Smallest transport message: header and the tag of an empty (keepalive) payload. */
export const TRANSPORT_MIN_LEN = TRANSPORT_HEADER_LEN + 16

/** Byte offsets of each message's fields. */
export const INIT = {
  SENDER: 4,
  EPHEMERAL: 8,
  STATIC: 40,
  STATIC_LEN: 48,
  TIMESTAMP: 88,
  TIMESTAMP_LEN: 28,
  MAC1: 116,
  MAC2: 132,
} as const

export const RESP = {
  SENDER: 4,
  RECEIVER: 8,
  EPHEMERAL: 12,
  EMPTY: 44,
  MAC1: 60,
  MAC2: 76,
} as const

export const COOKIE = {
  RECEIVER: 4,
  NONCE: 8,
  COOKIE: 32,
  COOKIE_LEN: 32,
} as const

export const DATA = {
  RECEIVER: 4,
  COUNTER: 8,
  PAYLOAD: 16,
} as const

/** The message type of a datagram, or 0 when it is too short to have one or the reserved bytes are set. */
export function messageType(b: Uint8Array, len: number): number {
  if (len < 4 || b[1] !== 0 || b[2] !== 0 || b[3] !== 0) return 0
  return b[0]
}

/** Reads a little-endian u32 at `off` (caller checked the length). */
export function readU32(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0
}

/** Writes a little-endian u32 at `off`. */
export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff
  b[off + 1] = (v >>> 8) & 0xff
  b[off + 2] = (v >>> 16) & 0xff
  b[off + 3] = (v >>> 24) & 0xff
}

/**
 * Reads the u64 little-endian counter at `off` as a number. Exact below 2^53; larger values come
 * back ≥ 2^53 and are rejected by the caller against REJECT_AFTER_MESSAGES.
 */
export function readU64(b: Uint8Array, off: number): number {
  return readU32(b, off) + readU32(b, off + 4) * 0x1_0000_0000
}

/** Writes `v` (an integer below 2^53) as a u64 little-endian at `off`. */
export function writeU64(b: Uint8Array, off: number, v: number): void {
  writeU32(b, off, v >>> 0)
  writeU32(b, off + 4, Math.floor(v / 0x1_0000_0000))
}

/** Writes a message type word (type then three reserved zero bytes). */
export function writeType(b: Uint8Array, type: number): void {
  b[0] = type
  b[1] = 0
  b[2] = 0
  b[3] = 0
}
