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
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  cpuSeconds,
  isListening,
  Lab,
  linkExists,
  rssMb,
  run,
  setWgConfig,
  skipReason,
  startWireguardGo,
  waitFor,
} from '@gatehouse/netns-kit'
import { assignedIps, buildGatewayPath, gatewayConfig, WEB_PROXY_IPS } from '../test/path.ts'

const SKIP = skipReason(['wireguard-go', 'wg', 'nft', 'iperf3', 'dnsmasq', 'python3', 'ping', 'ss'])
if (SKIP) {
  console.warn(`skipping iperf bench: ${SKIP}`)
  process.exit(0)
}

const SECONDS = Number(process.argv[2] ?? 5)
const id = process.pid % 100000
const WG_C = `ghgwbc${id}`
const WG_G = `ghgwbg${id}`
const GW_TUN = `ghgwbt${id}`
const SITE = '10.78.0.2'
const MAIN = join(import.meta.dir, '..', 'src', 'main.ts')
const lab = new Lab(`gh-gw-b${id}-`)
const inNs = (ns: string, ...argv: string[]) => lab.sh(ns, ...argv)

/** The pid of the process whose name starts with `comm` inside namespace `ns` (npm's Bun runs as `bun.exe`). */
function pidIn(ns: string, comm: string): number {
  for (const p of run(['ip', 'netns', 'pids', ns]).trim().split('\n')) {
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
  const server = await lab.start('iperf3', NS_S, ['iperf3', '-s', '-1', '-B', SITE], () =>
    isListening(NS_S, 5201, 'tcp', SITE),
  )
  const c0 = cpuSeconds(gatewayPid)
  const t0 = performance.now()
  const out = inNs(NS_C, 'iperf3', '-c', target, '-t', String(SECONDS), '-J')
  const wall = (performance.now() - t0) / 1000
  const cpu = cpuSeconds(gatewayPid) - c0
  await server.proc.exited
  const j = JSON.parse(out)
  return {
    mbps: Math.round(j.end.sum_received.bits_per_second / 1e5) / 10,
    retransmits: j.end.sum_sent.retransmits,
    cpuPercent: Math.round((cpu / wall) * 1000) / 10,
  }
}

const path = await buildGatewayPath(lab, { net: 78, clientIf: WG_C, names: ['app.example.test'] })
const { c: NS_C, g: NS_G, s: NS_S } = path
try {
  // 1. Our gateway.
  const cfg = gatewayConfig(
    path,
    [
      { id: 'site', type: 'cidr', address: '10.78.0.0/24' },
      { id: 'web', type: 'dns', address: '*.example.test' },
    ],
    { tun: { name: GW_TUN, mtu: 1420 }, log: { console: 'none' } },
  )
  writeFileSync(join(lab.dir, 'gw.json'), JSON.stringify(cfg))
  const ours = await lab.start(
    'gateway',
    NS_G,
    [process.execPath, MAIN, 'run', '--config', join(lab.dir, 'gw.json')],
    () => linkExists(NS_G, GW_TUN),
  )
  inNs(NS_C, 'ping', '-c', '2', '-i', '0.2', '-W', '3', SITE) // handshake, warm-up
  const oursPid = pidIn(NS_G, 'bun')
  const oursResult = await iperf(oursPid)
  // The NAT paths: the client tells the gateway app.example.test's proxy IPs (as apps/client would),
  // injected on wireguard-go's TUN through an AF_PACKET socket; the name has only an A record, so its
  // IPv6 proxy IPs go through NAT64.
  const control = assignedIps(1, 'web', 'app.example.test', WEB_PROXY_IPS)
  const py =
    'import socket,sys\ns=socket.socket(socket.AF_PACKET,socket.SOCK_DGRAM)\ns.sendto(bytes.fromhex(sys.argv[2]),(sys.argv[1],0x86DD))\n'
  inNs(NS_C, 'python3', '-c', py, WG_C, Buffer.from(control).toString('hex'))
  // The gateway answers once it has resolved the name: wait until the proxy IP answers a ping.
  await waitFor(
    'the proxy IP to answer through the NAT',
    () => lab.exec(NS_C, ['ping', '-c', '1', '-W', '1', '100.96.0.1']).then((r) => r.code === 0),
    {
      detail: () => [run(['ip', '-n', NS_C, 'route']), run(['ip', '-n', NS_C, 'addr'])].join('\n'),
    },
  )
  const natResult = await iperf(oursPid, '100.96.0.1')
  inNs(NS_C, 'ping', '-6', '-c', '1', '-W', '3', 'fd00:2021:1111:8000::1')
  const nat64Result = await iperf(oursPid, 'fd00:2021:1111:8000::1')
  const rssOurs = rssMb(oursPid)
  await lab.stop(ours)
  await waitFor('gateway TUN removed', () => !linkExists(NS_G, GW_TUN))

  // 2. wireguard-go as the gateway: same key, port, addresses, masquerade.
  await startWireguardGo(lab, {
    ns: NS_G,
    ifname: WG_G,
    privateKey: path.gateway.privateKey,
    listenPort: 51820,
    peers: [{ publicKey: path.client.publicKey, allowedIps: ['100.64.0.2/32'] }],
    addrs: ['100.64.0.1/32'],
    routes: ['100.64.0.0/11'],
    mtu: 1420,
  })
  // The client still holds a session with the stopped gateway: start it afresh.
  setWgConfig(lab, NS_C, WG_C, { privateKey: path.client.privateKey, peers: [path.clientPeer] })
  run(['ip', '-n', NS_C, 'route', 'replace', '10.78.0.0/24', 'dev', WG_C])
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
  lab.down()
}
process.exit(0)
