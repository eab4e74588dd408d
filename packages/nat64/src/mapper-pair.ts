/**
 * A fixed pair of address mappings: what the gateway uses.
 *
 * The gateway already knows both ends of a translated flow from its NAT
 * table: the client's tunnel address in each family (`a6 <-> a4`) and the
 * proxy IP with the real resource IP it stands for (`b6 <-> b4`). Both
 * mappings work by value in both directions, so a reply and the packet
 * quoted inside an ICMP error map the same way. Any other address does not
 * map (an ICMP error from a router on the way then takes its outer source
 * from the RFC 6791 pool).
 *
 * `set()` re-points the mapper without allocating, so the gateway can keep
 * one instance and set it per packet from its NAT entry.
 */
import { ipv4FromText, ipv6Copy, ipv6FromText } from '@gatehouse/ip-packet'
import type { AddressMapper } from './mapper.ts'

function v6(text: string | Uint8Array, field: string): Uint8Array {
  if (typeof text !== 'string') {
    if (text.length !== 16) throw new Error(`${field}: IPv6 address must be 16 bytes`)
    return text.slice()
  }
  const a = ipv6FromText(text)
  if (a === null) throw new Error(`${field}: not an IPv6 address: ${text}`)
  return a
}

function v4(text: string | number, field: string): number {
  if (typeof text === 'number') {
    if (!(Number.isInteger(text) && text >= 0 && text <= 0xffffffff)) throw new Error(`${field}: not a u32`)
    return text
  }
  const a = ipv4FromText(text)
  if (a === null) throw new Error(`${field}: not an IPv4 address: ${text}`)
  return a
}

/** Big-endian 32-bit word at `b[o..o+4]` as a signed int (compared with ===, never used as a number). */
function word(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]
}

/** Maps exactly two addresses each way: `a6 <-> a4` and `b6 <-> b4`. */
export class PairMapper implements AddressMapper {
  readonly a6 = new Uint8Array(16)
  readonly b6 = new Uint8Array(16)
  a4 = 0
  b4 = 0
  // The two IPv6 addresses as big-endian words, so a lookup reads the packet's address once.
  private a0 = 0
  private a1 = 0
  private a2 = 0
  private a3 = 0
  private b0 = 0
  private b1 = 0
  private b2 = 0
  private b3 = 0

  /** @throws naming the field (`a6`, `a4`, `b6`, `b4`) that is not an address. */
  constructor(a6: string | Uint8Array, a4: string | number, b6: string | Uint8Array, b4: string | number) {
    this.a6.set(v6(a6, 'a6'))
    this.b6.set(v6(b6, 'b6'))
    this.a4 = v4(a4, 'a4')
    this.b4 = v4(b4, 'b4')
    this.words()
  }

  private words(): void {
    const a = this.a6
    const b = this.b6
    this.a0 = word(a, 0)
    this.a1 = word(a, 4)
    this.a2 = word(a, 8)
    this.a3 = word(a, 12)
    this.b0 = word(b, 0)
    this.b1 = word(b, 4)
    this.b2 = word(b, 8)
    this.b3 = word(b, 12)
  }

  /** Re-point the mapper (packet path: copies 32 bytes, allocates nothing). */
  set(a6: Uint8Array, a6Off: number, a4: number, b6: Uint8Array, b6Off: number, b4: number): void {
    ipv6Copy(a6, a6Off, this.a6, 0)
    ipv6Copy(b6, b6Off, this.b6, 0)
    this.a4 = a4 >>> 0
    this.b4 = b4 >>> 0
    this.words()
  }

  private to4(buf: Uint8Array, off: number): number {
    const w3 = word(buf, off + 12)
    const w0 = word(buf, off)
    const w1 = word(buf, off + 4)
    const w2 = word(buf, off + 8)
    if (w3 === this.a3 && w0 === this.a0 && w1 === this.a1 && w2 === this.a2) return this.a4
    if (w3 === this.b3 && w0 === this.b0 && w1 === this.b1 && w2 === this.b2) return this.b4
    return -1
  }

  private to6(a: number, out: Uint8Array, off: number): boolean {
    if (a === this.a4) ipv6Copy(this.a6, 0, out, off)
    else if (a === this.b4) ipv6Copy(this.b6, 0, out, off)
    else return false
    return true
  }

  src6to4(buf: Uint8Array, off: number): number {
    return this.to4(buf, off)
  }
  dst6to4(buf: Uint8Array, off: number): number {
    return this.to4(buf, off)
  }
  src4to6(src: number, _dst: number, out: Uint8Array, off: number): boolean {
    return this.to6(src, out, off)
  }
  dst4to6(dst: number, out: Uint8Array, off: number): boolean {
    return this.to6(dst, out, off)
  }
}
