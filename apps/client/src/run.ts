/**
 * The client's shell: everything that touches the world, kept thin. It owns the UDP socket to
 * the gateway, the TUN device, the upstream DNS sockets (dns-resolver's `exchange`), the one
 * timer, /etc/resolv.conf, logs, metrics and shutdown; every decision is `ClientState`'s.
 *
 * After every input the shell drains the core in the documented order: `pollTransmit` (UDP to
 * the gateway), `pollTunWrite` (TUN), `pollDnsReply` (the shell's DNS sockets), `pollDnsForward`
 * (upstream DNS), re-arms its timer from `pollTimeout`, then logs `pollEvent`s.
 */

import { lookup } from 'node:dns/promises'
import { readFileSync } from 'node:fs'
import {
  type ClientConfig,
  type Logger,
  MetricsRegistry,
  Shutdown,
  serveMetrics,
} from '@gatehouse/app-common'
import { buildSentinels, exchange, frameTcp } from '@gatehouse/dns-resolver'
import { ipFromText } from '@gatehouse/ip-packet'
import { openTun, type Tun } from '@gatehouse/tun'
import { formatKey, parseKey, publicKey } from '@gatehouse/wireguard'
import type { udp } from 'bun'
import {
  DEFAULT_RESOLV_CONF,
  type ResolvConfTakeover,
  recoverResolvConf,
  takeOverResolvConf,
} from './resolv-conf.ts'
import { dnsResources, routedIntoTun, splitEndpoint, tunAddresses, tunRoutes, upstreamsFor } from './setup.ts'
import { CLIENT_DROPS, type ClientEvent, ClientState } from './state.ts'

/** How long SIGTERM waits for the Goodbye to leave before closing the socket. */
const DRAIN_MS = 100
/** An upstream socket stays open a little past the stub's own timeout (5 s). */
const DNS_LINGER_MS = 5_100

const random = (b: Uint8Array) => {
  crypto.getRandomValues(b)
}
const now = () => performance.now()

/** What the shell writes to a TCP asker: the socket's write (answers framed per RFC 1035 §4.2.2). */
export interface TcpAsker {
  write(b: Uint8Array): number
}

export interface RunOptions {
  config: ClientConfig
  log: Logger
  /** resolv.conf path (tests point it at a temporary file). */
  resolvConfPath?: string
}

/** A running client; `stop()` says Goodbye and releases everything (TUN, routes, resolv.conf). */
export interface RunningClient {
  readonly state: ClientState<TcpAsker>
  readonly tun: Tun
  readonly port: number
  stop(): Promise<void>
}

export async function runClient(opts: RunOptions): Promise<RunningClient> {
  const { config: cfg, log } = opts
  const resolvPath = opts.resolvConfPath ?? DEFAULT_RESOLV_CONF
  const shutdown = new Shutdown((step, e) => log.error('shutdown step failed', { step, error: e }))
  try {
    return await start(cfg, log, resolvPath, shutdown)
  } catch (e) {
    // Undo whatever was set up (TUN, routes, resolv.conf) before reporting the failure.
    await shutdown.run()
    throw e
  }
}

