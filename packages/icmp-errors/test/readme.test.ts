/** The README's examples, as written there, and what they claim. */
import { describe, expect, test } from 'bun:test'
import { get32 } from '@gatehouse/ip-packet'
import {
  buildV6AddressUnreachable,
  IcmpErrorView,
  IcmpRateLimiter,
  icmpReasonCounters,
} from '../src/index.ts'
import { icmpv6Ok, ipv4Packet, ipv6Packet, tcp, udp, v6 } from './helpers.ts'

describe('README examples', () => {
  test('refusing a packet to a proxy IPv6 that maps only to IPv4 (1/3, rate limited)', () => {
    // --- README example 1 ---
    const drops = icmpReasonCounters()
    const gatewayTunIp6 = new Uint8Array(16) // fd00:2021:1111::1, from config
    const limiter = new IcmpRateLimiter({ ratePerSec: 100, burst: 50 })
    const pool = new Uint8Array(1280)

    // A client packet to a proxy IPv6 that maps only to IPv4, with the flag on:
    function refuse(pkt: Uint8Array, len: number, now: number): Uint8Array | null {
      const r = buildV6AddressUnreachable(pkt, 0, len, gatewayTunIp6, 0, pool, 0, limiter, now)
      if (typeof r === 'number') return pool.subarray(0, r) // write this to the tunnel
      drops[r]++ // e.g. 'icmp-rate-limited', 'icmp-about-icmp-error'
      return null
    }
    // --- end ---
    gatewayTunIp6.set(v6('fd00:2021:1111::1'))
    const syn = ipv6Packet(tcp(40000, 443), {
      src: v6('fd00:2021:1111::2'),
      dst: v6('fd00:2021:1111:8000::1'),
      proto: 6,
    })
    const e = refuse(syn, syn.length, 0)
    expect(e).not.toBeNull()
    expect([e![40], e![41]]).toEqual([1, 3])
    expect(icmpv6Ok(e!)).toBe(true)
    for (let i = 0; i < 60; i++) refuse(syn, syn.length, 0)
    expect(drops['icmp-rate-limited']).toBe(11)
    const mcast = ipv6Packet(udp(1, 2), { dst: v6('ff02::1') })
    expect(refuse(mcast, mcast.length, 0)).toBeNull()
    expect(drops['icmp-dst-multicast']).toBe(1)
  })

  test('routing an error back through the NAT', () => {
    // --- README example 2 ---
    const view = new IcmpErrorView()
    // An error arrived from the resource side, about a packet the NAT sent as 192.0.2.80:443 from port 61000.
    function reverse(buf: Uint8Array, len: number): boolean {
      if (view.reset(buf, 0, len) !== null || view.version !== 4) return false
      const q = view.quote // q.protocol, q.src4, q.srcPort, q.dst4, q.dstPort: the NAT entry's outside tuple
      view.setQuotedDst4(0x64600001) // back to the proxy IP 100.96.0.1
      view.setQuotedSrcPort(40000) // and the client's own port
      view.setOuterSrc4(0x64600001)
      return q.dstPort === 443
    }
    // --- end ---
    const natted = ipv4Packet(tcp(61000, 443), { src: 0x64400002, dst: 0xc0000250, proto: 6 })
    const quote = natted.subarray(0, 28) // the resource quoted 8 bytes of TCP
    const icmp = new Uint8Array(8 + quote.length)
    icmp[0] = 3
    icmp[1] = 3
    icmp.set(quote, 8)
    const err = ipv4Packet(icmp, { src: 0xc0000250, dst: 0x64400002, proto: 1 })
    expect(reverse(err, err.length)).toBe(true)
    expect(get32(err, 12)).toBe(0x64600001)
    expect(get32(err, 28 + 16)).toBe(0x64600001)
    expect((err[48] << 8) | err[49]).toBe(40000)
    expect(view.verifyChecksums()).toBeNull()
  })
})
