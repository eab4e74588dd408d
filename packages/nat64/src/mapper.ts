/**
 * The address-mapper contract the translator calls on the packet path.
 *
 * An IPv4 address is a u32 `number`; an IPv6 address is 16 bytes named by
 * (buffer, offset), as in `@gatehouse/ip-packet`. Mappers never allocate and
 * never throw on the packet path: "cannot map" is `-1` (to IPv4) or `false`
 * (to IPv6). Configuration-time constructors may throw, naming the field.
 *
 * The translator asks for a packet's source and destination separately, and
 * for the addresses of the packet quoted inside an ICMP error with the same
 * four calls (the quoted packet travels the other way, so its source is the
 * outer destination; a mapper that maps addresses by value, as all of ours
 * do, needs no special case for that).
 */
export interface AddressMapper {
  /** IPv6 source at `buf[off..off+16]` to IPv4 (RFC 7915 §5.1 "Source Address"), or -1. */
  src6to4(buf: Uint8Array, off: number): number
  /** IPv6 destination at `buf[off..off+16]` to IPv4 (RFC 7915 §5.1 "Destination Address"), or -1. */
  dst6to4(buf: Uint8Array, off: number): number
  /**
   * IPv4 source `src` of a packet to `dst`, written as IPv6 into `out[off..off+16]`
   * (RFC 7915 §4.1). `dst` lets an EAMT mapper detect hairpinning (RFC 7757 §4.2).
   * False when unmappable; `out` may then hold garbage.
   */
  src4to6(src: number, dst: number, out: Uint8Array, off: number): boolean
  /** IPv4 destination `dst` written as IPv6 into `out[off..off+16]` (RFC 7915 §4.1), or false. */
  dst4to6(dst: number, out: Uint8Array, off: number): boolean
}
