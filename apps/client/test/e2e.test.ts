/**
 * Root-only end-to-end test of both apps as processes (issue 9 scenarios 8 and 9): the client
 * (this package) with a real TUN in `gh-cl-e<pid>c`, the gateway app (`apps/gateway`) with its TUN
 * in `gh-cl-e<pid>g` (nftables masquerade towards the site), a site namespace `gh-cl-e<pid>s` with
 * dnsmasq for the resource zone, and a dnsmasq in the gateway namespace as the client host's
 * upstream resolver. `dig` and `ping` are the applications.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  isListening,
  Lab,
  masquerade,
  type Proc,
  run as runCmd,
  skipReason,
  startDnsmasq,
  tryRun,
  waitFor,
} from '@gatehouse/netns-kit'

const SKIP = skipReason(['wg', 'nft', 'dnsmasq', 'dig', 'ping', 'curl', 'ss'])
if (SKIP) console.warn(`skipping client+gateway end-to-end test: ${SKIP}`)
const RUN = SKIP === null

const id = process.pid % 100000
const PREFIX = `gh-cl-e${id}`
const NS_C = `${PREFIX}c`
const NS_G = `${PREFIX}g`
const NS_S = `${PREFIX}s`
const C_TUN = `ghcle${id}c`
const G_TUN = `ghcle${id}g`
const CLIENT_MAIN = join(import.meta.dir, '..', 'src', 'main.ts')
const GATEWAY_MAIN = join(import.meta.dir, '..', '..', 'gateway', 'src', 'main.ts')
const SITE = '10.78.0.2'
const GW_LINK = '192.168.78.2'
const INTERNET_HOST = '172.31.99.2'

const sh = (...argv: string[]) => runCmd(argv)
function run(ns: string, ...argv: string[]): { code: number; out: string } {
  const r = tryRun(['ip', 'netns', 'exec', ns, ...argv])
  return { code: r.code, out: r.stdout + r.stderr }
}
const dig = (...args: string[]) => run(NS_C, 'dig', '+time=3', '+tries=1', '@100.100.111.1', ...args).out

let lab: Lab | null = null
let gateway: { proc: Proc['proc']; log: () => string } | null = null
let client: { proc: Proc['proc']; log: () => string } | null = null
let gatewayConfig = ''

/** Starts `argv` in `ns`; resolves once `ready` appears in its stderr. */
async function spawnIn(
  name: string,
  ns: string,
  argv: string[],
  ready: string,
): Promise<{ proc: Proc['proc']; log: () => string }> {
  const p = await lab!.start(name, ns, argv, (q) => q.stderr().includes(ready), { timeoutMs: 20_000 })
  return { proc: p.proc, log: () => p.stderr() }
}

const startGateway = () =>
  spawnIn(
    'gateway',
    NS_G,
    [process.execPath, GATEWAY_MAIN, 'run', '--config', gatewayConfig],
    'gateway running',
  )

const until = (what: string, check: () => boolean, ms = 10_000) =>
  waitFor(what, check, {
    timeoutMs: ms,
    intervalMs: 100,
    detail: () => `client:\n${client?.log()}\ngateway:\n${gateway?.log()}`,
  })

