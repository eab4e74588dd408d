/**
 * RFC 7915 §4: IPv4 -> IPv6.
 *
 * Order of work: validate (RFC 791 §3.1 through `Ipv4View`), decide every
 * error and drop, map the addresses into a scratch, fix the transport
 * checksum incrementally, then write the IPv6 header into the headroom
 * before the payload. Nothing is written to the packet before the last
 * decision, so an ICMP error about it quotes the original bytes.
 */
import { buildIcmpv4Error } from '@gatehouse/icmp-errors'
import { copyBytes, finish, get16, Ipv4View, pseudoV6, put16, put32, sum } from '@gatehouse/ip-packet'
import {
  adjust,
  clock,
  drop,
  errorBuilt,
  fixQuotedTransport,
  ICMP_CHECKSUM_OFF,
  spec4,
  TCP_CHECKSUM_OFF,
  translated,
  UDP_CHECKSUM_OFF,
  udpChecksum,
} from './common.ts'
import {
  FRAGMENT_HEADER_LEN,
  ICMPV6_ERROR_MAX_LEN,
  IPV6_HEADER_LEN,
  PROTO_FRAGMENT,
  PROTO_ICMP,
  PROTO_ICMPV6,
  PROTO_TCP,
  PROTO_UDP,
  RFC4884_MIN_ORIGINAL_LEN,
} from './constants.ts'
import { icmp4to6, isIcmp4Error, pointer4to6, ptbMtu4to6 } from './icmp-map.ts'
import type { AddressMapper } from './mapper.ts'
import type { Nat64Options } from './options.ts'
import type { Nat64DropReason, Nat64ErrorReason } from './reasons.ts'
import type { PacketBuf, TranslateResult } from './result.ts'

const v4 = new Ipv4View()
const q4 = new Ipv4View()
/** [0,16) source, [16,32) destination of the packet being written. */
const addrs = new Uint8Array(32)
/** The same for the packet quoted in an ICMP error. */
const qAddrs = new Uint8Array(32)

/** Sum of two IPv4 addresses as pseudo-header words (RFC 793 §3.1). */
function sumV4Addrs(src: number, dst: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff)
}

/** Write the fixed IPv6 header (RFC 8200 §3) at `buf[o..]`; flow label 0 (RFC 7915 §4.1). */
function writeIpv6(
  buf: Uint8Array,
  o: number,
  tc: number,
  payloadLen: number,
  nextHeader: number,
  hopLimit: number,
  a: Uint8Array,
): void {
  // RFC 8200 §3 field by field: version 6, traffic class, flow label 0; then both addresses.
  buf[o] = 0x60 | (tc >> 4)
  buf[o + 1] = (tc & 0x0f) << 4
  buf[o + 2] = 0
  buf[o + 3] = 0
  buf[o + 4] = payloadLen >>> 8
  buf[o + 5] = payloadLen
  buf[o + 6] = nextHeader
  buf[o + 7] = hopLimit
  for (let i = 0; i < 32; i++) buf[o + 8 + i] = a[i]
}

/** RFC 8200 §4.5 Fragment header at `buf[o..]`: RFC 7915 §4.1 copies the IPv4 identification into the low 16 bits. */
function writeFragmentHeader(
  buf: Uint8Array,
  o: number,
  nextHeader: number,
  offsetBytes: number,
  more: boolean,
  id: number,
): void {
  buf[o] = nextHeader
  buf[o + 1] = 0
  put16(buf, o + 2, (offsetBytes & 0xfff8) | (more ? 1 : 0))
  put32(buf, o + 4, id)
}

/** An ICMPv4 error of our own about the packet (RFC 7915 §4.4), from `errorSource4` or the packet's destination. */
function error4(
  b: Uint8Array,
  off: number,
  len: number,
  type: number,
  code: number,
  mtu: number,
  o: Nat64Options,
  res: TranslateResult,
  reason: Nat64ErrorReason,
): TranslateResult {
  spec4.type = type
  spec4.code = code
  spec4.mtu = mtu
  spec4.pointer = 0
  spec4.src = o.errorSource4 >= 0 ? o.errorSource4 : v4.dstAddr
  spec4.limiter = o.errorLimiter
  spec4.now = clock.now
  return errorBuilt(res, buildIcmpv4Error(b, off, len, spec4, res.errorBuf, 0), reason)
}

