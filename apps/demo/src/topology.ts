/**
 * The demo's world, built from nothing and removed without trace: four network namespaces
 * (`<prefix>client`, `<prefix>client2`, `<prefix>gateway`, `<prefix>site`), veth links created
 * inside them (the host's interfaces and routes are never touched), nftables masquerade at the
 * gateway, a dnsmasq serving the site's zone, HTTP servers on an IPv4-only, an IPv6-only and a
 * dual-stack host, a PostHog-compatible flag backend on the gateway's loopback, and the two apps
 * as processes: `apps/gateway` configured through its own `init` and `add-client`, and
 * `apps/client` with the config `add-client` printed.
 *
 * ```
 *  client ns (alice)             gateway ns                              site ns
 *  apps/client, TUN gh-client    apps/gateway, TUN gh-gateway            dnsmasq 10.90.0.2 / fd90:1::2
 *  c0 192.168.90.2 ──────────── g0 192.168.90.1 (+ dnsmasq: the         v4.site.test   10.90.0.10
 *                                   client host's upstream resolver)     v6.site.test   fd90:1::20
 *  client2 ns (bob)                 g1 10.90.0.1, fd90:1::1 ──────────── dual.site.test 10.90.0.30, fd90:1::30
 *  wireguard-go wgbob, wgx       g2 192.168.91.1                         HTTP :80 (and :8080) on each
 *  b0 192.168.91.2 ──────────── flag backend 127.0.0.1:18090
 *                                nft: client tunnel IPs masqueraded out of g1 (IPv4 and IPv6)
 * ```
 *
 * The client namespace gets its own `/etc/netns/<ns>/resolv.conf` (which `ip netns exec` mounts
 * over /etc/resolv.conf): the client takes it over (`--resolv-conf`), so `curl` and `dig` by name
 * resolve through the client's stub, and puts it back on exit. A `gai.conf` there ranks the
 * tunnel's ULA proxy IPv6s above IPv4, so Happy Eyeballs tries IPv6 first, as on a host with
 * global IPv6.
 *
 * `down()` is synchronous, idempotent and also runs for a stale world of the same prefix before
 * `up()` builds a new one, so a killed demo never blocks the next.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type ExecResult,
  exec,
  isListening,
  missingTools as kitMissingTools,
  Lab,
  masquerade,
  namespaceExists,
  type Proc,
  parseMetrics,
  run,
  startDnsmasq,
  startWireguardGo,
  tail,
  waitFor,
  wgKeyPair,
} from '@gatehouse/netns-kit'

export { type ExecResult, exec, type Proc, parseMetrics }

const APPS = join(import.meta.dir, '..', '..')
export const GATEWAY_MAIN = join(APPS, 'gateway', 'src', 'main.ts')
export const CLIENT_MAIN = join(APPS, 'client', 'src', 'main.ts')
const SITE_HTTP = join(import.meta.dir, 'site-http.ts')
const FLAG_BACKEND = join(import.meta.dir, 'flag-backend.ts')

/** The tools the demo runs; `missingTools()` names those not installed. */
export const TOOLS = ['ip', 'nft', 'dnsmasq', 'dig', 'curl', 'ping', 'python3', 'wireguard-go', 'wg'] as const

/** Addresses of the world (fixed: every one lives inside our own namespaces). */
export const ADDR = {
  clientLink: '192.168.90.2',
  gatewayClientLink: '192.168.90.1',
  client2Link: '192.168.91.2',
  gatewayClient2Link: '192.168.91.1',
  gatewaySite4: '10.90.0.1',
  gatewaySite6: 'fd90:1::1',
  dns4: '10.90.0.2',
  dns6: 'fd90:1::2',
  v4Host: '10.90.0.10',
  v6Host: 'fd90:1::20',
  dualHost4: '10.90.0.30',
  dualHost6: 'fd90:1::30',
  /** What the client host's own resolver answers for a name that is no resource. */
  publicName: 'www.public.test',
  publicAddr: '192.0.2.80',
  gatewayPort: 51820,
  flagPort: 18090,
  metricsPort: 19190,
  clientMetricsPort: 19191,
} as const

