/**
 * The gateway's shell: everything that touches the world, kept thin. It owns the UDP socket, the
 * TUN device, DNS sockets (through dns-resolver's `exchange`), the one timer, the feature-flag
 * poller, logs, metrics and shutdown; every decision is `GatewayState`'s.
 *
 * After every input the shell drains the core in the documented order: `pollTransmit` (UDP to
 * clients), `pollTunWrite` (TUN), `pollDnsTransmit` (DNS to the site), re-arms its timer from
 * `pollTimeout`, then logs `pollEvent`s.
 */
import { readFileSync } from 'node:fs'
import { type Logger, MetricsRegistry, Shutdown, serveMetrics } from '@gatehouse/app-common'
import {
  exchange,
  GatewayResolver,
  parseResolvConf,
  parseUpstream,
  type Upstream,
} from '@gatehouse/dns-resolver'
import { FeatureFlags, GATEHOUSE_FLAGS, parseOverrides } from '@gatehouse/feature-flags'
import { ipFromText } from '@gatehouse/ip-packet'
import { openTun, type Tun, type TunCounters } from '@gatehouse/tun'
import { formatKey, parseKey, publicKey } from '@gatehouse/wireguard'
import type { udp } from 'bun'
import type { GatewayConfig } from './config.ts'
import { GATEWAY_DROP_REASONS, type GatewayEvent, GatewayState } from './state.ts'

/** How long SIGTERM waits for the Goodbyes to leave before closing the socket. */
const DRAIN_MS = 200
/** A DNS socket stays open this long for a late answer; the resolver's own timeout decides. */
const DNS_LINGER_MS = 5000

const random = (b: Uint8Array) => {
  crypto.getRandomValues(b)
}
const now = () => performance.now()

export interface RunOptions {
  config: GatewayConfig
  log: Logger
  argv: readonly string[]
  env: Record<string, string | undefined>
}

/** A running gateway; `stop()` says Goodbye, drains and releases everything. */
export interface RunningGateway {
  readonly state: GatewayState
  readonly port: number
  readonly tun: Tun | null
  stop(): Promise<void>
}

