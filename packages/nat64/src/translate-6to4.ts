/**
 * RFC 7915 §5: IPv6 -> IPv4.
 *
 * Validation and the extension header chain come from `Ipv6View.check()`.
 * Every error and drop is decided before the first write; the IPv4 header
 * is then written just before the upper-layer header, so the packet shrinks
 * in place by 20 bytes plus the skipped extension headers.
 */
import { buildIcmpv6Error } from '@gatehouse/icmp-errors'
import {
  copyBytes,
  finish,
  fold,
  get16,
  get32,
  Ipv6View,
  isIpv6ExtensionHeader,
  pseudoV6,
  put16,
  put32,
  sum,
} from '@gatehouse/ip-packet'
import {
  adjust,
  clock,
  drop,
  errorBuilt,
  fixQuotedTransport,
  ICMP_CHECKSUM_OFF,
  spec6,
  TCP_CHECKSUM_OFF,
  translated,
  UDP_CHECKSUM_OFF,
  udpChecksum,
} from './common.ts'
import {
  DF_THRESHOLD_V4,
  ICMPV4_ERROR_MAX_LEN,
  IPV4_HEADER_LEN,
  IPV6_HEADER_LEN,
  PROTO_HOPOPTS,
  PROTO_ICMP,
  PROTO_ICMPV6,
  PROTO_TCP,
  PROTO_UDP,
  RFC4884_MIN_ORIGINAL_LEN,
} from './constants.ts'
import { icmp6to4, isIcmp6Error, pointer6to4, ptbMtu6to4 } from './icmp-map.ts'
import type { AddressMapper } from './mapper.ts'
import type { Nat64Options } from './options.ts'
import type { Nat64ErrorReason } from './reasons.ts'
import type { PacketBuf, TranslateResult } from './result.ts'

const v6 = new Ipv6View()
const q6 = new Ipv6View()

/** Unfolded sum of the two IPv4 addresses as pseudo-header words. */
function sumV4Addrs(src: number, dst: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff)
}