async function start(
  cfg: ClientConfig,
  log: Logger,
  resolvPath: string,
  shutdown: Shutdown,
): Promise<RunningClient> {
  // 1. A backup left by a client that crashed comes back first: it holds the host's real resolvers.
  if (cfg.dnsControl === 'etc-resolv-conf' && recoverResolvConf(resolvPath))
    log.warn('restored resolv.conf left behind by a previous run', { path: resolvPath })

  // 2. The upstreams the sentinels stand for.
  let resolvText = ''
  try {
    resolvText = readFileSync(resolvPath, 'utf8')
  } catch {
    // none: only configured upstreams
  }
  const upstreams = upstreamsFor(cfg.upstreamDns, resolvText)
  const sentinels = buildSentinels(upstreams, 'upstreamDns')
  if (sentinels.length === 0)
    log.warn('no upstream DNS: only resource names will resolve', { resolvConf: resolvPath })

  // 3. The gateway's endpoint (a name is resolved once, at start).
  const ep = splitEndpoint(cfg.gateway.endpoint)
  const address = ipFromText(ep.host) !== null ? ep.host : (await lookup(ep.host)).address
  const endpoint = { address, port: ep.port }

  const state = new ClientState<TcpAsker>({
    privateKey: parseKey(cfg.privateKey, 'privateKey'),
    presharedKey: cfg.presharedKey === undefined ? null : parseKey(cfg.presharedKey, 'presharedKey'),
    gatewayPublicKey: parseKey(cfg.gateway.publicKey, 'gateway.publicKey'),
    gatewayEndpoint: endpoint,
    tunnelIpv4: cfg.ipv4,
    tunnelIpv6: cfg.ipv6,
    sentinels,
    dnsResources: dnsResources(cfg),
    random,
    unixMs: () => Date.now(),
  })

  let tun: Tun | null = null
  /** What the shell itself failed to do, counted beside the core's drops. */
  const shellDrops = { 'udp-send-failed': 0, 'tun-write-failed': 0 }
  const toTun = (b: Uint8Array, off: number, len: number) => {
    if (tun !== null && !tun.write(b, off, len)) shellDrops['tun-write-failed']++
  }
  let socket: udp.Socket<'uint8array'> | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let timerAt = Number.POSITIVE_INFINITY

  const flush = () => {
    const s = socket
    for (let t = state.pollTransmit(); t !== null; t = state.pollTransmit())
      if (s !== null && !s.send(t.data.subarray(0, t.length), t.to.port, t.to.address))
        shellDrops['udp-send-failed']++
    for (let p = state.pollTunWrite(); p !== null; p = state.pollTunWrite()) toTun(p, 0, p.length)
    for (let r = state.pollDnsReply(); r !== null; r = state.pollDnsReply()) r.handle.write(frameTcp(r.bytes))
    for (let f = state.pollDnsForward(); f !== null; f = state.pollDnsForward()) {
      const token = f.token
      exchange(f.upstream, f.transport, f.bytes, DNS_LINGER_MS, (reply) => {
        state.handleUpstreamResponse(now(), token, reply)
        flush()
      })
    }
    arm()
    for (let e = state.pollEvent(); e !== null; e = state.pollEvent()) onEvent(log, e)
  }

  const arm = () => {
    const at = state.pollTimeout()
    if (at === null || at === timerAt) return
    if (timer !== null) clearTimeout(timer)
    timerAt = at
    timer = setTimeout(
      () => {
        timer = null
        timerAt = Number.POSITIVE_INFINITY
        state.handleTimeout(now())
        flush()
      },
      Math.max(0, at - now()),
    )
  }
  shutdown.add('timer', () => {
    if (timer !== null) clearTimeout(timer)
    timer = null
  })

  // 4. UDP to the gateway, same family as its endpoint.
  const v6 = address.includes(':')
  socket = await Bun.udpSocket({
    hostname: v6 ? '::' : '0.0.0.0',
    port: 0,
    binaryType: 'uint8array',
    socket: {
      data(_s, data, port, addr) {
        const v = state.handleDatagram(now(), { address: addr, port }, data, data.length)
        if (v === 'forward') toTun(data, state.rx.off, state.rx.len)
        flush()
      },
      // ICMP port unreachable while the gateway restarts: WireGuard's timers recover.
      error(_s, e) {
        log.debug('udp socket error', { error: e })
      },
    },
  })
  const sock = socket
  shutdown.add('udp socket', () => sock.close())

  // 5. Routes: the gateway itself must not be routed into the tunnel (Internet or CIDR resources).
  const routes = tunRoutes(cfg)
  if (routedIntoTun(address, routes)) {
    const undo = pinHostRoute(address)
    shutdown.add('gateway host route', undo)
    log.info('gateway endpoint kept outside the tunnel', { endpoint: address })
  }

  // 6. The TUN device: our tunnel IPs; proxy, sentinel and CIDR ranges routed into it.
  const device = openTun({ name: cfg.tun.name, mtu: cfg.tun.mtu, addresses: tunAddresses(cfg), routes })
  tun = device
  shutdown.add('tun device', () => device.close())
  device.onPackets((buf, off, len) => {
    state.handleTunPacket(now(), buf, off, len)
    flush()
  })

  // 7. The host's DNS -> the sentinels (last, once everything answering them is up).
  let takeover: ResolvConfTakeover | null = null
  if (cfg.dnsControl === 'etc-resolv-conf' && sentinels.length > 0) {
    takeover = takeOverResolvConf(
      resolvPath,
      sentinels.map((s) => s.address),
    )
    const t = takeover
    shutdown.add('resolv.conf', () => {
      t.restore()
      log.info('restored resolv.conf', { path: resolvPath })
    })
    log.info('pointed resolv.conf at the sentinels', { path: resolvPath, backup: t.backup })
  }

  // 8. Metrics.
  if (cfg.metrics.listen !== undefined) {
    const m = splitEndpoint(cfg.metrics.listen)
    const server = serveMetrics(registerMetrics(state, shellDrops), { host: m.host, port: m.port })
    shutdown.add('metrics', () => server.stop(true))
    log.info('serving metrics', { listen: cfg.metrics.listen })
  }

  // Goodbye runs first on shutdown (newest step first).
  shutdown.add('goodbye', async () => {
    state.shutdown(now())
    flush()
    await Bun.sleep(DRAIN_MS)
  })

  // Handshake now, so the first query does not wait for it.
  state.device.initiate(now(), state.gateway)
  flush()

  log.info('client running', {
    name: cfg.name,
    publicKey: formatKey(publicKey(parseKey(cfg.privateKey, 'privateKey'))),
    gateway: `${endpoint.address}:${endpoint.port}`,
    tun: device.name,
    tunIpv4: cfg.ipv4,
    tunIpv6: cfg.ipv6,
    routes,
    sentinels: sentinels.map((s) => `${s.address} -> ${s.upstream.address}:${s.upstream.port}`),
    resources: cfg.resources.length,
    dnsControl: cfg.dnsControl,
  })
  return { state, tun: device, port: sock.port, stop: () => shutdown.run() }
}