export async function runGateway(opts: RunOptions): Promise<RunningGateway> {
  const { config: cfg, log } = opts
  const gwPublic = formatKey(publicKey(parseKey(cfg.privateKey, 'privateKey')))

  // Feature flags: offline unless a backend is configured; read per packet as a plain field.
  const { overrides, warnings } = parseOverrides(GATEHOUSE_FLAGS, opts.argv, opts.env)
  for (const w of warnings) log.warn(w)
  const ffc = cfg.featureFlags
  const ff = new FeatureFlags({
    registry: GATEHOUSE_FLAGS,
    backend:
      ffc.url === undefined
        ? {}
        : {
            url: ffc.url,
            apiKey: ffc.apiKey ?? null,
            intervalMs: Math.round(ffc.intervalSeconds * 1000),
            graceMs: Math.round(ffc.graceSeconds * 1000),
            timeoutMs: ffc.timeoutMs,
          },
    distinctId: ffc.distinctId ?? `gateway-${gwPublic}`,
    overrides,
    logger: { info: (m, f) => log.info(m, f), warn: (m, f) => log.warn(m, f) },
  })
  ff.subscribe((c) => log.info('feature flag now in effect', { flag: c.name, value: c.new, why: c.why }))

  const upstreams = siteUpstreams(cfg.upstreamDns)
  const seed = new Uint32Array(2)
  crypto.getRandomValues(seed)
  const resolver = new GatewayResolver({ upstreams, seed: seed[0] })
  const state = new GatewayState({
    privateKey: cfg.privateKey,
    random,
    unixMs: () => Date.now(),
    tunIpv4: cfg.tun.ipv4,
    tunIpv6: cfg.tun.ipv6,
    resources: cfg.resources,
    clients: cfg.clients,
    resolver,
    flags: ff.flags,
    seed: seed[1],
    idleClientMs: cfg.nat.idleClientSeconds * 1000,
  })

  const shell: ShellCounters = { udpSendFailed: 0 }
  const shutdown = new Shutdown((step, e) => log.error('shutdown step failed', { step, error: e }))
  let tun: Tun | null = null
  let socket: udp.Socket<'uint8array'> | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let timerAt = Number.POSITIVE_INFINITY
  let v6Socket = false

  const onEvent = (e: GatewayEvent) => {
    if (e.type === 'domain-status') log.info('domain status', { ...e, type: undefined })
    else if (e.type === 'handshake') log.info('client handshake', { client: e.client })
    else if (e.type === 'handshake-failed') log.warn('client handshake failed', { client: e.client })
    else if (e.type === 'client-goodbye')
      log.info('client said goodbye', { client: e.client, reason: e.reason })
    else if (e.type === 'client-idle')
      log.info('idle client state released', { client: e.client, idleMs: e.idleMs, heldDiscarded: e.held })
    else if (e.type === 'drop')
      log.debug('packet dropped (sampled)', { reason: e.reason, client: e.client, flow: e.flow })
    else log.debug('dns query at site', { ...e, type: undefined })
  }

  const flush = () => {
    const s = socket
    for (let t = state.pollTransmit(); t !== null; t = state.pollTransmit()) {
      if (s === null) continue
      const addr = v6Socket && !t.to.address.includes(':') ? `::ffff:${t.to.address}` : t.to.address
      // false: the socket's send buffer is full; the datagram is lost (WireGuard's peers retransmit).
      if (!s.send(t.data.subarray(0, t.length), t.to.port, addr)) shell.udpSendFailed++
    }
    for (let p = state.pollTunWrite(); p !== null; p = state.pollTunWrite()) tun?.write(p.buf, p.off, p.len)
    for (let q = state.pollDnsTransmit(); q !== null; q = state.pollDnsTransmit()) {
      const txId = q.txId
      exchange(q.upstream, q.transport, q.bytes, DNS_LINGER_MS, (reply) => {
        state.handleDnsResponse(now(), txId, reply)
        flush()
      })
    }
    arm()
    for (let e = state.pollEvent(); e !== null; e = state.pollEvent()) onEvent(e)
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

  // UDP: WireGuard from clients.
  const colon = cfg.listen.lastIndexOf(':')
  const hostname = cfg.listen.slice(0, colon).replace(/^\[|\]$/g, '')
  v6Socket = hostname.includes(':')
  const from = { address: '', port: 0 }
  socket = await Bun.udpSocket({
    hostname,
    port: Number(cfg.listen.slice(colon + 1)),
    binaryType: 'uint8array',
    socket: {
      data(_s, data, port, address) {
        from.address = address
        from.port = port
        state.handleDatagram(now(), from, data, data.length)
        flush()
      },
    },
  })
  shutdown.add('udp socket', () => socket?.close())

  // TUN: the gateway's tunnel IPs; the client pool is routed into it (replies to clients).
  tun = openTun({
    name: cfg.tun.name,
    mtu: cfg.tun.mtu,
    addresses: [`${cfg.tun.ipv4}/32`, `${cfg.tun.ipv6}/128`],
    routes: [cfg.clientPool.ipv4, cfg.clientPool.ipv6],
  })
  const device = tun
  shutdown.add('tun device', () => device.close())
  device.onPackets((buf, off, len) => {
    state.handleTunPacket(now(), buf, off, len)
    flush()
  })

  ff.start()
  shutdown.add('feature flags', () => ff.stop())

  const metrics = registerMetrics(state, shell, device.counters)
  if (cfg.metrics.listen !== undefined) {
    const c = cfg.metrics.listen.lastIndexOf(':')
    const server = serveMetrics(metrics, {
      host: cfg.metrics.listen.slice(0, c).replace(/^\[|\]$/g, ''),
      port: Number(cfg.metrics.listen.slice(c + 1)),
    })
    shutdown.add('metrics', () => server.stop(true))
    log.info('serving metrics', { listen: cfg.metrics.listen })
  }

  // Goodbye first (the newest step runs first), then everything above in reverse.
  shutdown.add('goodbye', async () => {
    const n = state.shutdown(now())
    flush()
    log.info('said goodbye to clients', { clients: n })
    await Bun.sleep(DRAIN_MS)
    if (timer !== null) clearTimeout(timer)
    timer = null
  })

  log.info('gateway running', {
    listen: cfg.listen,
    port: socket.port,
    publicKey: gwPublic,
    tun: device.name,
    tunIpv4: cfg.tun.ipv4,
    tunIpv6: cfg.tun.ipv6,
    clients: cfg.clients.length,
    resources: cfg.resources.length,
    upstreamDns: upstreams.map((u) => `${u.address}:${u.port}`),
    featureFlags: ffc.url === undefined ? 'offline' : ffc.url,
    icmpUnreachableInsteadOfNat64: ff.flags.icmpUnreachableInsteadOfNat64,
  })
  flush()

  return {
    state,
    port: socket.port,
    tun: device,
    stop: () => shutdown.run(),
  }
}

/** The site's resolvers: the config's, else the host's /etc/resolv.conf. */
function siteUpstreams(configured: readonly string[]): Upstream[] {
  if (configured.length > 0) {
    return configured.map((ip, i) => {
      const u = parseUpstream(ipFromText(ip)?.family === 6 ? `[${ip}]` : ip)
      if (u === null) throw new Error(`upstreamDns.${i}: not a resolver address: ${ip}`)
      return u
    })
  }
  let text = ''
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8')
  } catch {
    // no resolv.conf: fall through to the error below
  }
  const found = parseResolvConf(text)
  if (found.length === 0) throw new Error('upstreamDns: empty and /etc/resolv.conf names no nameserver')
  return found
}

