/** README.md's example, run with real packets. */
import { expect, test } from 'bun:test'
import { buildTcp6, get32, ipv4ToText, ipv6FromText } from '@gatehouse/ip-packet'
import { NAT64_HEADROOM, PairMapper, Translator } from '../src/index.ts'
import { allFailures } from './helpers.ts'

test('README example: the gateway translates a client packet to a proxy IPv6 into IPv4, and answers an oversized one', () => {
  // The client's tunnel IPs, and a proxy IPv6 that stands for a real IPv4.
  const mapper = new PairMapper('fd00:2021:1111::1', '100.64.0.1', 'fd00:2021:1111:8000::5', '93.184.216.34')
  const nat64 = new Translator(mapper, { mtu4: 1500 })
  const buf = new Uint8Array(NAT64_HEADROOM + 1500) // read each packet at NAT64_HEADROOM

  type Send = (buf: Uint8Array, off: number, len: number) => void // e.g. tun.write, or the WireGuard encapsulation

  function onPacket(len: number, sendOut: Send, sendBack: Send): void {
    const r = nat64.translate({ buf, off: NAT64_HEADROOM, len })
    if (r.action === 'translated') {
      for (let i = 0; i < r.count; i++) sendOut(r.packets[i].buf, r.packets[i].off, r.packets[i].len)
    } else if (r.action === 'icmp-error') {
      sendBack(r.packets[0].buf, r.packets[0].off, r.packets[0].len) // e.g. Packet Too Big, to the packet's source
    } // 'drop': r.reason says why, nat64.counts counts it
  }

  const out: Uint8Array[] = []
  const back: Uint8Array[] = []
  const keepOut: Send = (b, o, l) => out.push(b.slice(o, o + l))
  const keepBack: Send = (b, o, l) => back.push(b.slice(o, o + l))

  const src = ipv6FromText('fd00:2021:1111::1')!
  const dst = ipv6FromText('fd00:2021:1111:8000::5')!
  const small = buildTcp6(
    { src, dst, srcPort: 50000, dstPort: 443, payload: new Uint8Array(100) },
    buf,
    NAT64_HEADROOM,
  )
  onPacket(small.length, keepOut, keepBack)
  expect(out.length).toBe(1)
  expect(ipv4ToText(get32(out[0], 12))).toBe('100.64.0.1')
  expect(ipv4ToText(get32(out[0], 16))).toBe('93.184.216.34')
  expect(allFailures({ buf: out[0], off: 0, len: out[0].length })).toEqual([])

  // 1500 bytes of IPv6 with no Fragment header become 1480 bytes of IPv4 with DF: they fit a 1500 MTU.
  const big = buildTcp6(
    { src, dst, srcPort: 50000, dstPort: 443, payload: new Uint8Array(1440) },
    buf,
    NAT64_HEADROOM,
  )
  onPacket(big.length, keepOut, keepBack)
  expect(out.length).toBe(2)
  expect(nat64.counts.translated).toBe(2)

  // With a 1400-byte IPv4 MTU the same packet is answered with Packet Too Big (1420).
  const narrow = new Translator(mapper, { mtu4: 1400 })
  buildTcp6({ src, dst, srcPort: 50000, dstPort: 443, payload: new Uint8Array(1440) }, buf, NAT64_HEADROOM)
  const r = narrow.translate({ buf, off: NAT64_HEADROOM, len: big.length })
  expect(r.action).toBe('icmp-error')
  expect(r.reason).toBe('nat64-packet-too-big')
  expect(narrow.counts['nat64-packet-too-big']).toBe(1)
  expect(back.length).toBe(0)
})
