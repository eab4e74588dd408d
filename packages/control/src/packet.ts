import { buildIpv6 } from '@gatehouse/ip-packet'
import { type ControlDropReason, type ControlMessage, decodeControl, encodeControl } from './messages.ts'

/**
 * The carrier of control messages inside the tunnel, after Firezone's p2p control protocol
 * (`fz_p2p_control.rs`): an IPv6 packet whose source and destination are both the unspecified
 * address `::` and whose next header is 253, carrying the control payload (messages.ts) after
 * the 40-byte header.
 *
 * Why these values: no real packet has `::` as its destination (RFC 4291 §2.5.2: "must never be
 * used as the destination address of IPv6 packets"), and 253 is reserved for experimentation
 * (RFC 3692, RFC 4727 §2), so a control packet can never be mistaken for traffic and traffic can
 * never be mistaken for a control packet. (Firezone uses 255; 253 is the value RFC 4727 sets
 * aside for exactly this kind of private use.) Neither side ever writes these packets to its TUN
 * device: the apps build them and hand them to their WireGuard device directly.
 */

/** The source and destination of every control packet: `::` (16 zero bytes). */
export const CONTROL_ADDRESS: Readonly<Uint8Array> = new Uint8Array(16)
/** The IPv6 next header of control packets (RFC 3692 / RFC 4727 §2 experimental value). */
export const CONTROL_NEXT_HEADER = 253
/** Bytes before the control payload: the fixed IPv6 header. */
export const CONTROL_PACKET_HEADER_LEN = 40
/** Hop limit written into control packets; they cross one hop (the tunnel) and are never routed. */
const CONTROL_HOP_LIMIT = 64

/** Builds the IPv6 carrier around `encodeControl(message)` (allocates; control messages are rare). */
export function buildControlPacket(message: ControlMessage): Uint8Array {
  return buildIpv6({
    src: CONTROL_ADDRESS as Uint8Array,
    dst: CONTROL_ADDRESS as Uint8Array,
    hopLimit: CONTROL_HOP_LIMIT,
    protocol: CONTROL_NEXT_HEADER,
    payload: encodeControl(message),
  })
}

/**
 * True when `buf[off..off+len)` is a control packet: IPv6, next header 253 directly after the fixed
 * header, source and destination `::`, payload length within the buffer. Reads at most 40 bytes,
 * allocates nothing, never throws: it is called on every packet a peer sends.
 */
export function isControlPacket(buf: Uint8Array, off: number, len: number): boolean {
  if (off < 0 || len < CONTROL_PACKET_HEADER_LEN || off + len > buf.length) return false
  if (buf[off] >> 4 !== 6 || buf[off + 6] !== CONTROL_NEXT_HEADER) return false
  if (CONTROL_PACKET_HEADER_LEN + ((buf[off + 4] << 8) | buf[off + 5]) > len) return false
  // Source (8..24) and destination (24..40) are both the unspecified address.
  for (let i = off + 8; i < off + 40; i++) if (buf[i] !== 0) return false
  return true
}

/** Decodes the message a control packet carries (check `isControlPacket` first); never throws. */
export function decodeControlPacket(
  buf: Uint8Array,
  off: number,
  len: number,
): ControlMessage | ControlDropReason {
  const payloadLen = (buf[off + 4] << 8) | buf[off + 5]
  return decodeControl(
    buf,
    off + CONTROL_PACKET_HEADER_LEN,
    Math.min(payloadLen, len - CONTROL_PACKET_HEADER_LEN),
  )
}
