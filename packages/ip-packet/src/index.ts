/**
 * Zero-copy views over IPv4/IPv6 packets and their transport headers, the
 * Internet checksum, and a builder. See README.md.
 * @packageDocumentation
 */
export type { Cidr, IpAddress } from './address.ts'
export {
  ipFromText,
  ipToText,
  ipv4FromText,
  ipv4InPrefix,
  ipv4PrefixMask,
  ipv4ToText,
  ipv6Copy,
  ipv6Equals,
  ipv6FromText,
  ipv6InPrefix,
  ipv6IsV4Mapped,
  ipv6ToText,
  ipv6Word,
  parseCidr,
} from './address.ts'
export { finish, fold, pseudoV4, pseudoV6, sum, update16, update32 } from './checksum.ts'