/** Counters the shell keeps beside the core's. */
export interface ShellCounters {
  /** UDP datagrams the socket refused (send buffer full). */
  udpSendFailed: number
}

/** Prometheus families over the core's plain counters (read at scrape time only). */
export function registerMetrics(
  state: GatewayState,
  shell?: ShellCounters,
  tun?: TunCounters,
): MetricsRegistry {
  const m = new MetricsRegistry()
  m.counter(
    'gatehouse_drops_total',
    'Packets and messages dropped, by reason (WireGuard, NAT, NAT64, ICMP, gateway).',
    () => {
      const out: Record<string, number> = {}
      for (const [k, v] of Object.entries(state.device.drops)) out[k] = v
      for (const [k, v] of Object.entries(state.nat.drops)) out[k] = v
      for (const [k, v] of Object.entries(state.icmpDrops)) out[k] = (out[k] ?? 0) + v
      for (const k of GATEWAY_DROP_REASONS) out[k] = (out[k] ?? 0) + state.drops[k]
      for (const [k, v] of Object.entries(state.translator.counts))
        if (k !== 'translated') out[k] = (out[k] ?? 0) + v
      if (shell !== undefined) out['udp-send-failed'] = shell.udpSendFailed
      if (tun !== undefined) {
        out['tun-write-queue-full'] = tun.txQueueFull
        out['tun-write-error'] = tun.txErrors
        out['tun-read-error'] = tun.rxErrors
      }
      return out
    },
    'reason',
  )
  m.counter(
    'gatehouse_packets_translated_total',
    'Packets (and ICMP errors) translated between IPv4 and IPv6 by NAT64/46.',
    () => state.translator.counts.translated,
  )
  m.counter(
    'gatehouse_nat_verdicts_total',
    'NAT decisions by direction and verdict.',
    () => {
      const out: Record<string, number> = {}
      for (const [k, v] of Object.entries(state.nat.outbound)) out[`outbound-${k}`] = v
      for (const [k, v] of Object.entries(state.nat.inbound)) out[`inbound-${k}`] = v
      return out
    },
    'verdict',
  )
  m.counter(
    'gatehouse_icmp_errors_sent_total',
    'ICMP errors sent to clients, by kind.',
    () => ({ ...state.icmpSent }),
    'kind',
  )
  m.gauge(
    'gatehouse_nat_sessions',
    'Live NAT sessions, by protocol.',
    () => ({ ...state.nat.sessions.live }),
    'protocol',
  )
  m.counter(
    'gatehouse_nat_sessions_created_total',
    'NAT sessions created, by protocol.',
    () => ({ ...state.nat.sessions.created }),
    'protocol',
  )
  m.counter(
    'gatehouse_clients_released_total',
    "Clients whose per-client state (mappings, sessions, lookups) was released, by why: 'idle' after nat.idleClientSeconds of silence.",
    () => ({ idle: state.stats.idleClientsReleased }),
    'why',
  )
  m.counter(
    'gatehouse_packets_total',
    'Packets by path.',
    () => ({
      'from-clients': state.stats.rxPackets,
      'to-clients': state.stats.txPackets,
      'from-tun': state.stats.tunReads,
      'to-tun': state.stats.tunWrites,
      control: state.stats.controlMessages,
      'held-while-resolving': state.stats.heldWhileResolving,
    }),
    'path',
  )
  return m
}
