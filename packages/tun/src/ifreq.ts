/**
 * `struct ifreq` as TUNSETIFF reads and writes it (<linux/if.h>, 64-bit Linux):
 * bytes 0..15 `ifr_name` (NUL-terminated, so at most 15 bytes of name), then a
 * 24-byte union whose first member, at byte 16, is `short ifr_flags` (host
 * order: little-endian on x86_64 and aarch64). 40 bytes in all.
 */
import { IFNAMSIZ, IFREQ_SIZE } from './libc.ts'

const FLAGS = IFNAMSIZ // u16 little-endian

/** A zeroed ifreq holding `name` (UTF-8, at most 15 bytes; config time, so it may throw) and `flags`. */
export function encodeIfreq(name: string, flags: number): Uint8Array {
  const bytes = new TextEncoder().encode(name)
  if (bytes.length >= IFNAMSIZ || bytes.includes(0)) throw new RangeError(`interface name too long: ${name}`)
  const ifr = new Uint8Array(IFREQ_SIZE)
  ifr.set(bytes, 0)
  ifr[FLAGS] = flags & 0xff
  ifr[FLAGS + 1] = (flags >> 8) & 0xff
  return ifr
}

/** The name in an ifreq: bytes up to the first NUL, at most 16 (never throws; invalid UTF-8 becomes U+FFFD). */
export function ifreqName(ifr: Uint8Array): string {
  let end = 0
  while (end < IFNAMSIZ && end < ifr.length && ifr[end] !== 0) end++
  return new TextDecoder().decode(ifr.subarray(0, end))
}

/** The flags in an ifreq (u16). */
export function ifreqFlags(ifr: Uint8Array): number {
  return (ifr[FLAGS] | (ifr[FLAGS + 1] << 8)) & 0xffff
}
