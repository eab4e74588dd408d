/**
 * Incoming ICMP errors: recognize one, expose what routing it back needs, and
 * rewrite it through the NAT's reverse mapping.
 *
 * An error from the resource side quotes the packet that failed. The gateway
 * routes the error by that quote (its 5-tuple is the NAT entry's outside
 * tuple), then rewrites the quoted source/destination and ports back to what
 * the client sent, and the outer addresses to the client. Only the IP header
 * and 8 bytes of the quoted transport header are required (RFC 792): the ports
 * or ICMP echo identifier are in those 8 bytes, so a truncated TCP quote is
 * routed like any other.
 *
 * The parsing itself is @gatehouse/ip-packet's `IpPacket` (outer packet) and
 * `QuotedPacket` (the quote); its setters keep every checksum right
 * incrementally (RFC 1624 eq. 3): the outer IPv4 header's, the outer ICMP
 * checksum (ICMPv6: with the pseudo-header, so outer address changes count
 * too), the quoted IPv4 header's, and the quoted transport checksum when it
 * was quoted (UDP's always is, TCP's needs 18 bytes). Incremental updates are
 * exact for a whole quote and the only option for a truncated one.
 *
 * Not here: turning an ICMPv4 error into an ICMPv6 one or back (RFC 7915
 * §4.2/§5.2). That is packages/nat64's translate(); when the flow crossed
 * families the gateway translates the error there, then rewrites it here in
 * the proxy's family.
 */

import { get32, IpPacket, type QuotedPacket } from '@gatehouse/ip-packet'
import {
  ICMPV4_DEST_UNREACHABLE,
  ICMPV4_FRAGMENTATION_NEEDED,
  ICMPV4_PARAMETER_PROBLEM,
  ICMPV4_TIME_EXCEEDED,
  ICMPV6_DEST_UNREACHABLE,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PARAMETER_PROBLEM,
  ICMPV6_TIME_EXCEEDED,
  PROTO_TCP,
  PROTO_UDP,
} from './constants.ts'
import type { IcmpReason } from './reasons.ts'

/** What an incoming error says, whatever the family. IPv4 3/4 Fragmentation Needed is 'packet-too-big'. */
export type IcmpErrorKind =
  | 'destination-unreachable'
  | 'packet-too-big'
  | 'time-exceeded'
  | 'parameter-problem'

/**
 * A reusable view over an incoming ICMP error. Keep one per direction and
 * call `reset()` per packet; after it returns null every field is valid and
 * the setters may be used, until the next `reset()`.
 */
export class IcmpErrorView {
  /** The whole packet (outer IP header, ICMP header, quote). */
  readonly pkt = new IpPacket()
  /** 4 or 6 (outer and quoted family are the same; a mismatch is refused). */
  version = 0
  kind: IcmpErrorKind = 'destination-unreachable'
  type = 0
  code = 0
  /** Next-hop MTU (IPv4 3/4, RFC 1191 §4) or MTU (IPv6 Packet Too Big, RFC 4443 §3.2); else -1. */
  mtu = -1
  /** Parameter Problem pointer (RFC 792 byte 4, RFC 4443 §3.4 bytes 4-7); else -1. */
  pointer = -1

  /** The quoted packet: `version protocol src4 dst4 srcAddrOff dstAddrOff srcPort dstPort l4Off l4Len isEcho`. */
  get quote(): QuotedPacket {
    return this.pkt.quote
  }

  /**
   * Parse `buf[off..off+len)` as an ICMPv4/ICMPv6 error. Null when it is one
   * this package routes (Destination Unreachable, Packet Too Big /
   * Fragmentation Needed, Time Exceeded, Parameter Problem) with a quote
   * holding an IP header and 8 transport bytes; else the reason. Checksums are
   * not verified (see `verifyChecksums`): an incremental rewrite keeps a wrong
   * checksum wrong, so the receiver still drops a corrupted error.
   */
  reset(buf: Uint8Array, off: number, len: number): IcmpReason | null {
    const p = this.pkt
    this.version = 0
    this.mtu = -1
    this.pointer = -1
    const r = p.reset(buf, off, len)
    if (r !== null) {
      // The outer packet parsed (an ICMP error) but its quote did not.
      if (p.isIcmpError) {
        if (r === 'icmp-quote-truncated') return 'icmp-quote-truncated'
        if (r === 'icmp-quote-bad-version') return 'icmp-quote-family-mismatch'
        if (r === 'icmp-quote-fragment') return 'icmp-quote-fragment'
        return 'icmp-quote-malformed'
      }
      if (r === 'ipv4-fragment' || r === 'ipv6-fragment') return 'icmp-outer-fragment'
      if (r === 'icmpv4-truncated' || r === 'icmpv6-truncated') return 'icmp-truncated'
      return 'icmp-malformed'
    }
    const v = p.version
    if (p.icmpType < 0) return 'icmp-not-icmp'
    // A first fragment of an error: the quote is cut where the fragment ends; refuse rather than route half.
    if (p.isFragment) return 'icmp-outer-fragment'
    if (!p.isIcmpError) return 'icmp-not-error'
    const t = p.icmpType
    const code = p.icmpCode
    const b = buf
    const m = p.l4Off
    if (v === 4) {
      if (t === ICMPV4_DEST_UNREACHABLE) {
        if (code === ICMPV4_FRAGMENTATION_NEEDED) {
          this.kind = 'packet-too-big'
          this.mtu = (b[m + 6] << 8) | b[m + 7]
        } else this.kind = 'destination-unreachable'
      } else if (t === ICMPV4_TIME_EXCEEDED) this.kind = 'time-exceeded'
      else if (t === ICMPV4_PARAMETER_PROBLEM) {
        this.kind = 'parameter-problem'
        this.pointer = b[m + 4]
      } else return 'icmp-unsupported-type' // Source Quench (RFC 6633), Redirect: not routed
    } else {
      if (t === ICMPV6_DEST_UNREACHABLE) this.kind = 'destination-unreachable'
      else if (t === ICMPV6_PACKET_TOO_BIG) {
        this.kind = 'packet-too-big'
        this.mtu = get32(b, m + 4)
      } else if (t === ICMPV6_TIME_EXCEEDED) this.kind = 'time-exceeded'
      else if (t === ICMPV6_PARAMETER_PROBLEM) {
        this.kind = 'parameter-problem'
        this.pointer = get32(b, m + 4)
      } else return 'icmp-unsupported-type' // unassigned/experimental error types (RFC 4443 §2.1)
    }
    this.type = t
    this.code = code
    this.version = v
    return null
  }

