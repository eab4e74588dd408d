/** Shared fixtures: a gateway with two clients and a few resources, and tuple builders. */
import { ipv4FromText, ipv6FromText } from '@gatehouse/ip-packet'
import { Flow, GatewayNat, type GatewayNatOptions } from '../src/index.ts'

export const TCP = 6
export const UDP = 17
export const ICMP = 1
export const ICMPV6 = 58

export function v4(t: string): number {
  const a = ipv4FromText(t)
  if (a === null) throw new Error(`bad v4 ${t}`)
  return a
}

export function v6(t: string): Uint8Array {
  const a = ipv6FromText(t)
  if (a === null) throw new Error(`bad v6 ${t}`)
  return a
}

/** A tuple of either family from text addresses. */
export function flow(
  protocol: number,
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
  tcpFlags = 0,
): Flow {
  const f = new Flow()
  if (src.includes(':')) f.setV6(protocol, v6(src), v6(dst), srcPort, dstPort)
  else f.setV4(protocol, v4(src), v4(dst), srcPort, dstPort)
  f.tcpFlags = tcpFlags
  return f
}

/** An ICMP(v6) echo request (outbound) or reply (inbound) tuple with identifier `id`. */
export function echo(src: string, dst: string, id: number, reply = false): Flow {
  const six = src.includes(':')
  const f = flow(six ? ICMPV6 : ICMP, src, dst, id, id)
  f.icmpType = six ? (reply ? 129 : 128) : reply ? 0 : 8
  return f
}

export const A = { id: 1, ipv4: '100.64.0.1', ipv6: 'fd00:2021:1111::1' }
export const B = { id: 2, ipv4: '100.64.0.2', ipv6: 'fd00:2021:1111::2' }

/** Proxy IPs the client gave for one (domain, resource): 4 IPv4 + 4 IPv6. */
export const PROXIES_1 = [
  '100.96.0.1',
  '100.96.0.2',
  '100.96.0.3',
  '100.96.0.4',
  'fd00:2021:1111:8000::1',
  'fd00:2021:1111:8000::2',
  'fd00:2021:1111:8000::3',
  'fd00:2021:1111:8000::4',
]
export const PROXIES_2 = [
  '100.96.0.5',
  '100.96.0.6',
  '100.96.0.7',
  '100.96.0.8',
  'fd00:2021:1111:8000::5',
  'fd00:2021:1111:8000::6',
  'fd00:2021:1111:8000::7',
  'fd00:2021:1111:8000::8',
]

/** A gateway with clients A and B, a DNS resource `web` (no filters), `api` (TCP 443, ICMP), a CIDR and an Internet resource. */
export function gateway(opts: GatewayNatOptions = {}): GatewayNat {
  const nat = new GatewayNat(opts)
  nat.addResource({ kind: 'dns', id: 'web' })
  nat.addResource({
    kind: 'dns',
    id: 'api',
    filters: [{ protocol: 'tcp', from: 443, to: 443 }, { protocol: 'icmp' }],
  })
  nat.addResource({
    kind: 'cidr',
    id: 'lan',
    address: '10.0.0.0/8',
    filters: [{ protocol: 'tcp', from: 22, to: 22 }],
  })
  nat.addResource({ kind: 'cidr', id: 'lan-db', address: '10.1.0.0/16' })
  nat.addResource({ kind: 'cidr', id: 'lan6', address: 'fd99::/64' })
  nat.addResource({ kind: 'internet', id: 'internet' })
  nat.addClient(A.id, { ipv4: A.ipv4, ipv6: A.ipv6 })
  nat.addClient(B.id, { ipv4: B.ipv4, ipv6: B.ipv6 })
  for (const c of [A.id, B.id]) {
    nat.allow(c, 'web')
    nat.allow(c, 'api')
  }
  return nat
}