/** The site's names and the resources the gateway knows them as. */
export const NAMES = {
  v4: 'v4.site.test',
  v6: 'v6.site.test',
  dual: 'dual.site.test',
  /** Same host as `dual`, behind a filter that allows TCP port 80 only. */
  locked: 'locked.site.test',
  srv: '_http._tcp.dual.site.test',
} as const

export const FLAG = 'icmp-unreachable-instead-of-nat64'

export interface TopologyOptions {
  /** Namespace prefix, e.g. `ghd-` (the demo) or `ghdt123-` (a test run). At most 8 characters. */
  prefix: string
  /** Feature-flag evaluation interval at the gateway, seconds (the scenario 6). Default 1. */
  flagIntervalSeconds?: number
  /** Progress lines (the demo prints them). */
  progress?: (line: string) => void
  /** Both apps' log level (default DEBUG: sampled drops are logged too; the benchmark uses INFO). */
  logLevel?: 'DEBUG' | 'INFO'
  /** Extra `bun` arguments per app, before the script (the full-path bench's `--cpu-prof` run). */
  bunArgs?: { gateway?: readonly string[]; client?: readonly string[] }
}

interface ClientConfigOut {
  name: string
  privateKey: string
  ipv4: string
  ipv6: string
  gateway: { publicKey: string; endpoint: string; ipv4: string; ipv6: string }
  [k: string]: unknown
}

/** The tools of `TOOLS` that are not on PATH. */
export function missingTools(): string[] {
  return kitMissingTools(TOOLS)
}

export class Topology {
  readonly ns: { client: string; client2: string; gateway: string; site: string }
  readonly dir: string
  readonly gatewayConfig: string
  readonly clientConfig: string
  readonly flagFile: string
  /** The client's resolv.conf as `ip netns exec` mounts it in the client namespace. */
  readonly resolvConf: string
  /** What that resolv.conf held before the client took it over. */
  readonly resolvConfOriginal: string
  alice: ClientConfigOut | null = null
  bob: ClientConfigOut | null = null
  /** The namespaces, processes and directory, removed by `down()` (also on exit and signals). */
  readonly lab: Lab
  private gatewayProc: Proc | null = null
  private clientProc: Proc | null = null
  private readonly progress: (line: string) => void
  private readonly intervalS: number

  private constructor(readonly opts: TopologyOptions) {
    const p = opts.prefix
    if (!/^[a-z0-9-]{1,8}$/.test(p)) throw new Error(`prefix: 1-8 of [a-z0-9-], got '${p}'`)
    this.ns = { client: `${p}client`, client2: `${p}client2`, gateway: `${p}gateway`, site: `${p}site` }
    this.progress = opts.progress ?? (() => {})
    this.intervalS = opts.flagIntervalSeconds ?? 1
    this.lab = new Lab(p)
    this.dir = this.lab.dir
    this.gatewayConfig = join(this.dir, 'gateway.json')
    this.clientConfig = join(this.dir, 'alice.json')
    this.flagFile = join(this.dir, 'flag')
    this.resolvConf = `/etc/netns/${this.ns.client}/resolv.conf`
    this.resolvConfOriginal = `nameserver ${ADDR.gatewayClientLink}\nsearch site.test\n`
  }

  /** Builds everything and starts both apps; on any failure tears down what was built and throws. */
  static async up(opts: TopologyOptions): Promise<Topology> {
    const t = new Topology(opts) // a stale world of the same prefix (a killed run) goes as each namespace is made
    try {
      await t.build()
      return t
    } catch (e) {
      t.down()
      throw e
    }
  }

  /** The running client's process id (null while stopped). */
  get clientPid(): number | null {
    return this.clientProc?.proc.pid ?? null
  }

  /** The running gateway's process id (null while stopped). */
  get gatewayPid(): number | null {
    return this.gatewayProc?.proc.pid ?? null
  }

  /** The flag request's timeout at the gateway, ms (half the interval, at most 500). */
  get flagTimeoutMs(): number {
    return Math.min(500, Math.round(this.intervalS * 500))
  }

  get flagIntervalSeconds(): number {
    return this.intervalS
  }