/** RFC 7915 §4.4: 3/13 for a packet we cannot translate, unless switched off (then a plain drop). */
function untranslatable(
  b: Uint8Array,
  off: number,
  len: number,
  o: Nat64Options,
  res: TranslateResult,
  reason: Nat64DropReason,
): TranslateResult {
  if (!o.errorOnUntranslatable) return drop(res, reason)
  return error4(b, off, len, 3, 13, 0, o, res, 'nat64-untranslatable-v4')
}

/** Translate the IPv4 packet `pkt` to IPv6 (RFC 7915 §4). See `translate` for the contract. */
export function translate4to6(
  pkt: PacketBuf,
  mapper: AddressMapper,
  o: Nat64Options,
  res: TranslateResult,
): TranslateResult {
  const b = pkt.buf
  const off = pkt.off
  v4.reset(b, off, pkt.len)
  const bad = v4.check()
  if (bad !== null) return drop(res, bad)
  // RFC 1812 §5.2.2: a router drops a header whose checksum fails; translating would launder it.
  if (!v4.verifyChecksum()) return drop(res, 'ipv4-bad-checksum')
  const ihl = v4.headerLen
  const totalLen = v4.totalLen
  let payOff = off + ihl
  const payLen = totalLen - ihl
  const df = v4.dontFragment
  const mf = v4.moreFragments
  const fragOff = v4.fragmentOffset
  const isFrag = mf || fragOff !== 0
  const first = fragOff === 0
  const proto = v4.protocol
  const src = v4.srcAddr
  const dst = v4.dstAddr
  let ttl = v4.ttl

  // RFC 7915 §4.1: an unexpired source route cannot be honoured: 3/5.
  if (ihl > 20 && v4.hasUnexpiredSourceRoute()) {
    return error4(b, off, totalLen, 3, 5, 0, o, res, 'nat64-source-route')
  }

  let newIcmp = -1
  if (proto === PROTO_ICMP) {
    // The ICMPv6 checksum covers a pseudo-header with the whole message's length, unknown in a fragment.
    if (isFrag) return drop(res, 'nat64-icmp-fragmented')
    if (payLen < 8) return drop(res, 'icmpv4-truncated')
    if (isIcmp4Error(b[payOff])) return translateIcmp4Error(b, payOff, payLen, ttl, mapper, o, res)
    // RFC 7915 §4.2: echo maps; every other informational message is dropped silently.
    newIcmp = icmp4to6(b[payOff], b[payOff + 1])
    if (newIcmp < 0) return drop(res, 'nat64-icmp-type-untranslatable')
  }

  if (o.decrementTtl) {
    // RFC 1812 §5.3.1: a router that would forward with TTL 0 answers 11/0 instead.
    if (ttl <= 1) return error4(b, off, totalLen, 11, 0, 0, o, res, 'nat64-ttl-exceeded')
    ttl--
  }

  if (!mapper.dst4to6(dst, addrs, 16)) return untranslatable(b, off, totalLen, o, res, 'nat64-dst-unmappable')
  if (!mapper.src4to6(src, dst, addrs, 0))
    return untranslatable(b, off, totalLen, o, res, 'nat64-src-unmappable')

  let udpZero = false
  if (first) {
    if (proto === PROTO_TCP && payLen < 20) return drop(res, 'tcp-truncated')
    if (proto === PROTO_UDP) {
      if (payLen < 8) return drop(res, 'udp-truncated')
      if (get16(b, payOff + UDP_CHECKSUM_OFF) === 0) {
        // RFC 7915 §4.5: IPv6 forbids a zero UDP checksum (RFC 8200 §8.1). A fragment's cannot be computed.
        if (isFrag) return drop(res, 'nat64-udp-checksum-zero-fragment')
        if (!o.amendUdpChecksumZero) return drop(res, 'nat64-udp-checksum-zero')
        udpZero = true
      }
    }
  }

  // RFC 7915 §4.1: a fragment keeps a Fragment header; DF=0 packets are fragmented to the lowest IPv6 MTU.
  const baseHdr = isFrag ? IPV6_HEADER_LEN + FRAGMENT_HEADER_LEN : IPV6_HEADER_LEN
  let nFrag = 1
  let chunk = payLen
  if (df) {
    // RFC 7915 §4.1 / RFC 1191: DF set and too big for the IPv6 link: 3/4 with the MTU the IPv4 sender must use.
    if (baseHdr + payLen > o.mtu6) {
      return error4(b, off, totalLen, 3, 4, o.mtu6 - (baseHdr - 20), o, res, 'nat64-fragmentation-needed')
    }
  } else {
    const limit = Math.min(o.lowestIpv6Mtu, o.mtu6)
    if (baseHdr + payLen > limit) {
      chunk = (limit - IPV6_HEADER_LEN - FRAGMENT_HEADER_LEN) & ~7
      nFrag = Math.ceil(payLen / chunk)
      const fb = res.fragmentBuffers
      if (nFrag - 1 > fb.length) return drop(res, 'nat64-too-many-fragments')
      for (let i = 0; i < nFrag - 1; i++) {
        if (fb[i].length < IPV6_HEADER_LEN + FRAGMENT_HEADER_LEN + chunk)
          return drop(res, 'nat64-too-many-fragments')
      }
    }
  }
  const hdrLen = nFrag > 1 ? IPV6_HEADER_LEN + FRAGMENT_HEADER_LEN : baseHdr
  const fragmented = hdrLen !== IPV6_HEADER_LEN

  // Room for the header: headroom first, else move the payload into the tailroom.
  let start = payOff - hdrLen
  if (start < 0) {
    const delta = -start
    if (payOff + payLen + delta > b.length) return drop(res, 'nat64-no-room')
    b.copyWithin(payOff + delta, payOff, payOff + payLen)
    payOff += delta
    start = 0
  }

  // RFC 7915 §4.5 (and §4.2 for ICMP): transport checksums, incrementally.
  if (first) {
    if (proto === PROTO_TCP) {
      const c = payOff + TCP_CHECKSUM_OFF
      put16(b, c, adjust(get16(b, c), sumV4Addrs(src, dst), sum(addrs, 0, 32, 0)))
    } else if (proto === PROTO_UDP) {
      const c = payOff + UDP_CHECKSUM_OFF
      if (udpZero) {
        put16(b, c, udpChecksum(finish(sum(b, payOff, payLen, pseudoV6(addrs, 0, 16, PROTO_UDP, payLen)))))
      } else {
        put16(b, c, udpChecksum(adjust(get16(b, c), sumV4Addrs(src, dst), sum(addrs, 0, 32, 0))))
      }
    } else if (proto === PROTO_ICMP) {
      // RFC 7915 §4.2: new type, and the ICMPv6 pseudo-header (RFC 4443 §2.3) joins the checksum.
      const c = payOff + ICMP_CHECKSUM_OFF
      const oldWord = (b[payOff] << 8) | b[payOff + 1]
      put16(b, c, adjust(get16(b, c), oldWord, newIcmp + pseudoV6(addrs, 0, 16, PROTO_ICMPV6, payLen)))
      b[payOff] = newIcmp >> 8
      b[payOff + 1] = newIcmp & 0xff
    }
  }

  const nh = proto === PROTO_ICMP ? PROTO_ICMPV6 : proto
  // RFC 7915 §4.1: traffic class copied from TOS, or 0 when configured to ignore it.
  const tos = o.resetTrafficClass ? 0 : v4.tos
  const ident = v4.ident
  // Fragments 2..n first, into the caller's buffers (RFC 7915 §4.1: same identification, offsets continue).
  for (let i = 1; i < nFrag; i++) {
    const fb = res.fragmentBuffers[i - 1]
    const cOff = i * chunk
    const cLen = Math.min(payLen - cOff, chunk)
    const s = payOff + cOff
    // One native copy per extra fragment (the subarray view is the only allocation of this rare path).
    copyBytes(b, s, fb, IPV6_HEADER_LEN + FRAGMENT_HEADER_LEN, cLen)
    writeIpv6(fb, 0, tos, FRAGMENT_HEADER_LEN + cLen, PROTO_FRAGMENT, ttl, addrs)
    writeFragmentHeader(fb, IPV6_HEADER_LEN, nh, fragOff + cOff, i < nFrag - 1 || mf, ident)
    const p = res.packets[i]
    p.off = 0
    p.len = IPV6_HEADER_LEN + FRAGMENT_HEADER_LEN + cLen
  }
  const firstLen = nFrag > 1 ? chunk : payLen
  writeIpv6(b, start, tos, hdrLen - IPV6_HEADER_LEN + firstLen, fragmented ? PROTO_FRAGMENT : nh, ttl, addrs)
  if (fragmented) writeFragmentHeader(b, start + IPV6_HEADER_LEN, nh, fragOff, nFrag > 1 || mf, ident)
  const p0 = res.packets[0]
  p0.buf = b
  p0.off = start
  p0.len = hdrLen + firstLen
  return translated(res, nFrag)
}

