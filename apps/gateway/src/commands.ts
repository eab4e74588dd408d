/**
 * `init` and `add-client`, as functions of plain data (the file I/O is in main.ts), so they are
 * tested without touching the disk.
 */
import { type ClientConfig, clientConfigSchema } from '@gatehouse/app-common'
import { ipFromText, ipToText, ipv4ToText, ipv6ToText, parseCidr } from '@gatehouse/ip-packet'
import { formatKey, generatePrivateKey, parseKey, publicKey } from '@gatehouse/wireguard'
import { type GatewayConfig, gatewayConfigSchema } from './config.ts'

/** A fresh, working gateway config: new keys, defaults for everything else. */
export function initConfig(
  random: (b: Uint8Array) => void,
  opts: { listen?: string | undefined; publicEndpoint?: string | undefined } = {},
): Record<string, unknown> {
  const cfg: Record<string, unknown> = {
    listen: opts.listen ?? '0.0.0.0:51820',
    privateKey: formatKey(generatePrivateKey(random)),
    tun: { name: 'gatehouse-gw', ipv4: '100.64.0.1', ipv6: 'fd00:2021:1111::1', mtu: 1280 },
    clientPool: { ipv4: '100.64.0.0/11', ipv6: 'fd00:2021:1111::/107' },
    upstreamDns: [],
    log: { console: 'human', level: 'INFO' },
    resources: [],
    clients: [],
  }
  if (opts.publicEndpoint !== undefined) cfg.publicEndpoint = opts.publicEndpoint
  gatewayConfigSchema.parse(cfg) // a programmer error if our own output does not validate
  return cfg
}

/**
 * Adds client `name` to the raw config (allocating the lowest free tunnel IPs of the client pool,
 * the same offset in both families) and returns the new config and the client's config.
 * Throws an Error naming the problem: a name taken, an unknown resource, a full pool.
 */
export function addClient(
  raw: Record<string, unknown>,
  name: string,
  resources: readonly string[],
  random: (b: Uint8Array) => void,
): { config: Record<string, unknown>; client: ClientConfig } {
  const cfg: GatewayConfig = gatewayConfigSchema.parse(raw)
  if (cfg.clients.some((c) => c.name === name)) throw new Error(`add-client: a client named '${name}' exists`)
  for (const id of resources) {
    if (!cfg.resources.some((r) => r.id === id))
      throw new Error(
        `add-client --resources: no resource '${id}' (known: ${cfg.resources.map((r) => r.id).join(', ') || 'none'})`,
      )
  }
  const { ipv4, ipv6 } = allocate(cfg)
  const key = generatePrivateKey(random)
  const entry = { name, publicKey: formatKey(publicKey(key)), ipv4, ipv6, resources: [...resources] }
  const clients = Array.isArray(raw.clients) ? [...raw.clients] : []
  clients.push(entry)
  const config = { ...raw, clients }
  gatewayConfigSchema.parse(config)

  const listenPort = Number(cfg.listen.slice(cfg.listen.lastIndexOf(':') + 1))
  const client = clientConfigSchema.parse({
    name,
    privateKey: formatKey(key),
    ipv4,
    ipv6,
    gateway: {
      publicKey: formatKey(publicKey(parseKey(cfg.privateKey, 'privateKey'))),
      // Without publicEndpoint the client is assumed to reach the listen port on this host.
      endpoint: cfg.publicEndpoint ?? `127.0.0.1:${listenPort}`,
      ipv4: cfg.tun.ipv4,
      ipv6: cfg.tun.ipv6,
    },
    resources: cfg.resources.filter((r) => resources.includes(r.id)),
  })
  return { config, client }
}

/** The lowest offset n >= 1 whose address in both pools is used neither by a client nor by the gateway. */
function allocate(cfg: GatewayConfig): { ipv4: string; ipv6: string } {
  const p4 = parseCidr(cfg.clientPool.ipv4)
  const p6 = parseCidr(cfg.clientPool.ipv6)
  if (p4?.family !== 4 || p6?.family !== 6) throw new Error('clientPool: not an IPv4 and an IPv6 CIDR')
  const canonical = (t: string) => {
    const a = ipFromText(t)
    return a === null ? t : ipToText(a)
  }
  const used = new Set<string>([canonical(cfg.tun.ipv4), canonical(cfg.tun.ipv6)])
  for (const c of cfg.clients) {
    used.add(canonical(c.ipv4))
    used.add(canonical(c.ipv6))
  }
  const size4 = 2 ** (32 - p4.prefixLen)
  const base4 = (p4.addr4 & (p4.prefixLen === 0 ? 0 : ~(2 ** (32 - p4.prefixLen) - 1))) >>> 0
  // Skip the network address (n = 0) and the broadcast address (n = size - 1) of the IPv4 pool.
  for (let n = 1; n < size4 - 1; n++) {
    const a4 = ipv4ToText((base4 + n) >>> 0)
    const b6 = p6.addr6.slice()
    let carry = n
    for (let i = 15; i >= 0 && carry > 0; i--) {
      const v = b6[i] + (carry & 0xff)
      b6[i] = v & 0xff
      carry = (carry >>> 8) + (v >> 8)
    }
    const a6 = ipv6ToText(b6)
    if (!used.has(a4) && !used.has(a6)) return { ipv4: a4, ipv6: a6 }
  }
  throw new Error(`clientPool: no free address left in ${cfg.clientPool.ipv4}`)
}