  /** `argv` in namespace `ns`. */
  run(ns: string, argv: string[], timeoutMs?: number): Promise<ExecResult> {
    return exec(['ip', 'netns', 'exec', ns, ...argv], timeoutMs)
  }

  /** Answer the flag backend gives from now on. */
  setFlag(on: boolean): void {
    writeFileSync(this.flagFile, on ? 'true' : 'false')
  }

  gatewayLog(): string {
    return readOr(join(this.dir, 'gateway-log', 'gateway.log'))
  }
  clientLog(): string {
    return readOr(join(this.dir, 'client-log', 'client.log'))
  }

  /** The gateway's Prometheus counters. */
  async gatewayMetrics(): Promise<Map<string, number>> {
    const r = await this.run(this.ns.gateway, ['curl', '-s', `http://127.0.0.1:${ADDR.metricsPort}/metrics`])
    return parseMetrics(r.stdout)
  }

  /** Stops the gateway with SIGTERM (it says goodbye), waits for it, starts it again. */
  async stopGateway(): Promise<void> {
    const g = this.gatewayProc
    if (g === null) return
    await this.lab.stop(g, 30_000)
    this.gatewayProc = null
  }
  async startGateway(): Promise<void> {
    const before = countLines(this.gatewayLog(), 'gateway running')
    this.gatewayProc = this.spawn('gateway', this.ns.gateway, [
      process.execPath,
      ...(this.opts.bunArgs?.gateway ?? []),
      GATEWAY_MAIN,
      'run',
      '--config',
      this.gatewayConfig,
    ])
    await this.until('the gateway to start', () => countLines(this.gatewayLog(), 'gateway running') > before)
  }

  /** Stops the client with SIGTERM (goodbye, TUN removed, resolv.conf restored). Returns its exit code. */
  async stopClient(): Promise<number | null> {
    const c = this.clientProc
    if (c === null) return null
    const code = await this.lab.stop(c, 30_000)
    this.clientProc = null
    return code
  }

  /** Waits until `check()` holds, polling; throws naming `what` with both apps' log tails. */
  async until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<number> {
    return waitFor(what, check, {
      timeoutMs: ms,
      detail: () =>
        `--- gateway log (tail)\n${tail(this.gatewayLog())}\n--- client log (tail)\n${tail(this.clientLog())}`,
    })
  }

  /** Starts `argv` in `ns` as a process of this topology (ended by `down()`); output in `<dir>/<name>.out|err`. */
  spawn(name: string, ns: string, argv: string[]): Proc {
    return this.lab.spawn(name, ns, argv)
  }