describe.skipIf(!RUN)('client + gateway apps end to end (issue 9, root)', () => {
  beforeAll(async () => {
    lab = new Lab(PREFIX)
    for (const name of ['c', 'g', 's']) lab.ns(name)
    lab.veth(
      { ns: NS_C, dev: 'c0', addrs: ['192.168.78.1/24'] },
      { ns: NS_G, dev: 'g0', addrs: [`${GW_LINK}/24`] },
    )
    lab.veth({ ns: NS_G, dev: 'g1', addrs: ['10.78.0.1/24'] }, { ns: NS_S, dev: 's0', addrs: [`${SITE}/24`] })
    lab.sysctl(NS_G, 'net.ipv4.ip_forward=1')
    // An "Internet" address behind the site, reached through the Internet resource.
    lab.sh(NS_S, 'ip', 'addr', 'add', `${INTERNET_HOST}/32`, 'dev', 'lo')
    lab.sh(NS_G, 'ip', 'route', 'add', `${INTERNET_HOST}/32`, 'via', SITE)
    masquerade(NS_G, { table: 'gh_cl', oif: 'g1', v4: ['100.64.0.0/11'] })
    // The site's DNS (the gateway resolves resource names here) and the client host's resolver.
    await startDnsmasq(lab, {
      name: 'dnsmasq-site',
      ns: NS_S,
      listen: [SITE],
      wildcards: { 'app.example.test': SITE },
    })
    await startDnsmasq(lab, {
      name: 'dnsmasq-upstream',
      ns: NS_G,
      listen: [GW_LINK],
      hosts: { 'www.public.test': ['192.0.2.99'] },
    })

    // The gateway's config through its own commands: init, a resource each kind, add-client.
    gatewayConfig = join(lab.dir, 'gateway.json')
    sh(process.execPath, GATEWAY_MAIN, 'init', '--config', gatewayConfig, '--listen', '0.0.0.0:51820')
    const gw = JSON.parse(await Bun.file(gatewayConfig).text())
    gw.tun.name = G_TUN
    gw.upstreamDns = [SITE]
    gw.publicEndpoint = `${GW_LINK}:51820`
    gw.log = { console: 'json', level: 'DEBUG' }
    gw.resources = [
      { id: 'web', type: 'dns', address: '*.example.test' },
      { id: 'site', type: 'cidr', address: '10.78.0.0/24' },
      { id: 'net', type: 'internet' },
    ]
    writeFileSync(gatewayConfig, JSON.stringify(gw))
    const clientCfg = JSON.parse(
      sh(
        process.execPath,
        GATEWAY_MAIN,
        'add-client',
        'alice',
        '--resources',
        'web,site,net',
        '--config',
        gatewayConfig,
      ),
    )
    clientCfg.tun = { name: C_TUN }
    clientCfg.upstreamDns = [GW_LINK]
    clientCfg.dnsControl = 'none'
    clientCfg.log = { console: 'json', level: 'DEBUG' }
    clientCfg.metrics = { listen: '127.0.0.1:19119' }
    const clientConfig = join(lab.dir, 'client.json')
    writeFileSync(clientConfig, JSON.stringify(clientCfg))

    gateway = await startGateway()
    client = await spawnIn(
      'client',
      NS_C,
      [process.execPath, CLIENT_MAIN, '--config', clientConfig],
      'client running',
    )
    await until('the first handshake', () => client!.log().includes('gateway handshake'))
  }, 90_000)

  afterAll(() => {
    if (process.env.GH_CL_DEBUG) console.log(`client:\n${client?.log()}\ngateway:\n${gateway?.log()}`)
    lab?.down()
  })

  test('scenario 9: a non-resource name is answered by the upstream; a resource name by 4 proxy IPs of its family', async () => {
    expect(dig('www.public.test', '+short').trim()).toBe('192.0.2.99')
    const a = dig('app.example.test', 'A', '+short').trim().split('\n')
    expect(a.length).toBe(4)
    for (const ip of a) expect(ip).toMatch(/^100\.(9[6-9]|1[01][0-9]|12[0-7])\./)
    const aaaa = dig('+tcp', 'app.example.test', 'AAAA', '+short').trim().split('\n')
    expect(aaaa.length).toBe(4)
    for (const ip of aaaa) expect(ip.startsWith('fd00:2021:1111:8000:')).toBe(true)
    expect(dig('app.example.test', 'A')).toMatch(/\s1\s+IN\s+A\s/) // TTL 1
    // (spawnSync blocked the log readers: give them a turn)
    await until('the domain status at the gateway', () => gateway!.log().includes('"status":"active"'))
    // The same counters as the gateway's, as Prometheus text on the client's loopback.
    const metrics = run(NS_C, 'curl', '-s', 'http://127.0.0.1:19119/metrics').out
    expect(metrics).toMatch(/gatehouse_dns_queries_total\{kind="forwarded"\} [1-9]/)
    expect(metrics).toMatch(/gatehouse_dns_names\{status="active"\} 1/)
    expect(metrics).toMatch(/gatehouse_handshakes_total [1-9]/)
    expect(metrics).toContain('gatehouse_drops_total{reason="wg-replayed"} 0')
  }, 30_000)

  test('a proxy IP answers ping through the gateway NAT; the CIDR resource through masquerade', () => {
    const ip = dig('app.example.test', 'A', '+short').trim().split('\n')[0]
    const p = run(NS_C, 'ping', '-c', '2', '-i', '0.2', '-W', '3', ip)
    expect(p.out).toContain('2 received')
    expect(p.out).toContain(`from ${ip}`)
    expect(run(NS_C, 'ping', '-c', '1', '-W', '3', SITE).out).toContain('1 received')
  }, 30_000)

  test('IPv6 proxy IP of an IPv4-only name: through the gateway NAT64 (flag off)', () => {
    const ip6 = dig('app.example.test', 'AAAA', '+short').trim().split('\n')[1]
    const p = run(NS_C, 'ping', '-6', '-c', '2', '-i', '0.2', '-W', '3', ip6)
    expect(p.out).toContain('2 received')
  }, 30_000)

  test('the Internet resource: default-covering routes into the TUN, the gateway endpoint pinned outside it', async () => {
    await until('the pin log line', () => client!.log().includes('gateway endpoint kept outside the tunnel'))
    expect(run(NS_C, 'ip', 'route', 'get', GW_LINK).out).toContain('dev c0')
    expect(run(NS_C, 'ip', 'route', 'get', INTERNET_HOST).out).toContain(`dev ${C_TUN}`)
    expect(run(NS_C, 'ping', '-c', '2', '-i', '0.2', '-W', '3', INTERNET_HOST).out).toContain('2 received')
  }, 30_000)

  // A one-off throughput figure for the README (GH_CL_IPERF=1; needs iperf3): TCP through the
  // client and the gateway, to a proxy IP (NAT) and to the CIDR resource (no NAT), side by side.
  test.skipIf(!process.env.GH_CL_IPERF || Bun.which('iperf3') === null)(
    'iperf3 through client and gateway (measurement)',
    async () => {
      const ip = dig('app.example.test', 'A', '+short').trim().split('\n')[0]
      const rates: Record<string, number> = {}
      for (const [label, target] of [
        ['proxy IP (NAT)', ip],
        ['CIDR (no NAT)', SITE],
        ['proxy IP (NAT)', ip],
        ['CIDR (no NAT)', SITE],
      ]) {
        const server = await lab!.start('iperf3', NS_S, ['iperf3', '-s', '-1', '-B', SITE], () =>
          isListening(NS_S, 5201, 'tcp', SITE),
        )
        const r = run(NS_C, 'iperf3', '-c', target, '-t', '5', '-J')
        await server.proc.exited
        const bps = JSON.parse(r.out.slice(r.out.indexOf('{'))).end.sum_received.bits_per_second as number
        rates[label] = Math.max(rates[label] ?? 0, bps / 1e6)
      }
      console.log('iperf3 TCP Mbit/s (best of 2):', rates)
      for (const v of Object.values(rates)) expect(v).toBeGreaterThan(0)
    },
    60_000,
  )

  test('scenario 8: the gateway restarts; the client re-handshakes, re-sends its mappings, ping resumes without a client restart', async () => {
    const ip = dig('app.example.test', 'A', '+short').trim().split('\n')[0]
    gateway!.proc.kill('SIGTERM')
    await gateway!.proc.exited
    await until('the goodbye', () => client!.log().includes('gateway said goodbye'))
    gateway = await startGateway()
    // The first packet after the restart starts the handshake; the mappings travel ahead of it.
    const p = run(NS_C, 'ping', '-c', '3', '-i', '0.3', '-W', '3', ip)
    expect(p.out).toMatch(/[123] received/)
    await until('the re-sent mapping at the new gateway', () => gateway!.log().includes('"status":"active"'))
    expect(client!.log()).toMatch(/"message":"gateway handshake","resyncedMappings":[1-9]/)
  }, 60_000)

  test('SIGTERM: the client says goodbye to the gateway and removes its TUN device', async () => {
    client!.proc.kill('SIGTERM')
    expect(await client!.proc.exited).toBe(143)
    await until('the client goodbye at the gateway', () => gateway!.log().includes('client said goodbye'))
    expect(run(NS_C, 'ip', 'link', 'show', C_TUN).code).not.toBe(0)
    // The pinned host route is gone too.
    expect(run(NS_C, 'ip', 'route', 'show', `${GW_LINK}/32`).out.trim()).toBe('')
  }, 30_000)
})
