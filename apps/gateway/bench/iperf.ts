/**
 * Throughput of the gateway app on a real path, side by side with wireguard-go in the same place
 * (root only; `bun bench/iperf.ts [seconds]`). Namespaces `gh-gw-b{c,g,s}<pid>`: a wireguard-go
 * client, the gateway, a site behind nftables masquerade running `iperf3 -s`. One single-stream
 * TCP run (MISSION.md: TCP tells userspace data planes apart; UDP floods do not) through:
 *   1. our gateway (`bun src/main.ts run`, CIDR resource: WireGuard + access check, no NAT rewrite),
 *   2. wireguard-go as the gateway (the same keys, addresses and masquerade).
 * Our gateway also carries the same transfer through its NAT (to a proxy IP of a DNS resource) and
 * through NAT64 (to an IPv6 proxy IP of an IPv4-only name).
 * Reports Mbit/s, retransmits and the gateway process's CPU% during the run; writes
 * bench-results/gateway-iperf.json. Everything is removed at the end, also on failure.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildControlPacket, MessageType } from '@gatehouse/control'
import type { Subprocess } from 'bun'

if (process.getuid?.() !== 0) {
  console.warn('skipping iperf bench: needs root')
  process.exit(0)
}
const missing = ['wireguard-go', 'wg', 'nft', 'iperf3', 'dnsmasq', 'python3'].filter(
  (t) => Bun.which(t) === null,
)
if (missing.length > 0) {
  console.warn(`skipping iperf bench: missing ${missing.join(', ')}`)
  process.exit(0)
}

const SECONDS = Number(process.argv[2] ?? 5)
const id = process.pid % 100000
const NS_C = `gh-gw-bc${id}`
const NS_G = `gh-gw-bg${id}`
const NS_S = `gh-gw-bs${id}`
const WG_C = `ghgwbc${id}`
const WG_G = `ghgwbg${id}`
const SITE = '10.78.0.2'
const MAIN = join(import.meta.dir, '..', 'src', 'main.ts')
const dir = mkdtempSync(join(tmpdir(), 'gh-gw-bench-'))
const procs: Subprocess[] = []

function sh(...argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString()}`)
  return r.stdout.toString()
}
const inNs = (ns: string, ...argv: string[]) => sh('ip', 'netns', 'exec', ns, ...argv)
const spawnIn = (ns: string, ...argv: string[]) => {
  const p = Bun.spawn(['ip', 'netns', 'exec', ns, ...argv], { stdout: 'ignore', stderr: 'ignore' })
  procs.push(p)
  return p
}
function cleanup(): void {
  for (const p of procs) p.kill('SIGTERM')
  for (const ns of [NS_C, NS_G, NS_S]) Bun.spawnSync(['ip', 'netns', 'del', ns], { stderr: 'ignore' })
  rmSync(dir, { recursive: true, force: true })
}
async function until(what: string, f: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (f()) return
    await Bun.sleep(50)
  }
  throw new Error(`timed out: ${what}`)
}
const linkUp = (ns: string, dev: string) =>
  Bun.spawnSync(['ip', '-n', ns, 'link', 'show', dev], { stdout: 'ignore', stderr: 'ignore' }).exitCode === 0

/** CPU seconds (user + system) of a process and its children so far, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** The pid of the process whose name starts with `comm` inside namespace `ns` (npm's Bun runs as `bun.exe`). */
function pidIn(ns: string, comm: string): number {
  for (const p of sh('ip', 'netns', 'pids', ns).trim().split('\n')) {
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim().startsWith(comm)) return Number(p)
    } catch {}
  }
  throw new Error(`no ${comm} in ${ns}`)
}

async function iperf(
  gatewayPid: number,
  target = SITE,
): Promise<{ mbps: number; retransmits: number; cpuPercent: number }> {
  spawnIn(NS_S, 'iperf3', '-s', '-1', '-B', SITE)
  await Bun.sleep(300)
  const c0 = cpuSeconds(gatewayPid)
  const t0 = performance.now()
  const out = inNs(NS_C, 'iperf3', '-c', target, '-t', String(SECONDS), '-J')
  const wall = (performance.now() - t0) / 1000
  const cpu = cpuSeconds(gatewayPid) - c0
  const j = JSON.parse(out)
  return {
    mbps: Math.round(j.end.sum_received.bits_per_second / 1e5) / 10,
    retransmits: j.end.sum_sent.retransmits,
    cpuPercent: Math.round((cpu / wall) * 1000) / 10,
  }
}

