/**
 * Cryptokey routing (paper §2): each peer owns a set of IP prefixes. Outgoing packets go to the
 * peer owning the longest prefix matching their destination; incoming packets must come from a
 * source inside the sending peer's prefixes.
 *
 * A linear scan over a peer's few prefixes; the device picks the destination peer by a linear
 * longest-prefix scan too. Gatehouse peers have a handful of prefixes each, where a trie would cost
 * more than it saves.
 */

/** One prefix: address bytes (4 or 16) and its length in bits. */
export interface Prefix {
  readonly bytes: Uint8Array
  readonly bits: number
}

/** Parses `"10.0.0.0/24"` or `"fd00::/64"`; throws naming the text when malformed (config time). */
export function parsePrefix(text: string, parseIp: (s: string) => Uint8Array): Prefix {
  const slash = text.indexOf('/')
  const addr = slash < 0 ? text : text.slice(0, slash)
  const bytes = parseIp(addr)
  if (bytes.length !== 4 && bytes.length !== 16)
    throw new Error(`allowedIps: cannot parse ${JSON.stringify(text)}`)
  const max = bytes.length * 8
  const bits = slash < 0 ? max : Number(text.slice(slash + 1))
  if (!Number.isInteger(bits) || bits < 0 || bits > max)
    throw new Error(`allowedIps: bad prefix length in ${JSON.stringify(text)}`)
  return { bytes, bits }
}

/** True when `len` address bytes of `buf` at `off` fall inside `p` (families must match). */
export function prefixContains(p: Prefix, buf: Uint8Array, off: number, len: number): boolean {
  if (p.bytes.length !== len) return false
  let bits = p.bits
  let i = 0
  for (; bits >= 8; i++, bits -= 8) if (p.bytes[i] !== buf[off + i]) return false
  if (bits === 0) return true
  const mask = (0xff << (8 - bits)) & 0xff
  return (p.bytes[i] & mask) === (buf[off + i] & mask)
}

/** The longest prefix in `list` containing the address, or −1. */
export function longestMatch(list: readonly Prefix[], buf: Uint8Array, off: number, len: number): number {
  let best = -1
  for (let i = 0; i < list.length; i++) {
    const p = list[i]
    if (p.bits > best && prefixContains(p, buf, off, len)) best = p.bits
  }
  return best
}
