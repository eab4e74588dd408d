/**
 * RFC 6791 source addresses for ICMP errors whose source cannot be mapped.
 *
 * A router on the IPv6 side with a non-translatable address sends an ICMPv6
 * error (Time Exceeded for traceroute, Packet Too Big); its IPv4 translation
 * needs some IPv4 source. RFC 6791 §4: take it from a pool of IPv4 addresses
 * configured for the purpose. The same need arises the other way for the
 * gateway's pair mapper (a router on the IPv4 side is in no mapping), so the
 * pool may hold an IPv6 prefix too.
 *
 * Selection: RFC 6791 §4 suggests a random address "to minimise the chance
 * of collisions"; a core takes no RNG, so the choice is a hash of the
 * untranslatable address. The same router always gets the same pool
 * address, so traceroute's hops stay apart and stable. An IPv6 pool of
 * /96 or shorter carries the router's whole IPv4 address in its last 32
 * bits (readable in traceroute output); a longer one hashes into its host bits.
 */
// fmix32 (murmur3's 32-bit finaliser): cheap and spreads nearby addresses.
import { fmix32, get32, ipv4PrefixMask, parseCidr } from '@gatehouse/ip-packet'

/** An RFC 6791 pool: an IPv4 prefix for 6->4 errors and/or an IPv6 prefix for 4->6 errors. */
export class Rfc6791Pool {
  private readonly v4Base: number
  private readonly v4HostMask: number
  readonly has4: boolean
  private readonly v6Prefix = new Uint8Array(16)
  private readonly v6Len: number
  readonly has6: boolean

  /**
   * @param v4 IPv4 prefix text (`192.0.2.0/29`) or null.
   * @param v6 IPv6 prefix text (`2001:db8:ffff::/96`) or null.
   * @throws naming `pool6791v4` / `pool6791v6` when not a prefix of that family.
   */
  constructor(v4: string | null, v6: string | null = null) {
    if (v4 !== null) {
      const c = parseCidr(v4)
      if (c === null || c.family !== 4) throw new Error(`pool6791v4: not an IPv4 prefix: ${v4}`)
      this.v4Base = (c.addr4 & ipv4PrefixMask(c.prefixLen)) >>> 0
      this.v4HostMask = ~ipv4PrefixMask(c.prefixLen) >>> 0
      this.has4 = true
    } else {
      this.v4Base = 0
      this.v4HostMask = 0
      this.has4 = false
    }
    if (v6 !== null) {
      const c = parseCidr(v6)
      if (c === null || c.family !== 6) throw new Error(`pool6791v6: not an IPv6 prefix: ${v6}`)
      if (c.prefixLen > 128) throw new Error('pool6791v6: prefix too long')
      this.v6Len = c.prefixLen
      for (let i = 0; i < 16; i++) {
        const bits = c.prefixLen - i * 8
        this.v6Prefix[i] = c.addr6[i] & (bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff)
      }
      this.has6 = true
    } else {
      this.v6Len = 0
      this.has6 = false
    }
  }

  /** An IPv4 source for an error from the untranslatable IPv6 address at `buf[off..]`, or -1 without a v4 pool. */
  pick4(buf: Uint8Array, off: number): number {
    if (!this.has4) return -1
    let h = 0
    for (let i = 0; i < 16; i += 4) {
      h = fmix32(h ^ get32(buf, off + i))
    }
    // A /31 or shorter pool skips its all-zero host (a network address on most links).
    let host = h & this.v4HostMask
    if (host === 0 && this.v4HostMask > 1) host = 1
    return (this.v4Base | host) >>> 0
  }

  /** Write an IPv6 source for an error from the untranslatable IPv4 address `a` into `out[off..]`; false without a v6 pool. */
  pick6(a: number, out: Uint8Array, off: number): boolean {
    if (!this.has6) return false
    for (let i = 0; i < 16; i++) out[off + i] = this.v6Prefix[i]
    const x = this.v6Len <= 96 ? a : fmix32(a)
    const hostBits = 128 - this.v6Len
    const m = hostBits >= 32 ? 0xffffffff : hostBits <= 0 ? 0 : ~ipv4PrefixMask(32 - hostBits) >>> 0
    const host = (x & m) >>> 0
    out[off + 12] |= host >>> 24
    out[off + 13] |= (host >>> 16) & 0xff
    out[off + 14] |= (host >>> 8) & 0xff
    out[off + 15] |= host & 0xff
    return true
  }
}
