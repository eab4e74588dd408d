/**
 * Root-only end-to-end test of both apps as processes (issue 9 scenarios 8 and 9): the client
 * (this package) with a real TUN in `gh-cl-e<pid>c`, the gateway app (`apps/gateway`) with its TUN
 * in `gh-cl-e<pid>g` (nftables masquerade towards the site), a site namespace `gh-cl-e<pid>s` with
 * dnsmasq for the resource zone, and a dnsmasq in the gateway namespace as the client host's
 * upstream resolver. `dig` and `ping` are the applications.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

const ROOT = process.getuid?.() === 0
const MISSING = ['wg', 'nft', 'dnsmasq', 'dig', 'ping', 'ip', 'curl'].filter((t) => Bun.which(t) === null)
if (!ROOT) console.warn('skipping client+gateway end-to-end test: needs root (namespaces, TUN, nftables)')
else if (MISSING.length > 0)
  console.warn(`skipping client+gateway end-to-end test: missing ${MISSING.join(', ')}`)
const RUN = ROOT && MISSING.length === 0

const id = process.pid % 100000
const NS_C = `gh-cl-e${id}c`
const NS_G = `gh-cl-e${id}g`
const NS_S = `gh-cl-e${id}s`
const C_TUN = `ghcle${id}c`
const G_TUN = `ghcle${id}g`
const CLIENT_MAIN = join(import.meta.dir, '..', 'src', 'main.ts')
const GATEWAY_MAIN = join(import.meta.dir, '..', '..', 'gateway', 'src', 'main.ts')
const SITE = '10.78.0.2'
const GW_LINK = '192.168.78.2'
const INTERNET_HOST = '172.31.99.2'

function sh(...argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString()}`)
  return r.stdout.toString()
}
function quiet(...argv: string[]): void {
  Bun.spawnSync(argv, { stdout: 'ignore', stderr: 'ignore' })
}
function run(ns: string, ...argv: string[]): { code: number; out: string } {
  const r = Bun.spawnSync(['ip', 'netns', 'exec', ns, ...argv], { stdout: 'pipe', stderr: 'pipe' })
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() }
}
const dig = (...args: string[]) => run(NS_C, 'dig', '+time=3', '+tries=1', '@100.100.111.1', ...args).out

let dir = ''
const procs: Subprocess[] = []
let gateway: { proc: Subprocess; log: () => string } | null = null
let client: { proc: Subprocess; log: () => string } | null = null
let gatewayConfig = ''

/** Spawns `argv` in `ns`, collecting stderr; resolves once `ready` appears there. */
async function spawnIn(
  ns: string,
  argv: string[],
  ready: string,
): Promise<{ proc: Subprocess; log: () => string }> {
  const proc = Bun.spawn(['ip', 'netns', 'exec', ns, ...argv], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
  })
  procs.push(proc)
  let text = ''
  void (async () => {
    const dec = new TextDecoder()
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) text += dec.decode(chunk)
  })()
  const end = Date.now() + 20_000
  while (!text.includes(ready)) {
    if (proc.exitCode !== null || Date.now() > end)
      throw new Error(`${argv.join(' ')} did not start:\n${text}`)
    await Bun.sleep(50)
  }
  return { proc, log: () => text }
}

const startGateway = () =>
  spawnIn(NS_G, [process.execPath, GATEWAY_MAIN, 'run', '--config', gatewayConfig], 'gateway running')

function teardown(): void {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
  for (const ns of [NS_C, NS_G, NS_S]) quiet('ip', 'netns', 'del', ns)
  if (dir) rmSync(dir, { recursive: true, force: true })
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (check()) return
    await Bun.sleep(100)
  }
  throw new Error(`timed out waiting for ${what}\nclient:\n${client?.log()}\ngateway:\n${gateway?.log()}`)
}

describe.skipIf(!RUN)('client + gateway apps end to end (issue 9, root)', () => {
  beforeAll(async () => {
    teardown()
    dir = mkdtempSync(join(tmpdir(), 'gh-cl-e2e-'))
    for (const ns of [NS_C, NS_G, NS_S]) {
      sh('ip', 'netns', 'add', ns)
      sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
    }
    sh('ip', '-n', NS_C, 'link', 'add', 'c0', 'type', 'veth', 'peer', 'name', 'g0', 'netns', NS_G)
    sh('ip', '-n', NS_G, 'link', 'add', 'g1', 'type', 'veth', 'peer', 'name', 's0', 'netns', NS_S)
    for (const [ns, dev, addr] of [
      [NS_C, 'c0', '192.168.78.1/24'],
      [NS_G, 'g0', `${GW_LINK}/24`],
      [NS_G, 'g1', '10.78.0.1/24'],
      [NS_S, 's0', `${SITE}/24`],
    ]) {
      sh('ip', '-n', ns, 'addr', 'add', addr, 'dev', dev)
      sh('ip', '-n', ns, 'link', 'set', dev, 'up')
    }
    run(NS_G, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
    // An "Internet" address behind the site, reached through the Internet resource.
    sh('ip', '-n', NS_S, 'addr', 'add', `${INTERNET_HOST}/32`, 'dev', 'lo')
    sh('ip', '-n', NS_G, 'route', 'add', `${INTERNET_HOST}/32`, 'via', SITE)
    const rules = join(dir, 'nat.nft')
    writeFileSync(
      rules,
      'table ip gh_cl {\n chain post {\n  type nat hook postrouting priority 100;\n  ip saddr 100.64.0.0/11 oifname "g1" masquerade\n }\n}\n',
    )
    sh('ip', 'netns', 'exec', NS_G, 'nft', '-f', rules)
    // The site's DNS (the gateway resolves resource names here) and the client host's resolver.
    const dnsmasq = (ns: string, listen: string, record: string) => {
      procs.push(
        Bun.spawn(
          [
            'ip',
            'netns',
            'exec',
            ns,
            'dnsmasq',
            '-k',
            '--no-resolv',
            '--no-hosts',
            '--bind-interfaces',
            `--listen-address=${listen}`,
            `--pid-file=${join(dir, `dnsmasq-${ns}.pid`)}`,
            record,
          ],
          { stdout: 'ignore', stderr: 'ignore' },
        ),
      )
    }
    dnsmasq(NS_S, SITE, `--address=/app.example.test/${SITE}`)
    dnsmasq(NS_G, GW_LINK, '--host-record=www.public.test,192.0.2.99')

    // The gateway's config through its own commands: init, a resource each kind, add-client.
    gatewayConfig = join(dir, 'gateway.json')
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
    const clientConfig = join(dir, 'client.json')
    writeFileSync(clientConfig, JSON.stringify(clientCfg))

    gateway = await startGateway()
    client = await spawnIn(NS_C, [process.execPath, CLIENT_MAIN, '--config', clientConfig], 'client running')
    await until('the first handshake', () => client!.log().includes('gateway handshake'))
  }, 90_000)

  afterAll(() => {
    if (process.env.GH_CL_DEBUG) console.log(`client:\n${client?.log()}\ngateway:\n${gateway?.log()}`)
    teardown()
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
        const server = Bun.spawn(['ip', 'netns', 'exec', NS_S, 'iperf3', '-s', '-1', '-B', SITE], {
          stdout: 'ignore',
          stderr: 'ignore',
        })
        await Bun.sleep(300)
        const r = run(NS_C, 'iperf3', '-c', target, '-t', '5', '-J')
        await server.exited
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