function onEvent(log: Logger, e: ClientEvent): void {
  switch (e.type) {
    case 'handshake-complete':
      log.info('gateway handshake', { resyncedMappings: e.resync })
      return
    case 'handshake-failed':
      log.warn('gateway handshake failed')
      return
    case 'assigned':
      log.debug('proxy IPs assigned', { name: e.name, resource: e.resource, proxyIps: e.proxyIps })
      return
    case 'domain-status':
      log.info('domain status', { name: e.name, resource: e.resource, status: e.status })
      return
    case 'status-timeout':
      log.warn('no domain status from the gateway in time', { name: e.name, resource: e.resource })
      return
    case 'goodbye':
      log.info('gateway said goodbye', { reason: e.reason })
      return
    case 'proxy-ips-exhausted':
      log.warn('proxy IPs exhausted', { name: e.name, resource: e.resource })
      return
  }
}

/**
 * Pins a host route for `ip` through the route it takes now (before the TUN's routes exist), so
 * WireGuard's own datagrams never enter the tunnel. Returns the undo.
 */
function pinHostRoute(ip: string): () => void {
  const v6 = ip.includes(':')
  const fam = v6 ? '-6' : '-4'
  const got = Bun.spawnSync(['ip', '-j', fam, 'route', 'get', ip])
  if (got.exitCode !== 0)
    throw new Error(`gateway.endpoint: no route to ${ip}: ${got.stderr.toString().trim()}`)
  const r = (JSON.parse(got.stdout.toString()) as { gateway?: string; dev: string }[])[0]
  const dst = `${ip}/${v6 ? 128 : 32}`
  const args = ['ip', fam, 'route', 'replace', dst, ...(r.gateway ? ['via', r.gateway] : []), 'dev', r.dev]
  const add = Bun.spawnSync(args)
  if (add.exitCode !== 0)
    throw new Error(`gateway.endpoint: ${args.join(' ')}: ${add.stderr.toString().trim()}`)
  return () => {
    Bun.spawnSync(['ip', fam, 'route', 'del', dst, 'dev', r.dev])
  }
}

/** Prometheus families over the core's plain counters (read at scrape time only). */
export function registerMetrics(
  state: ClientState<unknown>,
  shellDrops: Readonly<Record<string, number>> = {},
): MetricsRegistry {
  const m = new MetricsRegistry()
  m.counter(
    'gatehouse_drops_total',
    'Packets and messages dropped, by reason (WireGuard, DNS stub, client).',
    () => {
      const out: Record<string, number> = {}
      for (const [k, v] of Object.entries(state.device.drops)) out[k] = v
      for (const [k, v] of Object.entries(state.stub.drops)) out[k] = (out[k] ?? 0) + v
      for (const k of CLIENT_DROPS) out[k] = (out[k] ?? 0) + state.drops[k]
      for (const [k, v] of Object.entries(shellDrops)) out[k] = (out[k] ?? 0) + v
      return out
    },
    'reason',
  )
  m.counter(
    'gatehouse_packets_total',
    'Packets by path.',
    () => ({ 'tun-to-gateway': state.stats.tunToGateway, 'gateway-to-tun': state.stats.gatewayToTun }),
    'path',
  )
  m.counter(
    'gatehouse_dns_queries_total',
    'DNS queries from applications, and how many were forwarded upstream or resolved at the site.',
    () => ({
      all: state.stats.dnsQueries,
      forwarded: state.stats.dnsForwarded,
      'at-site': state.stats.dnsAtSite,
    }),
    'kind',
  )
  m.counter(
    'gatehouse_control_messages_total',
    'Control messages exchanged with the gateway.',
    () => ({
      sent: state.stats.controlSent,
      received: state.stats.controlReceived,
      resync: state.stats.resyncMessages,
      goodbye: state.stats.goodbyes,
    }),
    'kind',
  )
  m.gauge(
    'gatehouse_dns_names',
    'Resource names with proxy IPs, by status at the gateway.',
    () => {
      const out: Record<string, number> = { pending: 0, active: 0, failed: 0 }
      for (const n of state.names()) out[n.status]++
      return out
    },
    'status',
  )
  m.counter(
    'gatehouse_handshakes_total',
    'WireGuard handshakes completed with the gateway.',
    () => state.stats.handshakes,
  )
  m.counter(
    'gatehouse_goodbye_handshake_retries_total',
    'Handshake initiations re-sent early after a Goodbye (250 ms doubling backoff, instead of REKEY_TIMEOUT).',
    () => state.stats.goodbyeRetries,
  )
  return m
}
