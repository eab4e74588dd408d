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
export type {
  EchoSpec,
  IcmpSpec,
  Ipv4Spec,
  Ipv6ExtSpec,
  Ipv6Spec,
  RawSpec,
  TcpSpec,
  UdpSpec,
} from './build.ts'
export {
  buildIcmp4,
  buildIcmp4Echo,
  buildIcmp6,
  buildIcmp6Echo,
  buildIpv4,
  buildIpv6,
  buildTcp4,
  buildTcp6,
  buildUdp4,
  buildUdp6,
} from './build.ts'
export { copyBytes, get16, get32, put16, put32 } from './bytes.ts'
export {
  applyDiff,
  copyAndSum,
  diff16,
  diff32,
  diff128,
  finish,
  fold,
  pseudoV4,
  pseudoV6,
  sum,
  update16,
  update32,
} from './checksum.ts'
export * from './constants.ts'
export type { DropReason } from './drop.ts'
export { DROP_REASONS } from './drop.ts'
export { fmix32 } from './hash.ts'
export { ICMP_HEADER_LEN, Icmpv4View, Icmpv6View } from './icmp.ts'
export { IPV4_HEADER_LEN, Ipv4View } from './ipv4.ts'
export { IPV6_HEADER_LEN, Ipv6View, isIpv6ExtensionHeader } from './ipv6.ts'
export { IpPacket, L4_ICMP, L4_NONE, L4_OTHER, L4_TCP, L4_UDP } from './packet.ts'
export { QUOTE_MIN_TRANSPORT, QuotedPacket } from './quote.ts'
export { TCP_HEADER_LEN, TcpView } from './tcp.ts'
export { UDP_HEADER_LEN, UdpView } from './udp.ts'