try {
  for (const ns of [NS_C, NS_G, NS_S]) {
    sh('ip', 'netns', 'add', ns)
    sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
  }
  sh('ip', '-n', NS_C, 'link', 'add', 'c0', 'type', 'veth', 'peer', 'name', 'g0', 'netns', NS_G)
  sh('ip', '-n', NS_G, 'link', 'add', 'g1', 'type', 'veth', 'peer', 'name', 's0', 'netns', NS_S)
  for (const [ns, dev, addr] of [
    [NS_C, 'c0', '192.168.78.1/24'],
    [NS_G, 'g0', '192.168.78.2/24'],
    [NS_G, 'g1', '10.78.0.1/24'],
    [NS_S, 's0', `${SITE}/24`],
  ]) {
    sh('ip', '-n', ns, 'addr', 'add', addr, 'dev', dev)
    sh('ip', '-n', ns, 'link', 'set', dev, 'up')
  }
  inNs(NS_G, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
  writeFileSync(
    join(dir, 'nat.nft'),
    'table ip gh_gw {\n chain post {\n  type nat hook postrouting priority 100;\n  ip saddr 100.64.0.0/11 oifname "g1" masquerade\n }\n}\n',
  )
  inNs(NS_G, 'nft', '-f', join(dir, 'nat.nft'))

  const gwKey = sh('wg', 'genkey').trim()
  const gwPub = Bun.spawnSync(['wg', 'pubkey'], { stdin: new TextEncoder().encode(gwKey) })
    .stdout.toString()
    .trim()
  const cKey = sh('wg', 'genkey').trim()
  const cPub = Bun.spawnSync(['wg', 'pubkey'], { stdin: new TextEncoder().encode(cKey) })
    .stdout.toString()
    .trim()
  writeFileSync(join(dir, 'gw.key'), gwKey, { mode: 0o600 })
  writeFileSync(join(dir, 'c.key'), cKey, { mode: 0o600 })

  spawnIn(
    NS_S,
    'dnsmasq',
    '--no-daemon',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    `--listen-address=${SITE}`,
    `--address=/app.example.test/${SITE}`,
    `--pid-file=${join(dir, 'dnsmasq.pid')}`,
  )

  // The client: wireguard-go in both runs.
  spawnIn(NS_C, 'wireguard-go', '-f', WG_C)
  await until('client interface', () => linkUp(NS_C, WG_C))
  const clientAllowed =
    '10.78.0.0/24,100.64.0.1/32,100.96.0.0/11,::/128,fd00:2021:1111::1/128,fd00:2021:1111:8000::/107'
  inNs(
    NS_C,
    'wg',
    'set',
    WG_C,
    'private-key',
    join(dir, 'c.key'),
    'peer',
    gwPub,
    'endpoint',
    '192.168.78.2:51820',
    'allowed-ips',
    clientAllowed,
  )
  sh('ip', '-n', NS_C, 'addr', 'add', '100.64.0.2/32', 'dev', WG_C)
  sh('ip', '-n', NS_C, 'addr', 'add', 'fd00:2021:1111::2/128', 'dev', WG_C, 'nodad')
  sh('ip', '-n', NS_C, 'link', 'set', WG_C, 'up')
  sh('ip', '-n', NS_C, 'route', 'add', '10.78.0.0/24', 'dev', WG_C)
  sh('ip', '-n', NS_C, 'route', 'add', '100.96.0.0/11', 'dev', WG_C)
  sh('ip', '-n', NS_C, 'route', 'add', 'fd00:2021:1111:8000::/107', 'dev', WG_C)

  // 1. Our gateway.
  const cfg = {
    listen: '0.0.0.0:51820',
    privateKey: gwKey,
    tun: { name: `ghgwbt${id}`, mtu: 1420 },
    upstreamDns: [SITE],
    log: { console: 'none' },
    resources: [
      { id: 'site', type: 'cidr', address: '10.78.0.0/24' },
      { id: 'web', type: 'dns', address: '*.example.test' },
    ],
    clients: [
      {
        name: 'c',
        publicKey: cPub,
        ipv4: '100.64.0.2',
        ipv6: 'fd00:2021:1111::2',
        resources: ['site', 'web'],
      },
    ],
  }
  writeFileSync(join(dir, 'gw.json'), JSON.stringify(cfg))
  const ours = spawnIn(NS_G, process.execPath, MAIN, 'run', '--config', join(dir, 'gw.json'))
  await until('gateway TUN', () => linkUp(NS_G, `ghgwbt${id}`))
  inNs(NS_C, 'ping', '-c', '2', '-i', '0.2', '-W', '3', SITE) // handshake, warm-up
  const oursPid = pidIn(NS_G, 'bun')
  const oursResult = await iperf(oursPid)
  // The NAT paths: the client tells the gateway app.example.test's proxy IPs (as apps/client would),
  // injected on wireguard-go's TUN through an AF_PACKET socket; the name has only an A record, so its
  // IPv6 proxy IPs go through NAT64.
  const control = buildControlPacket({
    type: MessageType.AssignedIps,
    requestId: 1,
    resource: 'web',
    domain: 'app.example.test',
    proxyIps: [
      '100.96.0.1',
      '100.96.0.2',
      '100.96.0.3',
      '100.96.0.4',
      'fd00:2021:1111:8000::1',
      'fd00:2021:1111:8000::2',
      'fd00:2021:1111:8000::3',
      'fd00:2021:1111:8000::4',
    ],
  })
  const py =
    'import socket,sys\ns=socket.socket(socket.AF_PACKET,socket.SOCK_DGRAM)\ns.sendto(bytes.fromhex(sys.argv[2]),(sys.argv[1],0x86DD))\n'
  inNs(NS_C, 'python3', '-c', py, WG_C, Buffer.from(control).toString('hex'))
  await Bun.sleep(500)
  try {
    inNs(NS_C, 'ping', '-c', '1', '-W', '3', '100.96.0.1')
  } catch (e) {
    console.error(sh('ip', '-n', NS_C, 'route'), sh('ip', '-n', NS_C, 'link'), sh('ip', '-n', NS_C, 'addr'))
    throw e
  }
  const natResult = await iperf(oursPid, '100.96.0.1')
  inNs(NS_C, 'ping', '-6', '-c', '1', '-W', '3', 'fd00:2021:1111:8000::1')
  const nat64Result = await iperf(oursPid, 'fd00:2021:1111:8000::1')
  const rssOurs = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${oursPid}/status`, 'utf8'))![1]) / 1024
  ours.kill('SIGTERM')
  await ours.exited
  await until('gateway TUN removed', () => !linkUp(NS_G, `ghgwbt${id}`))

  // 2. wireguard-go as the gateway: same key, port, addresses, masquerade.
  spawnIn(NS_G, 'wireguard-go', '-f', WG_G)
  await until('wireguard-go gateway interface', () => linkUp(NS_G, WG_G))
  inNs(
    NS_G,
    'wg',
    'set',
    WG_G,
    'private-key',
    join(dir, 'gw.key'),
    'listen-port',
    '51820',
    'peer',
    cPub,
    'allowed-ips',
    '100.64.0.2/32',
  )
  sh('ip', '-n', NS_G, 'addr', 'add', '100.64.0.1/32', 'dev', WG_G)
  sh('ip', '-n', NS_G, 'link', 'set', WG_G, 'mtu', '1420', 'up')
  sh('ip', '-n', NS_G, 'route', 'add', '100.64.0.0/11', 'dev', WG_G)
  // The client still holds a session with the stopped gateway: start it afresh.
  inNs(NS_C, 'wg', 'set', WG_C, 'peer', gwPub, 'remove')
  inNs(NS_C, 'wg', 'set', WG_C, 'peer', gwPub, 'endpoint', '192.168.78.2:51820', 'allowed-ips', clientAllowed)
  sh('ip', '-n', NS_C, 'route', 'replace', '10.78.0.0/24', 'dev', WG_C)
  inNs(NS_C, 'ping', '-c', '2', '-i', '0.2', '-W', '3', SITE)
  const goPid = pidIn(NS_G, 'wireguard-go')
  const goResult = await iperf(goPid)

  const result = {
    date: new Date().toISOString(),
    seconds: SECONDS,
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    ours: { ...oursResult, rssMiB: Math.round(rssOurs * 10) / 10 },
    oursNat: natResult,
    oursNat64: nat64Result,
    wireguardGo: goResult,
    ratio: Math.round((oursResult.mbps / goResult.mbps) * 100) / 100,
    ratioNat: Math.round((natResult.mbps / goResult.mbps) * 100) / 100,
    ratioNat64: Math.round((nat64Result.mbps / goResult.mbps) * 100) / 100,
  }
  console.log(JSON.stringify(result, null, 2))
  const out = join(import.meta.dir, '..', 'bench-results')
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'gateway-iperf.json'), `${JSON.stringify(result, null, 2)}\n`)
} finally {
  cleanup()
}
process.exit(0)