  /** Full check of the outer IPv4 header and ICMP checksums (costs a pass over the message). */
  verifyChecksums(): IcmpReason | null {
    return this.pkt.verifyChecksums() === null ? null : 'icmp-bad-checksum'
  }

  // --- Outer header (the error itself) ---

  /** Rewrite the outer IPv4 source (header checksum updated; ICMPv4 has no pseudo-header). */
  setOuterSrc4(a: number): void {
    this.pkt.setSrc4(a >>> 0)
  }
  /** Rewrite the outer IPv4 destination: the client. */
  setOuterDst4(a: number): void {
    this.pkt.setDst4(a >>> 0)
  }
  /** Rewrite the outer IPv6 source from `b[o..o+16]` (ICMPv6 checksum updated: pseudo-header). */
  setOuterSrc6(b: Uint8Array, o: number): void {
    this.pkt.setSrc6(b, o)
  }
  /** Rewrite the outer IPv6 destination from `b[o..o+16]`: the client. */
  setOuterDst6(b: Uint8Array, o: number): void {
    this.pkt.setDst6(b, o)
  }

  // --- The quote (the packet the client sent, as the NAT rewrote it) ---

  /** Rewrite the quoted IPv4 source (quoted header, quoted transport, outer ICMP checksums updated). */
  setQuotedSrc4(a: number): void {
    this.pkt.quote.setSrc4(a >>> 0)
  }
  /** Rewrite the quoted IPv4 destination (the NAT: real IP back to proxy IP). */
  setQuotedDst4(a: number): void {
    this.pkt.quote.setDst4(a >>> 0)
  }
  setQuotedSrc6(b: Uint8Array, o: number): void {
    this.pkt.quote.setSrc6(b, o)
  }
  setQuotedDst6(b: Uint8Array, o: number): void {
    this.pkt.quote.setDst6(b, o)
  }
  /** Rewrite the quoted TCP/UDP source port, or the ICMP echo identifier of a quoted echo. */
  setQuotedSrcPort(port: number): void {
    const q = this.pkt.quote
    if (q.protocol === PROTO_TCP || q.protocol === PROTO_UDP) q.setSrcPort(port)
    else q.setEchoId(port)
  }
  /** Rewrite the quoted TCP/UDP destination port (no-op for a quoted echo: its identifier is the source port). */
  setQuotedDstPort(port: number): void {
    this.pkt.quote.setDstPort(port)
  }

  // --- The whole reverse mapping in one call ---

  /**
   * The gateway's reverse NAT for an IPv4 error: the error now comes from the proxy IP to the client
   * (outer source `proxy`, outer destination `client`), and quotes the packet as the client sent it
   * (quoted source `client`, quoted destination `proxy`, quoted source port or echo identifier
   * `clientPort`). The quoted destination port is left alone (the NAT does not change it).
   */
  rewriteToClient4(proxy: number, client: number, clientPort: number): void {
    this.setOuterSrc4(proxy)
    this.setOuterDst4(client)
    this.setQuotedSrc4(client)
    this.setQuotedDst4(proxy)
    this.setQuotedSrcPort(clientPort)
  }

  /** The same for an IPv6 error; addresses are the 16 bytes at `proxy[proxyOff..]` and `client[clientOff..]`. */
  rewriteToClient6(
    proxy: Uint8Array,
    proxyOff: number,
    client: Uint8Array,
    clientOff: number,
    clientPort: number,
  ): void {
    this.setOuterSrc6(proxy, proxyOff)
    this.setOuterDst6(client, clientOff)
    this.setQuotedSrc6(client, clientOff)
    this.setQuotedDst6(proxy, proxyOff)
    this.setQuotedSrcPort(clientPort)
  }
}