  private async build(): Promise<void> {
    const { client, client2, gateway, site } = this.ns
    this.progress(`namespaces ${client}, ${client2}, ${gateway}, ${site}`)
    for (const name of ['client', 'client2', 'gateway', 'site']) this.lab.ns(name)
    // Links are made inside the namespaces: nothing of the host's is touched.
    this.lab.veth(
      { ns: client, dev: 'c0', addrs: [`${ADDR.clientLink}/24`] },
      { ns: gateway, dev: 'g0', addrs: [`${ADDR.gatewayClientLink}/24`] },
    )
    this.lab.veth(
      { ns: client2, dev: 'b0', addrs: [`${ADDR.client2Link}/24`] },
      { ns: gateway, dev: 'g2', addrs: [`${ADDR.gatewayClient2Link}/24`] },
    )
    this.lab.veth(
      { ns: gateway, dev: 'g1', addrs: [`${ADDR.gatewaySite4}/24`, `${ADDR.gatewaySite6}/64`] },
      {
        ns: site,
        dev: 's0',
        addrs: [ADDR.dns4, ADDR.v4Host, ADDR.dualHost4]
          .map((a) => `${a}/24`)
          .concat([ADDR.dns6, ADDR.v6Host, ADDR.dualHost6].map((a) => `${a}/64`)),
      },
    )
    this.lab.sysctl(gateway, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1')
    // The site answers every probe (no ICMP rate limit between repeated scenarios).
    this.lab.sysctl(site, 'net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0')

    // The gateway host masquerades the clients' tunnel IPs towards the site (MISSION.md's picture).
    masquerade(gateway, {
      table: 'gatehouse_demo',
      oif: 'g1',
      v4: ['100.64.0.0/11'],
      v6: ['fd00:2021:1111::/107'],
    })

    this.progress('site: dnsmasq (the zone), HTTP servers on the IPv4-only, IPv6-only and dual-stack hosts')
    await startDnsmasq(this.lab, {
      name: 'dnsmasq-site',
      ns: site,
      listen: [ADDR.dns4, ADDR.dns6],
      local: ['site.test'],
      hosts: {
        [NAMES.v4]: [ADDR.v4Host],
        [NAMES.v6]: [ADDR.v6Host],
        [NAMES.dual]: [ADDR.dualHost4, ADDR.dualHost6],
        [NAMES.locked]: [ADDR.dualHost4, ADDR.dualHost6],
      },
      extra: [
        `--srv-host=${NAMES.srv},${NAMES.dual},80,0,10`,
        `--txt-record=${NAMES.dual},gatehouse demo site`,
      ],
    })
    await startDnsmasq(this.lab, {
      name: 'dnsmasq-upstream',
      ns: gateway,
      listen: [ADDR.gatewayClientLink],
      hosts: { [ADDR.publicName]: [ADDR.publicAddr] },
    })
    await this.lab.start(
      'site-http',
      site,
      [
        process.execPath,
        SITE_HTTP,
        `${NAMES.v4}=${ADDR.v4Host}`,
        `${NAMES.v6}=${ADDR.v6Host}`,
        `${NAMES.dual}=${ADDR.dualHost4}`,
        `${NAMES.dual}=${ADDR.dualHost6}`,
      ],
      () => isListening(site, 80, 'tcp', ADDR.v4Host) && isListening(site, 80, 'tcp', ADDR.v6Host),
    )
    this.setFlag(false)
    await this.lab.start(
      'flag-backend',
      gateway,
      [process.execPath, FLAG_BACKEND, String(ADDR.flagPort), this.flagFile],
      () => isListening(gateway, ADDR.flagPort, 'tcp', '127.0.0.1'),
    )

    this.progress('gateway: init, resources, add-client alice and bob (its own commands)')
    run([process.execPath, GATEWAY_MAIN, 'init', '--config', this.gatewayConfig, '--listen', '0.0.0.0:51820'])
    const gw = JSON.parse(readFileSync(this.gatewayConfig, 'utf8'))
    gw.tun.name = 'gh-gateway'
    gw.upstreamDns = [ADDR.dns4]
    gw.publicEndpoint = `${ADDR.gatewayClientLink}:${ADDR.gatewayPort}`
    gw.log = { dir: join(this.dir, 'gateway-log'), console: 'none', level: this.opts.logLevel ?? 'DEBUG' }
    gw.metrics = { listen: `127.0.0.1:${ADDR.metricsPort}` }
    gw.featureFlags = {
      url: `http://127.0.0.1:${ADDR.flagPort}`,
      apiKey: 'phc_gatehouse_demo',
      intervalSeconds: this.intervalS,
      timeoutMs: this.flagTimeoutMs,
      graceSeconds: 60,
    }
    gw.resources = [
      { id: 'v4', type: 'dns', address: NAMES.v4 },
      { id: 'v6', type: 'dns', address: NAMES.v6 },
      // `**` also matches zero labels: dual.site.test itself, and _http._tcp.dual.site.test (SRV).
      { id: 'dual', type: 'dns', address: `**.${NAMES.dual}` },
      { id: 'locked', type: 'dns', address: NAMES.locked, filters: [{ protocol: 'tcp', ports: ['80'] }] },
    ]
    writeFileSync(this.gatewayConfig, JSON.stringify(gw, null, 2))
    const addClient = (name: string, resources: string) =>
      JSON.parse(
        run([
          process.execPath,
          GATEWAY_MAIN,
          'add-client',
          name,
          '--resources',
          resources,
          '--config',
          this.gatewayConfig,
        ]),
      ) as ClientConfigOut
    const alice = addClient('alice', 'v4,v6,dual,locked')
    this.alice = alice
    this.bob = addClient('bob', 'dual')

    this.progress('gateway: starting (TUN gh-gateway, flag backend polled every second)')
    await this.startGateway()
    await this.until('the first flag answer', () =>
      this.gatewayLog().includes('feature flag backend answered'),
    )

    this.progress('client alice: starting (TUN gh-client, resolv.conf of its namespace taken over)')
    mkdirSync(`/etc/netns/${client}`, { recursive: true })
    writeFileSync(this.resolvConf, this.resolvConfOriginal)
    // RFC 6724's table with the ULA line raised above IPv4: the proxy IPv6s are tried first.
    writeFileSync(
      `/etc/netns/${client}/gai.conf`,
      [
        'precedence ::1/128 50',
        'precedence fc00::/7 45',
        'precedence ::/0 40',
        'precedence ::ffff:0:0/96 35',
        'precedence 2002::/16 30',
        'precedence 2001::/32 5',
        'precedence ::/96 1',
        'precedence fec0::/10 1',
        'precedence 3ffe::/16 1',
        '',
      ].join('\n'),
    )
    alice.tun = { name: 'gh-client' }
    alice.dnsControl = 'etc-resolv-conf'
    alice.log = { dir: join(this.dir, 'client-log'), console: 'none', level: this.opts.logLevel ?? 'DEBUG' }
    alice.metrics = { listen: `127.0.0.1:${ADDR.clientMetricsPort}` }
    writeFileSync(this.clientConfig, JSON.stringify(alice, null, 2))
    this.clientProc = this.spawn('client', client, [
      process.execPath,
      ...(this.opts.bunArgs?.client ?? []),
      CLIENT_MAIN,
      '--config',
      this.clientConfig,
      '--resolv-conf',
      this.resolvConf,
    ])
    await this.until('the client to start', () => this.clientLog().includes('client running'))
    await this.until('the first handshake', () => this.clientLog().includes('gateway handshake'))

    this.progress('client2 bob: wireguard-go with his own key, and one with a key the gateway does not know')
    await this.startBob()
  }

  /** Bob: a plain WireGuard peer (wireguard-go + wg) that can send anything, for the security scenarios. */
  private async startBob(): Promise<void> {
    const ns = this.ns.client2
    const bob = this.bob!
    const gwPub = bob.gateway.publicKey
    const endpoint = `${ADDR.gatewayClient2Link}:${ADDR.gatewayPort}`
    const stranger = wgKeyPair().privateKey
    const peers: [string, string, string[], string][] = [
      // interface, private key, allowed IPs, local address
      ['wgbob', bob.privateKey, ['100.64.0.1/32', '100.96.0.0/11', '10.90.0.0/24'], `${bob.ipv4}/32`],
      ['wgx', stranger, ['100.127.255.0/24'], '100.127.255.2/32'],
    ]
    for (const [ifname, privateKey, allowedIps, local] of peers)
      await startWireguardGo(this.lab, {
        ns,
        ifname,
        privateKey,
        peers: [{ publicKey: gwPub, endpoint, allowedIps }],
        addrs: [local],
      })
    // Bob also holds alice's tunnel address: what a spoofer would send from.
    run(['ip', '-n', ns, 'addr', 'add', `${this.alice!.ipv4}/32`, 'dev', 'wgbob'])
    for (const [dst, dev] of [
      ['100.96.0.0/11', 'wgbob'],
      ['10.90.0.0/24', 'wgbob'],
      ['100.64.0.1/32', 'wgbob'],
      ['100.127.255.0/24', 'wgx'],
    ])
      run(['ip', '-n', ns, 'route', 'add', dst, 'dev', dev])
  }

  /**
   * Removes everything: processes (ours, by id, then whatever is left in our namespaces, by id),
   * namespaces, /etc/netns entries, the working directory. Synchronous and idempotent, so it runs
   * from signal and exit handlers. `keepDir` keeps the logs.
   */
  down(keepDir = false): void {
    this.lab.down(keepDir)
    this.gatewayProc = null
    this.clientProc = null
  }

  /** True when nothing of this topology is left: no namespace, no /etc/netns entry. */
  isGone(): boolean {
    return Object.values(this.ns).every((ns) => !namespaceExists(ns) && !existsSync(`/etc/netns/${ns}`))
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
function countLines(text: string, needle: string): number {
  let n = 0
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) n++
  return n
}
