/**
 * `Flow`: the routing tuple of one packet as the NAT core reads it, and
 * `NatResult`: the tuple a packet must have after the NAT's decision.
 *
 * Both are reusable objects with fixed shapes, filled per packet; nothing is
 * allocated. Addresses are four big-endian 32-bit words kept as *signed*
 * int32 (`Int32Array`): an IPv6 address fills all four, an IPv4 address is
 * word 3 with words 0-2 zero; `family` says which. Signed on purpose: a
 * `Uint32Array` read of a word ≥ 2^31 (192.0.2.1, fd00::) is a double to the
 * JIT, while most IPv4 words are small ints, so code trained on one kind
 * deoptimised on the other; measured 3x slower IPv6 lookups (README).
 */
import { get32, put32 } from '@gatehouse/ip-packet'
import { PROTO_ICMP, PROTO_ICMPV6 } from './constants.ts'

/** The routing tuple of a packet: filled by `readFlow` from a packet view, or by hand in tests. */
export class Flow {
  /** 4 or 6. */
  family: 4 | 6 = 4
  /** Upper-layer protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...). */
  protocol = 0
  /** Source address words (IPv4: word 3). */
  readonly src = new Int32Array(4)
  /** Destination address words (IPv4: word 3). */
  readonly dst = new Int32Array(4)
  /** TCP/UDP source port; for ICMP echo the identifier; else 0. */
  srcPort = 0
  /** TCP/UDP destination port; for ICMP echo the identifier; else 0. */
  dstPort = 0
  /** TCP flags byte (FIN 0x01, RST 0x04); 0 for other protocols. */
  tcpFlags = 0
  /** ICMP/ICMPv6 type; -1 for other protocols. */
  icmpType = -1

  /** Set an IPv4 tuple (tests and control paths). Addresses are u32. */
  setV4(protocol: number, src: number, dst: number, srcPort: number, dstPort: number): this {
    this.family = 4
    this.protocol = protocol
    this.src.fill(0)
    this.dst.fill(0)
    this.src[3] = src
    this.dst[3] = dst
    this.srcPort = srcPort
    this.dstPort = dstPort
    this.tcpFlags = 0
    this.icmpType = -1
    return this
  }

  /** Set an IPv6 tuple from 16-byte addresses (tests and control paths). */
  setV6(protocol: number, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number): this {
    this.family = 6
    this.protocol = protocol
    bytesToWords(src, 0, this.src)
    bytesToWords(dst, 0, this.dst)
    this.srcPort = srcPort
    this.dstPort = dstPort
    this.tcpFlags = 0
    this.icmpType = -1
    return this
  }
}

/** Read the 16 bytes at `b[off..]` into four big-endian words (config paths and `Flow.setV6`; the packet path reads in gateway-nat's readAddrs). */
export function bytesToWords(b: Uint8Array, off: number, out: Int32Array): void {
  // `| 0` keeps the word a signed int (see above): storing get32's unsigned value, a double
  // from 2^31 on, measured 1.6x slower per 16 bytes (3.1 vs 4.9 ns; the `| 0` form equals the
  // hand-inlined shifts).
  for (let i = 0; i < 4; i++) out[i] = get32(b, off + 4 * i) | 0
}

/** Write four words (from `w[wOff..wOff+4)`) as 16 bytes at `b[off..]`. */
export function wordsToBytes(w: Int32Array, wOff: number, b: Uint8Array, off: number): void {
  for (let i = 0; i < 4; i++) put32(b, off + 4 * i, w[wOff + i])
}

/** True for ICMP echo request/reply (RFC 792 types 8/0; RFC 4443 §4 types 128/129). */
export function isIcmpEcho(family: 4 | 6, protocol: number, icmpType: number): boolean {
  if (family === 4) return protocol === PROTO_ICMP && (icmpType === 8 || icmpType === 0)
  return protocol === PROTO_ICMPV6 && (icmpType === 128 || icmpType === 129)
}

/**
 * True for an ICMP error that quotes a packet the NAT must route by: IPv4 Destination
 * Unreachable, Source Quench, Time Exceeded, Parameter Problem (RFC 792); IPv6 Destination
 * Unreachable, Packet Too Big, Time Exceeded, Parameter Problem (RFC 4443 §2.1, types < 128).
 */
export function isIcmpError(family: 4 | 6, protocol: number, icmpType: number): boolean {
  if (family === 4)
    return protocol === PROTO_ICMP && (icmpType === 3 || icmpType === 4 || icmpType === 11 || icmpType === 12)
  return protocol === PROTO_ICMPV6 && icmpType >= 1 && icmpType <= 4
}

/**
 * The tuple a packet must carry after the NAT's decision; one per `GatewayNat`,
 * overwritten by every `handle*` call (copy what you keep).
 *
 * After `handleOutbound`: the packet as it leaves for the resource (`family` is
 * the real IP's family; `src` is the client's tunnel IP of that family; `dst` the
 * real IP; `srcPort` the session's port). After `handleInbound`: the packet as it
 * goes to the client (`src` the proxy IP, `dst` the client's tunnel IP of the proxy
 * family, `dstPort` the client's original port). After `handleInboundIcmpError`:
 * the error as it goes to the client, written as for a reply: `src` is the proxy IP
 * (the error's new outer source), `dst` the client's tunnel IP, and the quoted packet
 * becomes (src `dst`, dst `src`, src port `dstPort`, dst port `srcPort`).
 */
export class NatResult {
  /** The client the packet belongs to; -1 when none. */
  clientId = -1
  /** Index of the resource that matched (`GatewayNat.resourceId(i)` names it); -1 when none. */
  resource = -1
  /** Family of the packet after the NAT. */
  family: 4 | 6 = 4
  /** IPv4 source (family 4). */
  src4 = 0
  /** IPv4 destination (family 4). */
  dst4 = 0
  /** IPv6 source bytes (family 6). */
  readonly src6 = new Uint8Array(16)
  /** IPv6 destination bytes (family 6). */
  readonly dst6 = new Uint8Array(16)
  /** Source port or ICMP echo identifier. */
  srcPort = 0
  /** Destination port or ICMP echo identifier. */
  dstPort = 0
  /** True when the NAT mapped the tuple (a DNS resource session); false for CIDR/Internet pass-through, whose addresses are not copied here. */
  nat = false
  /** True when `family` differs from the packet's family: NAT64/46 must build the packet. */
  translate = false

  /** @internal Start a decision for `clientId` (-1: none yet): no resource, no NAT, no translation. */
  begin(clientId: number): void {
    this.clientId = clientId
    this.resource = -1
    this.translate = false
    this.nat = false
  }
  /** @internal Set the source from words. */
  setSrc(family: 4 | 6, w: Int32Array, off: number): void {
    if (family === 4) this.src4 = w[off + 3] >>> 0
    else wordsToBytes(w, off, this.src6, 0)
  }
  /** @internal Set the destination from words. */
  setDst(family: 4 | 6, w: Int32Array, off: number): void {
    if (family === 4) this.dst4 = w[off + 3] >>> 0
    else wordsToBytes(w, off, this.dst6, 0)
  }
}