/** Write a 20-byte IPv4 header (RFC 791 §3.1, no options) at `buf[o..]` with its checksum. */
function writeIpv4(
  buf: Uint8Array,
  o: number,
  tos: number,
  totalLen: number,
  ident: number,
  df: boolean,
  mf: boolean,
  fragOffBytes: number,
  ttl: number,
  proto: number,
  src: number,
  dst: number,
): void {
  // RFC 791 §3.1 field by field; the checksum from the values just written (no second pass over the bytes).
  const flags = (df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | ((fragOffBytes >> 3) & 0x1fff)
  buf[o] = 0x45
  buf[o + 1] = tos
  put16(buf, o + 2, totalLen)
  put16(buf, o + 4, ident)
  put16(buf, o + 6, flags)
  buf[o + 8] = ttl
  buf[o + 9] = proto
  put32(buf, o + 12, src)
  put32(buf, o + 16, dst)
  put16(
    buf,
    o + 10,
    finish(0x4500 + tos + totalLen + ident + flags + ((ttl << 8) | proto) + sumV4Addrs(src, dst)),
  )
}

/** An ICMPv6 error of our own about the packet (RFC 7915 §5.4), from `errorSource6` or the packet's destination. */
function error6(
  b: Uint8Array,
  off: number,
  len: number,
  type: number,
  code: number,
  mtuOrPointer: number,
  o: Nat64Options,
  res: TranslateResult,
  reason: Nat64ErrorReason,
): TranslateResult {
  spec6.type = type
  spec6.code = code
  spec6.mtu = mtuOrPointer
  spec6.pointer = mtuOrPointer
  spec6.limiter = o.errorLimiter
  spec6.now = clock.now
  if (o.errorSource6 !== null) {
    spec6.src = o.errorSource6
    spec6.srcOff = 0
  } else {
    spec6.src = b
    spec6.srcOff = off + 24
  }
  return errorBuilt(res, buildIcmpv6Error(b, off, len, spec6, res.errorBuf, 0), reason)
}

/** The IPv4 identification for a packet without a Fragment header (RFC 7915 §5.1; RFC 6864 §4.1: 0 is fine when DF=1). */
function nextIdent(res: TranslateResult, df: boolean): number {
  if (df) return 0
  res.ident = (res.ident + 1) & 0xffff
  return res.ident
}

/** Translate the IPv6 packet `pkt` to IPv4 (RFC 7915 §5). See `translate` for the contract. */
export function translate6to4(
  pkt: PacketBuf,
  mapper: AddressMapper,
  o: Nat64Options,
  res: TranslateResult,
): TranslateResult {
  const b = pkt.buf
  const off = pkt.off
  v6.reset(b, off, pkt.len)
  const bad = v6.check()
  if (bad !== null && bad !== 'ipv6-fragment') return drop(res, bad)
  const totalLen = v6.totalLen
  // RFC 2675: payload length 0 with a Hop-by-Hop header is a jumbogram; IPv4 has no counterpart.
  if (v6.payloadLen === 0 && v6.nextHeader === PROTO_HOPOPTS) return drop(res, 'nat64-jumbogram')

  // RFC 7915 §5.1: a Routing header with Segments Left > 0 is not ours to skip: 4/0 pointing at Segments Left.
  if (v6.routingOff >= 0 && b[v6.routingOff + 3] !== 0) {
    return error6(b, off, totalLen, 4, 0, v6.routingOff + 3 - off, o, res, 'nat64-routing-header')
  }
  const fragHdr = v6.fragmentHeaderOff
  const isFrag = fragHdr >= 0
  const fragOff = v6.fragmentOffset
  const mf = v6.moreFragments
  const fragmented = isFrag && (mf || fragOff !== 0)
  const first = fragOff === 0
  const proto6 = v6.upperProtocol
  // RFC 7915 §5.1 skips extension headers before the Fragment header; one after it is refused (§5.4: 1/1).
  if (isFrag && isIpv6ExtensionHeader(b[fragHdr])) {
    return error6(b, off, totalLen, 1, 1, 0, o, res, 'nat64-ext-header-after-fragment')
  }
  const upOff = v6.upperOff
  const upLen = off + totalLen - upOff
  let ttl = v6.hopLimit
  const srcOff = off + 8
  const dstOff = off + 24

  let newIcmp = -1
  if (proto6 === PROTO_ICMPV6 && first) {
    if (fragmented) return drop(res, 'nat64-icmp-fragmented')
    if (upLen < 8) return drop(res, 'icmpv6-truncated')
    if (isIcmp6Error(b[upOff])) return translateIcmp6Error(b, off, upOff, upLen, ttl, mapper, o, res)
    // RFC 7915 §5.2: echo maps; MLD, ND and unknown informational types are dropped silently.
    newIcmp = icmp6to4(b[upOff], b[upOff + 1])
    if (newIcmp < 0) return drop(res, 'nat64-icmp-type-untranslatable')
  } else if (proto6 === PROTO_ICMPV6) {
    return drop(res, 'nat64-icmp-fragmented')
  }

  if (o.decrementTtl) {
    // RFC 8200 §3 / RFC 4443 §3.3: hop limit exhausted: 3/0.
    if (ttl <= 1) return error6(b, off, totalLen, 3, 0, 0, o, res, 'nat64-hop-limit-exceeded')
    ttl--
  }

  const dst = mapper.dst6to4(b, dstOff)
  if (dst < 0) {
    // RFC 7915 §5.4: destination not IPv4-translatable: 1/0.
    if (!o.errorOnUntranslatable) return drop(res, 'nat64-dst-unmappable')
    return error6(b, off, totalLen, 1, 0, 0, o, res, 'nat64-dst-untranslatable')
  }
  const src = mapper.src6to4(b, srcOff)
  if (src < 0) {
    // RFC 7915 §5.4: source not IPv4-translatable: 1/5 (source address failed ingress/egress policy).
    if (!o.errorOnUntranslatable) return drop(res, 'nat64-src-unmappable')
    return error6(b, off, totalLen, 1, 5, 0, o, res, 'nat64-src-untranslatable')
  }

  if (first) {
    if (proto6 === PROTO_TCP && upLen < 20) return drop(res, 'tcp-truncated')
    if (proto6 === PROTO_UDP) {
      if (upLen < 8) return drop(res, 'udp-truncated')
      // RFC 8200 §8.1: zero is never a valid IPv6 UDP checksum; there is nothing to update incrementally.
      if (get16(b, upOff + UDP_CHECKSUM_OFF) === 0) return drop(res, 'udp-bad-checksum')
    }
  }

  // RFC 7915 §5.1: DF=1 above 1260 bytes (the sender can do PMTUD), 0 at or below; fragments keep DF=0.
  const total4 = IPV4_HEADER_LEN + upLen
  const df = !isFrag && total4 > DF_THRESHOLD_V4
  let nFrag = 1
  let chunk = upLen
  if (total4 > o.mtu4) {
    if (df) {
      // RFC 7915 §5.1 / RFC 4443 §3.2: 2/0 with the MTU that fits after translation, never below 1280 (RFC 8200 §5).
      let mtu = o.mtu4 + (totalLen - total4)
      if (mtu < 1280) mtu = 1280
      return error6(b, off, totalLen, 2, 0, mtu, o, res, 'nat64-packet-too-big')
    }
    // DF=0: fragment for the IPv4 link, as an IPv4 router would (RFC 791 §3.2).
    chunk = (o.mtu4 - IPV4_HEADER_LEN) & ~7
    nFrag = Math.ceil(upLen / chunk)
    const fb = res.fragmentBuffers
    if (nFrag - 1 > fb.length) return drop(res, 'nat64-too-many-fragments')
    for (let i = 0; i < nFrag - 1; i++) {
      if (fb[i].length < IPV4_HEADER_LEN + chunk) return drop(res, 'nat64-too-many-fragments')
    }
  }

  // RFC 7915 §5.5 (and §5.2 for ICMP): transport checksums, incrementally.
  if (first) {
    if (proto6 === PROTO_TCP) {
      const c = upOff + TCP_CHECKSUM_OFF
      put16(b, c, adjust(get16(b, c), sum(b, srcOff, 32, 0), sumV4Addrs(src, dst)))
    } else if (proto6 === PROTO_UDP) {
      const c = upOff + UDP_CHECKSUM_OFF
      put16(b, c, udpChecksum(adjust(get16(b, c), sum(b, srcOff, 32, 0), sumV4Addrs(src, dst))))
    } else if (proto6 === PROTO_ICMPV6) {
      // RFC 7915 §5.2: new type; the ICMPv6 pseudo-header leaves the checksum.
      const c = upOff + ICMP_CHECKSUM_OFF
      const oldWord = (b[upOff] << 8) | b[upOff + 1]
      put16(b, c, adjust(get16(b, c), oldWord + pseudoV6(b, srcOff, dstOff, PROTO_ICMPV6, upLen), newIcmp))
      b[upOff] = newIcmp >> 8
      b[upOff + 1] = newIcmp & 0xff
    }
  }

  const proto4 = proto6 === PROTO_ICMPV6 ? PROTO_ICMP : proto6
  // RFC 7915 §5.1: TOS copied from the traffic class, or the configured value.
  const tos = o.tos >= 0 ? o.tos : v6.trafficClass
  const ident = isFrag ? v6.fragmentId & 0xffff : nextIdent(res, df)
  for (let i = 1; i < nFrag; i++) {
    const fb = res.fragmentBuffers[i - 1]
    const cOff = i * chunk
    const cLen = Math.min(upLen - cOff, chunk)
    const s = upOff + cOff
    // One native copy per extra fragment (the subarray view is the only allocation of this rare path).
    copyBytes(b, s, fb, IPV4_HEADER_LEN, cLen)
    writeIpv4(
      fb,
      0,
      tos,
      IPV4_HEADER_LEN + cLen,
      ident,
      false,
      i < nFrag - 1 || mf,
      fragOff + cOff,
      ttl,
      proto4,
      src,
      dst,
    )
    const p = res.packets[i]
    p.off = 0
    p.len = IPV4_HEADER_LEN + cLen
  }
  const firstLen = nFrag > 1 ? chunk : upLen
  const start = upOff - IPV4_HEADER_LEN
  writeIpv4(
    b,
    start,
    tos,
    IPV4_HEADER_LEN + firstLen,
    ident,
    df,
    nFrag > 1 || mf,
    fragOff,
    ttl,
    proto4,
    src,
    dst,
  )
  const p0 = res.packets[0]
  p0.buf = b
  p0.off = start
  p0.len = IPV4_HEADER_LEN + firstLen
  return translated(res, nFrag)
}

/**
 * RFC 7915 §5.3: an ICMPv6 error becomes an ICMPv4 error, its quoted IPv6
 * packet an IPv4 packet (header and transport checksum, not the payload),
 * the whole at most 576 bytes.
 *
 * Always in place and zero-copy: the three new headers (20 + 8 + 20) are
 * shorter than the old ones (40 + 8 + 40 at least), so they are written just
 * before the quoted payload, which does not move. Every field is read before
 * the first write.
 */
function translateIcmp6Error(
  b: Uint8Array,
  off: number,
  upOff: number,
  upLen: number,
  ttlIn: number,
  mapper: AddressMapper,
  o: Nat64Options,
  res: TranslateResult,
): TranslateResult {
  const type = b[upOff]
  const m = icmp6to4(type, b[upOff + 1])
  if (m < 0) return drop(res, 'nat64-icmp-code-untranslatable')
  const t4 = m >> 8
  const c4 = m & 0xff
  let ttl = ttlIn
  if (o.decrementTtl) {
    if (ttl <= 1) return drop(res, 'icmp-about-icmp-error')
    ttl--
  }

  // RFC 4884 §4.2: byte 4 of ICMPv6 Destination Unreachable and Time Exceeded is the
  // original datagram's length in 64-bit words when an extension follows it.
  let qLen = upLen - 8
  let extOff = -1
  let extLen = 0
  const words = b[upOff + 4]
  if (words !== 0 && (type === 1 || type === 3)) {
    const origLen = words * 8
    if (origLen >= RFC4884_MIN_ORIGINAL_LEN && origLen + 4 <= qLen) {
      extOff = upOff + 8 + origLen
      extLen = qLen - origLen
      qLen = origLen
    }
  }
  const qOff = upOff + 8
  q6.reset(b, qOff, qLen)
  const qBad = q6.checkQuoted()
  if (qBad !== null && qBad !== 'ipv6-fragment') return drop(res, 'nat64-icmp-inner-malformed')
  const qFragOff = q6.fragmentOffset
  const qIsFrag = q6.fragmentHeaderOff >= 0
  const qMf = q6.moreFragments
  const qFragId = q6.fragmentId
  const qTc = q6.trafficClass
  const qHop = q6.hopLimit
  const qProto6 = q6.upperProtocol
  const qUp = q6.upperOff
  // Quoted upper-layer bytes present (not counting padding past the datagram's end).
  let qPay = qOff + qLen - qUp
  const qUpTotal = q6.payloadLen - (qUp - qOff - IPV6_HEADER_LEN) // the original upper-layer length
  if (qUpTotal >= 0 && qUpTotal < qPay) qPay = qUpTotal
  if (qPay < 0) qPay = 0
  if (qProto6 === PROTO_ICMPV6 && qFragOff === 0 && qPay >= 1 && isIcmp6Error(b[qUp])) {
    return drop(res, 'nat64-icmp-error-in-error')
  }

  const dst = mapper.dst6to4(b, off + 24)
  if (dst < 0) return drop(res, 'nat64-dst-unmappable')
  let src = mapper.src6to4(b, off + 8)
  if (src < 0) {
    // RFC 6791 §4: an untranslatable router address takes one from the pool.
    src = o.pool6791 === null ? -1 : o.pool6791.pick4(b, off + 8)
    if (src < 0) return drop(res, 'nat64-icmp-source-unmappable')
  }
  const qSrc = mapper.src6to4(b, qOff + 8)
  const qDst = mapper.dst6to4(b, qOff + 24)
  if (qSrc < 0 || qDst < 0) return drop(res, 'nat64-icmp-inner-unmappable')

  let rest = 0 // ICMPv4 bytes 4..7
  if (t4 === 12) {
    // RFC 7915 §5.2 Figure 6.
    const ptr = get32(b, upOff + 4)
    const p = ptr > 39 ? -1 : pointer6to4(ptr)
    if (p < 0) return drop(res, 'nat64-icmp-pointer-untranslatable')
    rest = p << 24
  } else if (t4 === 3 && c4 === 4) {
    // RFC 7915 §5.2: Packet Too Big -> Fragmentation Needed with the IPv4 MTU (RFC 1191 §4: bytes 6-7).
    rest = ptbMtu6to4(get32(b, upOff + 4), o.mtu4, o.mtu6) & 0xffff
  }
  // The quoted transport checksum's change, from the quoted IPv6 addresses, before they are overwritten.
  const qOldAddrs = sum(b, qOff + 8, 32, 0)
  let qm = -1
  let qPseudo = 0
  if (qProto6 === PROTO_ICMPV6 && qFragOff === 0 && qPay >= 4) {
    qm = icmp6to4(b[qUp], b[qUp + 1])
    if (qm < 0) return drop(res, 'nat64-icmp-type-untranslatable')
    qPseudo = pseudoV6(b, qOff + 8, qOff + 24, PROTO_ICMPV6, Math.max(qUpTotal, 0))
  }
  // RFC 7915 §5.1: TOS copied from the traffic class, or the configured value.
  const tos = o.tos >= 0 ? o.tos : v6.trafficClass

  const hdrs = IPV4_HEADER_LEN + 8 + IPV4_HEADER_LEN
  const start = qUp - hdrs
  let copy = qPay
  if (copy > ICMPV4_ERROR_MAX_LEN - hdrs) copy = ICMPV4_ERROR_MAX_LEN - hdrs
  const innerOff = start + IPV4_HEADER_LEN + 8
  const innerPayOff = qUp
  let total = hdrs + copy

  // RFC 4884 §4.1: ICMPv4 Destination Unreachable and Time Exceeded carry the length at byte 5
  // in 32-bit words, the original datagram zero-padded to at least 128 bytes. Moved first.
  let lengthWords = 0
  if (extOff >= 0 && (t4 === 3 || t4 === 11) && !(t4 === 3 && c4 === 4)) {
    let padded = (total - (innerOff - start) + 3) & ~3
    if (padded < RFC4884_MIN_ORIGINAL_LEN) padded = RFC4884_MIN_ORIGINAL_LEN
    const extDst = innerOff + padded
    // The 128-byte minimum can push the extension up to 20 bytes past the packet's end: it needs that tailroom.
    if (extDst - start + extLen <= ICMPV4_ERROR_MAX_LEN && extDst + extLen <= b.length) {
      b.copyWithin(extDst, extOff, extOff + extLen)
      b.fill(0, start + total, extDst)
      total = extDst - start + extLen
      lengthWords = padded >> 2
    }
  }

  const qProto4 = qProto6 === PROTO_ICMPV6 ? PROTO_ICMP : qProto6
  const qTotal4 = (IPV4_HEADER_LEN + Math.max(qUpTotal, 0)) & 0xffff
  const qDf = !qIsFrag && qTotal4 > DF_THRESHOLD_V4
  writeIpv4(
    b,
    innerOff,
    qTc,
    qTotal4,
    qIsFrag ? qFragId & 0xffff : 0,
    qDf,
    qMf,
    qFragOff,
    qHop,
    qProto4,
    qSrc,
    qDst,
  )

  if (qFragOff === 0) {
    fixQuotedTransport(b, innerPayOff, qProto6, copy, qOldAddrs, sumV4Addrs(qSrc, qDst), qm, fold(qPseudo), 0)
  }

  const ic = start + IPV4_HEADER_LEN
  b[ic] = t4
  b[ic + 1] = c4
  b[ic + 2] = 0
  b[ic + 3] = 0
  put32(b, ic + 4, rest)
  if (lengthWords !== 0) b[ic + 5] = lengthWords
  writeIpv4(b, start, tos, total, nextIdent(res, false), false, false, 0, ttl, PROTO_ICMP, src, dst)
  put16(b, ic + 2, finish(sum(b, ic, total - IPV4_HEADER_LEN, 0)))
  const p0 = res.packets[0]
  p0.buf = b
  p0.off = start
  p0.len = total
  return translated(res, 1)
}
