/**
 * The quote's checksum contribution without a pass over the quote.
 *
 * An error's checksum covers the quoted bytes, so the plain way is to add up all of them while copying
 * (ip-packet's `copyAndSum`, ~170 ns for the 1232 bytes of a full IPv6 quote). But when the offending
 * packet is whole and its transport checksum covers its whole segment, that checksum already says what the
 * segment adds up to:
 *
 * - RFC 1071 §1, RFC 9293 §3.1, RFC 768, RFC 8200 §8.1, RFC 4443 §2.3: a receiver verifies a segment by adding
 *   the pseudo-header and the whole segment (checksum field included) and checking for all ones, so for a
 *   valid segment Σ(pseudo-header) + Σ(segment) ≡ 0 (mod 0xffff, ones' complement arithmetic). ICMPv4
 *   (RFC 792) has no pseudo-header: Σ(message) ≡ 0.
 * - Hence Σ(segment) ≡ −Σ(pseudo-header), where −x is ~x (RFC 1624 §3).
 * - The quote is the datagram's first `quote` bytes: Σ(quote) ≡ Σ(IP header) + Σ(segment) − Σ(tail), the tail
 *   being the datagram's bytes after the quote (RFC 1071 §2(A): the sum may be split and regrouped at any
 *   even boundary). The header is 20 bytes (no options) or 40 (+ a Hop-by-Hop header), both even.
 * - The pseudo-header's addresses are the header's own (no Routing header, no source route), so they cancel
 *   against the header's: Σ(quote) ≡ Σ(header without addresses) − protocol − length − Σ(tail). ICMPv4 keeps
 *   the whole header (there is nothing to cancel).
 *
 * Cost: the header (8-12 bytes) and the tail instead of the quote, plus a native copy (~17 ns for 1232
 * bytes). The tail is whatever the 576/1280-byte limit cut off; it is used only while at most half the
 * quote's length, past which copying and adding the quote costs less (README, "Benchmarks").
 *
 * What it trusts: the offending packet's transport checksum. Verifying it would be the pass over the
 * segment this avoids, so it is not verified. If that checksum is wrong, the derived sum is wrong by the
 * same amount and the error's checksum does not verify: the source's kernel discards the error (Linux
 * counts it in `Icmp*InCsumErrors`; test/kernel.test.ts shows it). The destination would have discarded the
 * offending packet itself (RFC 1122 §4.1.3.4 UDP, §4.2.2.7 TCP), so the sender sees what it sees for any
 * lost packet and learns of the error from its retransmission, which carries a good checksum. Where such
 * packets come from: the client's packets reach the gateway through WireGuard, whose AEAD (ChaCha20-Poly1305)
 * rejects any change in transit, so a bad checksum was made by the sending stack itself; a Linux TUN without
 * IFF_VNET_HDR (packages/tun sets none) hands user space complete checksums, the kernel finishing any
 * offloaded one before the packet reaches the device, so partial (CHECKSUM_PARTIAL) sums never reach us.
 *
 * Falls back (returns -1, the caller sums the quote) whenever a condition fails: see `peekV4`/`peekV6` for
 * fragments, cut datagrams, IPv4 options and IPv6 extension headers; here, protocols other than TCP, UDP
 * and the family's ICMP, a UDP checksum of 0 (none, RFC 768; not allowed over IPv6, RFC 8200 §8.1, but seen),
 * a UDP length that is not the segment's (its checksum then covers another span), a segment too short to
 * hold its checksum field, or a tail longer than half the quote. An odd quote length needs no fallback.
 */

import { fold, get16, sum } from '@gatehouse/ip-packet'
import { IPV6_HEADER_LEN, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from './constants.ts'
import type { Offending } from './peek.ts'

/** TCP header without options (RFC 9293 §3.1): the checksum field is at 16-17. */
const TCP_MIN = 20
/** UDP header (RFC 768), ICMP header (RFC 792, RFC 4443 §2.1). */
const UDP_ICMP_MIN = 8

/**
 * Σ of the first `quote` bytes of the datagram at `pkt[off..]`, unfolded, as `copyAndSum` would return it
 * after `fold`, derived from the transport checksum; or -1 when it cannot be derived (the caller then
 * sums the quote). `o` is what `peekV4`/`peekV6` found for that datagram; `v6` says which.
 */
export function derivedQuoteSum(
  pkt: Uint8Array,
  off: number,
  quote: number,
  o: Offending,
  v6: boolean,
): number {
  const l4 = o.l4Off
  if (l4 < 0) return -1
  const end = off + o.datagramLen
  // The bytes from the last even position inside the quote: for an odd quote its last byte is the high
  // half of a pair that the segment's sum counts whole, so the pair goes to the tail and the byte comes back.
  const tailStart = off + (quote & ~1)
  if (end - tailStart > quote >> 1) return -1
  const segLen = end - l4
  const proto = o.l4Proto
  // Σ(header without addresses) and Σ(pseudo-header without addresses).
  let header: number
  let pseudo = proto + segLen
  if (proto === PROTO_TCP) {
    if (segLen < TCP_MIN) return -1
  } else if (proto === PROTO_UDP) {
    if (segLen < UDP_ICMP_MIN || get16(pkt, l4 + 4) !== segLen || get16(pkt, l4 + 6) === 0) return -1
  } else if (v6 ? proto === PROTO_ICMPV6 : proto === PROTO_ICMP) {
    if (segLen < UDP_ICMP_MIN) return -1
  } else {
    return -1
  }
  if (v6) {
    // Bytes 0-7 (version … hop limit) and a Hop-by-Hop header if any; 8-39 are the addresses.
    header = sum(pkt, off, 8, 0)
    if (l4 > off + IPV6_HEADER_LEN)
      header = sum(pkt, off + IPV6_HEADER_LEN, l4 - off - IPV6_HEADER_LEN, header)
  } else if (proto === PROTO_ICMP) {
    header = sum(pkt, off, 20, 0)
    pseudo = 0
  } else {
    // Bytes 0-11 (version … header checksum); 12-19 are the addresses.
    header = sum(pkt, off, 12, 0)
  }
  const tail = sum(pkt, tailStart, end - tailStart, 0)
  const odd = (quote & 1) === 0 ? 0 : pkt[off + quote - 1] << 8
  // ≡ header − pseudo − tail (+ the odd byte): −x is 0xffff − fold(x), and fold(x) ≤ 0xffff.
  return header + odd + (0xffff - fold(pseudo + tail))
}
