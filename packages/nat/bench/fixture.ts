/**
 * A gateway NAT holding `clients × 1000` confirmed sessions: each client has 4 IPv4 +
 * 4 IPv6 proxy IPs onto 2 real IPv4 + 2 real IPv6 addresses, 125 source ports per proxy
 * IP, TCP and UDP alternating. 10 clients = 10 000 sessions.
 */
import { Flow, GatewayNat } from '../src/index.ts'

export const TCP = 6
export const UDP = 17

function v4(i: number, j: number): number {
  return ((100 << 24) | (64 << 16) | (i << 8) | j) >>> 0
}

export function clientIp4(c: number): string {
  return `100.64.${c >> 8}.${(c & 255) + 1}`
}
export function clientIp6(c: number): string {
  return `fd00:2021:1111::${(c + 1).toString(16)}`
}
export function proxy4(c: number, k: number): string {
  return `100.96.${c}.${k + 1}`
}
export function proxy6(c: number, k: number): string {
  // The low 21 bits of fd00:2021:1111:8000::/107.
  const n = c * 8 + k + 1
  return `fd00:2021:1111:8000::${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}`
}
export const REAL4 = ['192.0.2.10', '192.0.2.11']
export const REAL6 = ['2001:db8::10', '2001:db8::11']
export const PORTS_PER_PROXY = 125
export const FIRST_PORT = 20000

function parse4(t: string): number {
  const [a, b, c, d] = t.split('.').map(Number)
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0
}

function parse6(t: string): Uint8Array {
  const [head, tail = ''] = t.split('::')
  const h = head ? head.split(':') : []
  const tl = tail ? tail.split(':') : []
  const groups = [...h, ...Array(8 - h.length - tl.length).fill('0'), ...tl].map((g) =>
    Number.parseInt(g, 16),
  )
  const out = new Uint8Array(16)
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8
    out[2 * i + 1] = g & 255
  })
  return out
}

export { parse4, parse6 }

/** The outbound tuple of session (client c, proxy k (0..3 v4, 4..7 v6), port index p). */
export function outFlow(c: number, k: number, p: number, f = new Flow()): Flow {
  const proto = p & 1 ? UDP : TCP
  if (k < 4) f.setV4(proto, parse4(clientIp4(c)), parse4(proxy4(c, k)), FIRST_PORT + p, 443)
  else f.setV6(proto, parse6(clientIp6(c)), parse6(proxy6(c, k - 4)), FIRST_PORT + p, 443)
  return f
}

/** The reply tuple for the same session (assumes port' = port, true in this fixture). */
export function replyFlow(c: number, k: number, p: number, f = new Flow()): Flow {
  const proto = p & 1 ? UDP : TCP
  if (k < 4) f.setV4(proto, parse4(REAL4[k & 1]), parse4(clientIp4(c)), 443, FIRST_PORT + p)
  else f.setV6(proto, parse6(REAL6[k & 1]), parse6(clientIp6(c)), 443, FIRST_PORT + p)
  return f
}

/** Build the NAT with `clients` × 1000 sessions, all confirmed by a reply at t = 0. */
export function populated(clients: number, opts: { initialSessions?: number } = {}): GatewayNat {
  const nat = new GatewayNat({ seed: 0x9e3779b9, initialSessions: opts.initialSessions ?? 1024 })
  nat.addResource({ kind: 'dns', id: 'web' })
  for (let c = 0; c < clients; c++) {
    nat.addClient(c, { ipv4: clientIp4(c), ipv6: clientIp6(c) })
    nat.allow(c, 'web')
    const proxies = [0, 1, 2, 3].map((k) => proxy4(c, k)).concat([0, 1, 2, 3].map((k) => proxy6(c, k)))
    nat.setDomainMapping(c, 'web', 'web.example', proxies, [...REAL4, ...REAL6])
    for (let k = 0; k < 8; k++) {
      // Parse the addresses once per proxy IP, then only change the ports.
      const o = outFlow(c, k, 0)
      const r = replyFlow(c, k, 0)
      for (let p = 0; p < PORTS_PER_PROXY; p++) {
        // Ports differ per proxy IP sharing a real IP, so port' = port.
        const port = p + (k >> 1) * PORTS_PER_PROXY
        o.protocol = r.protocol = port & 1 ? UDP : TCP
        o.srcPort = r.dstPort = FIRST_PORT + port
        if (nat.handleOutboundFlow(0, c, o, false) !== 'forward') throw new Error('fixture: outbound')
        if (nat.handleInboundFlow(0, r) !== 'forward') throw new Error('fixture: reply')
      }
    }
  }
  return nat
}

export { v4 }
