/**
 * The full path, measured (root only; `sudo bun bench/path.ts [seconds]`, default 5): the demo's
 * topology, then side by side in one run
 *   - ours, same family: iperf3 (single-stream TCP) from the client namespace to the dual-stack
 *     host's IPv4 through apps/client -> WireGuard -> apps/gateway (NAT) -> masquerade -> site;
 *   - ours, NAT64: the same to the IPv6 proxy IP of the IPv4-only host (translated at the gateway);
 *   - wireguard-go <-> wireguard-go over the same veths and namespaces, no NAT (the reference);
 * with ping latency (20 echoes) on each path, packets/s on the gateway side's tunnel device, the
 * CPU % of each data-plane process during the transfer, and the RSS of both apps at idle and with
 * 10,000 NAT sessions (10,000 UDP flows from distinct source ports). Writes
 * bench-results/demo-path.json. Everything is removed at the end, also on failure or Ctrl-C.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ADDR, exec, NAMES, Runner, Topology } from '@gatehouse/demo'
import { isListening, startWireguardGo, wgKeyPair } from '@gatehouse/netns-kit'

if (process.getuid?.() !== 0) {
  console.warn('skipping the full-path bench: needs root (namespaces, TUN devices)')
  process.exit(0)
}
if (Bun.which('iperf3') === null) {
  console.warn('skipping the full-path bench: iperf3 is not installed')
  process.exit(0)
}

const SECONDS = Number(process.argv[2] ?? 5)
const SESSIONS = 10_000

/** utime + stime of a process and its threads, in clock ticks (100/s). */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return Number(rest[11]) + Number(rest[12])
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? Number.NaN : Number(m[1]) / 1024
}

let topo: Topology | null = null
const stop = () => {
  topo?.down()
  topo = null
}
// Ctrl-C and SIGTERM: the topology's lab removes everything (netns-kit's signal handlers).

interface PathResult {
  path: string
  mbits: number
  retransmits: number
  pps: number
  cpu: Record<string, number>
  pingMs: number
}