/**
 * RFC 7915 §4.3: an ICMPv4 error becomes an ICMPv6 error, its quoted IPv4
 * packet an IPv6 packet (header and transport checksum, not the payload),
 * the whole at most 1280 bytes.
 *
 * Zero-copy when the buffer has the headroom: the quoted payload stays where
 * it is and the three new headers (40 + 8 + 40, +8 for a quoted fragment)
 * are written in front of it, which needs 40..48 bytes before the packet
 * (`NAT64_HEADROOM`). With less, the error is built in `res.errorBuf` (one
 * native copy of the quote). Every field is read before the first write.
 */
function translateIcmp4Error(
  b: Uint8Array,
  payOff: number,
  payLen: number,
  ttlIn: number,
  mapper: AddressMapper,
  o: Nat64Options,
  res: TranslateResult,
): TranslateResult {
  const type = b[payOff]
  const code = b[payOff + 1]
  const m = icmp4to6(type, code)
  if (m < 0) return drop(res, 'nat64-icmp-code-untranslatable')
  const t6 = m >> 8
  let ttl = ttlIn
  if (o.decrementTtl) {
    // No Time Exceeded about an ICMP error (RFC 1122 §3.2.2).
    if (ttl <= 1) return drop(res, 'icmp-about-icmp-error')
    ttl--
  }

  // RFC 4884 §4.1: byte 5 of Destination Unreachable, Time Exceeded and Parameter Problem
  // gives the original datagram's length in 32-bit words when an extension follows it.
  let qLen = payLen - 8
  let extOff = -1
  let extLen = 0
  const words = b[payOff + 5]
  if (words !== 0 && (type === 3 || type === 11 || type === 12)) {
    const origLen = words * 4
    // RFC 4884 §5: a length below 128 is non-compliant; treat the message as having no extension.
    if (origLen >= RFC4884_MIN_ORIGINAL_LEN && origLen + 4 <= qLen) {
      extOff = payOff + 8 + origLen
      extLen = qLen - origLen
      qLen = origLen
    }
  }
  const qOff = payOff + 8
  q4.reset(b, qOff, qLen)
  if (q4.checkQuoted() !== null) return drop(res, 'nat64-icmp-inner-malformed')
  const qihl = q4.headerLen
  const qTotal = q4.totalLen
  const qProto = q4.protocol
  const qFragOff = q4.fragmentOffset
  const qMf = q4.moreFragments
  const qIsFrag = qMf || qFragOff !== 0
  const qSrc = q4.srcAddr
  const qDst = q4.dstAddr
  const qTos = q4.tos
  const qTtl = q4.ttl
  const qIdent = q4.ident
  // Quoted transport bytes: what is there, but not the padding after the datagram's end.
  let qPay = qLen - qihl
  if (qTotal >= qihl && qTotal - qihl < qPay) qPay = qTotal - qihl
  const qPayOff = qOff + qihl
  // RFC 7915 §4.3 / RFC 1122 §3.2.2: an error about an error is never made, so never translated.
  if (qProto === PROTO_ICMP && qFragOff === 0 && qPay >= 1 && isIcmp4Error(b[qPayOff])) {
    return drop(res, 'nat64-icmp-error-in-error')
  }

  const src = v4.srcAddr
  const dst = v4.dstAddr
  const tos = o.resetTrafficClass ? 0 : v4.tos
  if (!mapper.dst4to6(dst, addrs, 16)) return drop(res, 'nat64-dst-unmappable')
  // RFC 6791: a router's address that maps to nothing takes one from the pool.
  if (!mapper.src4to6(src, dst, addrs, 0)) {
    if (o.pool6791 === null || !o.pool6791.pick6(src, addrs, 0))
      return drop(res, 'nat64-icmp-source-unmappable')
  }
  if (!mapper.src4to6(qSrc, qDst, qAddrs, 0) || !mapper.dst4to6(qDst, qAddrs, 16)) {
    return drop(res, 'nat64-icmp-inner-unmappable')
  }

  let rest = 0 // ICMPv6 bytes 4..7
  if (t6 === 4) {
    // Parameter Problem: RFC 7915 §4.2 Figure 3 for code 0/2; 3/2 (protocol unreachable) points at Next Header (6).
    if (type === 12) {
      const p = pointer4to6(b[payOff + 4])
      if (p < 0) return drop(res, 'nat64-icmp-pointer-untranslatable')
      rest = p
    } else {
      rest = 6
    }
  } else if (t6 === 2) {
    rest = ptbMtu4to6(get16(b, payOff + 6), qTotal, o.mtu4, o.mtu6)
  }
  // The quoted ICMP echo's new type, decided before anything is written.
  let qm = -1
  if (qProto === PROTO_ICMP && qFragOff === 0 && qPay >= 4) {
    qm = icmp4to6(b[qPayOff], b[qPayOff + 1])
    if (qm < 0) return drop(res, 'nat64-icmp-type-untranslatable')
  }

  const qh6 = qIsFrag ? IPV6_HEADER_LEN + FRAGMENT_HEADER_LEN : IPV6_HEADER_LEN
  const hdrs = IPV6_HEADER_LEN + 8 + qh6
  // RFC 7915 §4.3: the result must fit 1280 bytes; the quote is cut, never the headers.
  let copy = qPay
  if (copy > ICMPV6_ERROR_MAX_LEN - hdrs) copy = ICMPV6_ERROR_MAX_LEN - hdrs
  if (copy < 0) copy = 0
  // In place when there is headroom for the three headers, else in the result's scratch.
  let e = b
  let start = qPayOff - hdrs
  if (start < 0) {
    e = res.errorBuf
    start = 0
    copyBytes(b, qPayOff, e, hdrs, copy)
  }
  const innerOff = start + IPV6_HEADER_LEN + 8
  const innerPayOff = start + hdrs
  let total = hdrs + copy

  // RFC 4884 §4.1/§5.1: ICMPv6 Destination Unreachable and Time Exceeded carry the length at byte 4
  // in 64-bit words, the original datagram zero-padded to at least 128 bytes. Other types cannot
  // carry an extension; it is dropped, as is one that would not fit in 1280 bytes or in the buffer.
  // Moved first: the new headers may overwrite where it was.
  let lengthWords = 0
  if (extOff >= 0 && (t6 === 1 || t6 === 3)) {
    let padded = (total - (innerOff - start) + 7) & ~7
    if (padded < RFC4884_MIN_ORIGINAL_LEN) padded = RFC4884_MIN_ORIGINAL_LEN
    const extDst = innerOff + padded
    if (extDst - start + extLen <= ICMPV6_ERROR_MAX_LEN && extDst + extLen <= e.length) {
      if (e === b) b.copyWithin(extDst, extOff, extOff + extLen)
      else copyBytes(b, extOff, e, extDst, extLen)
      e.fill(0, start + total, extDst)
      total = extDst - start + extLen
      lengthWords = padded >> 3
    }
  }

  const qNh = qProto === PROTO_ICMP ? PROTO_ICMPV6 : qProto
  let qPayloadLen = qTotal - qihl + (qIsFrag ? FRAGMENT_HEADER_LEN : 0)
  if (qPayloadLen < 0) qPayloadLen = 0
  writeIpv6(e, innerOff, qTos, qPayloadLen & 0xffff, qIsFrag ? PROTO_FRAGMENT : qNh, qTtl, qAddrs)
  if (qIsFrag) writeFragmentHeader(e, innerOff + IPV6_HEADER_LEN, qNh, qFragOff, qMf, qIdent)

  if (qFragOff === 0) {
    const qPseudo = qm >= 0 ? pseudoV6(qAddrs, 0, 16, PROTO_ICMPV6, (qTotal - qihl) & 0xffff) : 0
    fixQuotedTransport(
      e,
      innerPayOff,
      qProto,
      copy,
      sumV4Addrs(qSrc, qDst),
      sum(qAddrs, 0, 32, 0),
      qm,
      0,
      qPseudo,
    )
  }

  const ic = start + IPV6_HEADER_LEN
  e[ic] = t6
  e[ic + 1] = m & 0xff
  e[ic + 2] = 0
  e[ic + 3] = 0
  if (t6 === 1 || t6 === 3) {
    e[ic + 4] = lengthWords
    e[ic + 5] = 0
    e[ic + 6] = 0
    e[ic + 7] = 0
  } else {
    put32(e, ic + 4, rest)
  }
  writeIpv6(e, start, tos, total - IPV6_HEADER_LEN, PROTO_ICMPV6, ttl, addrs)
  // RFC 4443 §2.3: full checksum over the new message (at most 1240 bytes).
  const icmpLen = total - IPV6_HEADER_LEN
  put16(e, ic + 2, finish(sum(e, ic, icmpLen, pseudoV6(addrs, 0, 16, PROTO_ICMPV6, icmpLen))))
  const p0 = res.packets[0]
  p0.buf = e
  p0.off = start
  p0.len = total
  return translated(res, 1)
}