try {
  topo = await Topology.up({ prefix: 'ghdb-', logLevel: 'INFO', progress: (l) => console.error(`· ${l}`) })
  const t = topo
  const x = new Runner(t)
  const gwPid = t.gatewayPid!
  const clPid = t.clientPid!

  // The reference: wireguard-go in the client and gateway namespaces over the same veth (port 51821).
  const kc = wgKeyPair()
  const kg = wgKeyPair()
  const wgPids: Record<string, number> = {}
  for (const [ns, ifname, key, peer] of [
    [
      t.ns.client,
      'wgc',
      kc.privateKey,
      {
        publicKey: kg.publicKey,
        allowedIps: ['10.99.0.0/24', '10.90.0.0/24'],
        endpoint: `${ADDR.gatewayClientLink}:51821`,
      },
    ],
    [t.ns.gateway, 'wgg', kg.privateKey, { publicKey: kc.publicKey, allowedIps: ['10.99.0.0/24'] }],
  ] as const) {
    const p = await startWireguardGo(t.lab, {
      ns,
      ifname,
      privateKey: key,
      listenPort: ifname === 'wgg' ? 51821 : undefined,
      peers: [peer],
      addrs: [ifname === 'wgg' ? '10.99.0.1/24' : '10.99.0.2/24'],
      mtu: 1280,
    })
    wgPids[ifname] = p.proc.pid
  }
  await exec(['ip', '-n', t.ns.client, 'route', 'add', '10.90.0.0/24', 'dev', 'wgc'])
  // Masquerade the reference tunnel's addresses too (same rule as the clients' tunnel IPs).
  const nft = await t.run(t.ns.gateway, [
    'nft',
    'add',
    'rule',
    'inet',
    'gatehouse_demo',
    'post',
    'ip',
    'saddr',
    '10.99.0.0/24',
    'oifname',
    'g1',
    'masquerade',
  ])
  if (nft.code !== 0) throw new Error(`nft: ${nft.out}`)
  await t.lab.start('iperf3', t.ns.site, ['iperf3', '-s'], () => isListening(t.ns.site, 5201, 'tcp'))

  const idle = { gatewayMb: rssMb(gwPid), clientMb: rssMb(clPid) }
  const dual4 = (await x.proxyIps(NAMES.dual, 'A'))[0]
  const v4via6 = (await x.proxyIps(NAMES.v4, 'AAAA'))[0]

  const tunPackets = async (ns: string, dev: string) => {
    const r = await exec(['ip', '-n', ns, '-s', '-j', 'link', 'show', dev])
    const j = JSON.parse(r.stdout)[0]
    return j.stats64.tx.packets + j.stats64.rx.packets
  }
  const ping = async (dst: string) => {
    const r = await t.run(t.ns.client, ['ping', '-c', '20', '-i', '0.05', '-q', dst])
    const m = /= [\d.]+\/([\d.]+)\//.exec(r.stdout)
    return m === null ? Number.NaN : Number(m[1])
  }
  const measure = async (
    path: string,
    dst: string,
    procs: Record<string, number>,
    dev: string,
  ): Promise<PathResult> => {
    const pingMs = await ping(dst)
    const before = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuTicks(pid)]))
    const pk0 = await tunPackets(t.ns.gateway, dev)
    const r = await t.run(
      t.ns.client,
      ['iperf3', '-c', dst, '-t', String(SECONDS), '-J'],
      (SECONDS + 20) * 1000,
    )
    const pk1 = await tunPackets(t.ns.gateway, dev)
    const cpu = Object.fromEntries(
      Object.entries(procs).map(([k, pid]) => [
        k,
        Math.round(((cpuTicks(pid) - before[k]) / SECONDS / 100) * 100),
      ]),
    )
    const j = JSON.parse(r.stdout)
    if (j.error) throw new Error(`iperf3 ${path}: ${j.error}`)
    return {
      path,
      mbits: Math.round(j.end.sum_received.bits_per_second / 1e6),
      retransmits: j.end.sum_sent.retransmits ?? 0,
      pps: Math.round((pk1 - pk0) / SECONDS),
      cpu,
      pingMs,
    }
  }

  console.error(`· iperf3 ${SECONDS} s per path, single-stream TCP, client namespace -> site`)
  const results: PathResult[] = []
  const ours = { client: clPid, gateway: gwPid }
  results.push(await measure('ours, same family (IPv4 NAT)', dual4, ours, 'gh-gateway'))
  results.push(await measure('ours, NAT64 (IPv6 proxy -> IPv4 host)', v4via6, ours, 'gh-gateway'))
  results.push(
    await measure(
      'wireguard-go <-> wireguard-go (no NAT)',
      ADDR.dualHost4,
      { client: wgPids.wgc, gateway: wgPids.wgg },
      'wgg',
    ),
  )

  // 10,000 NAT sessions: one UDP datagram from each of 10,000 source ports to the IPv4-only host's proxy IP.
  console.error(`· ${SESSIONS} UDP flows through the NAT`)
  const flows = `
import socket, sys, time
dst = sys.argv[1]
n = int(sys.argv[2])
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('0.0.0.0', 20000 + i))
    s.sendto(b'x', (dst, 7))
    s.close()
    if i % 50 == 49: time.sleep(0.01)  # paced: a burst would overflow the TUN's queue
`
  const v4proxy = (await x.proxyIps(NAMES.v4, 'A'))[0]
  const f = await t.run(t.ns.client, ['python3', '-c', flows, v4proxy, String(SESSIONS)], 120_000)
  if (f.code !== 0) throw new Error(`flows: ${f.out}`)
  await Bun.sleep(1000)
  const m = await t.gatewayMetrics()
  let sessions = 0
  for (const [k, v] of m) if (k.startsWith('gatehouse_nat_sessions{')) sessions += v
  if (process.env.GHD_BENCH_DEBUG)
    console.error(
      [...m]
        .filter(([k, v]) => v > 0 && /drops|sessions/.test(k))
        .map(([k, v]) => `${k} ${v}`)
        .join('\n'),
    )
  const loaded = { gatewayMb: rssMb(gwPid), clientMb: rssMb(clPid), natSessions: sessions }

  const record = {
    date: new Date().toISOString(),
    cpu: readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown',
    cores: navigator.hardwareConcurrency,
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    runtime: `Bun ${Bun.version}`,
    seconds: SECONDS,
    paths: results,
    rss: { idle, [`with ${SESSIONS} sessions`]: loaded },
  }
  console.log(
    `\nfull path, ${record.date}, ${record.cpu} x${record.cores}, load ${record.load}, ${record.runtime}\n`,
  )
  console.log(
    '| path | TCP Mbit/s | retransmits | pkt/s (gateway tunnel dev) | CPU % client / gateway | ping ms |',
  )
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const r of results)
    console.log(
      `| ${r.path} | ${r.mbits} | ${r.retransmits} | ${r.pps} | ${r.cpu.client} / ${r.cpu.gateway} | ${r.pingMs.toFixed(3)} |`,
    )
  const ref = results[2].mbits
  console.log(
    `\nours / wireguard-go: same family ${(results[0].mbits / ref).toFixed(2)}, NAT64 ${(results[1].mbits / ref).toFixed(2)}`,
  )
  console.log(
    `RSS idle: gateway ${idle.gatewayMb.toFixed(1)} MB, client ${idle.clientMb.toFixed(1)} MB; with ${loaded.natSessions} NAT sessions: gateway ${loaded.gatewayMb.toFixed(1)} MB, client ${loaded.clientMb.toFixed(1)} MB`,
  )
  const dir = join(import.meta.dir, '..', '..', 'bench-results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'demo-path.json'), `${JSON.stringify(record, null, 2)}\n`)
} finally {
  stop()
}
