/**
 * End-to-end WireGuard benchmark (issue 8). Run as root:
 *   bun wireguard/run.ts [--quick] [--rekey] [--pairs=go-go,ours-ours,ours-go]
 *
 * Two network namespaces, gh-wg-e<pid>-1 (iperf3 client) and -2 (server), joined by a veth pair
 * (the "Internet"). On each side a WireGuard endpoint with a TUN device carries 10.206.0.0/24:
 * - `go-go`: wireguard-go on both ends (configured with `wg setconf`), the reference;
 * - `ours-ours`: bench/wireguard/peer.ts (@gatehouse/wireguard + @gatehouse/tun) on both ends;
 * - `ours-go`: ours in e1, wireguard-go in e2 (interop under load).
 * Each pair runs an iperf3 TCP single stream (the judging figure, see MISSION "This machine"),
 * then a UDP flood of 1372-byte datagrams; we report Mbit/s, packets/s on the receiving TUN, and
 * the CPU % of both WireGuard processes (utime + stime over the run, all threads).
 * `--rekey` keeps an ours → wireguard-go tunnel busy past REKEY_AFTER_TIME (120 s); our side then
 * prints its stats (handshakes ≥ 2 means it rekeyed) and the stream must survive the rekey. Side by side in one run; namespaces removed at the end.
 * Writes bench-results/wireguard-e2e.json in the bench workspace.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  isListening,
  Lab,
  type Proc,
  run as sh,
  skipReason,
  startWireguardGo,
  tryRun,
  waitFor,
  wgKeyPair,
  wgPublicKey,
} from '@gatehouse/netns-kit'

const ID = process.pid % 100000
const VETH = { a: 'ghwge1', b: 'ghwge2', addrA: '10.205.0.1', addrB: '10.205.0.2' }
// Per-pid TUN names: wireguard-go's UAPI socket (/var/run/wireguard/<name>.sock) is shared by all namespaces.
const TUN = { a: `ghwg${ID}a`, b: `ghwg${ID}b`, addrA: '10.206.0.1', addrB: '10.206.0.2' }
const PORT = 51820
const MTU = 1420
const quick = process.argv.includes('--quick')
const rekey = process.argv.includes('--rekey')
const TCP_SECONDS = quick ? 3 : 8
const UDP_SECONDS = quick ? 2 : 4
const pairsArg = process.argv.find((a) => a.startsWith('--pairs='))?.slice('--pairs='.length)
const PAIRS = (pairsArg ?? 'go-go,ours-ours,ours-go').split(',')
const CLK_TCK = 100
const here = import.meta.dir

const SKIP = skipReason(['iperf3', 'wireguard-go', 'wg', 'ping', 'ss'])
if (SKIP) {
  console.error(`wireguard e2e bench: ${SKIP}; skipping`)
  process.exit(0)
}

// Namespaces gh-wg-e<pid>-1 and -2, removed at the end (also on a crash or Ctrl-C).
const lab = new Lab(`gh-wg-e${ID}-`)
const [NS1, NS2] = lab.pointToPoint(
  { dev: VETH.a, addrs: [`${VETH.addrA}/24`] },
  { dev: VETH.b, addrs: [`${VETH.addrB}/24`] },
)

const keys = {
  a: wgKeyPair().privateKey,
  b: wgKeyPair().privateKey,
}
const pub = wgPublicKey

interface End {
  proc: Proc['proc']
  /** What the process wrote to stderr so far. */
  log(): string
  stop(): Promise<void>
}

/** One end of the tunnel: its namespace, TUN, keys and addresses; `endpoint` (the peer's veth address) on the initiator. */
interface EndSpec {
  ns: string
  dev: string
  key: string
  peerKey: string
  addr: string
  peerAddr: string
  endpoint?: string
}

const SPEC: { a: EndSpec; b: EndSpec } = {
  a: {
    ns: NS1,
    dev: TUN.a,
    key: keys.a,
    peerKey: keys.b,
    addr: TUN.addrA,
    peerAddr: TUN.addrB,
    endpoint: VETH.addrB,
  },
  b: { ns: NS2, dev: TUN.b, key: keys.b, peerKey: keys.a, addr: TUN.addrB, peerAddr: TUN.addrA },
}

async function startGo({ ns, dev, key, peerKey, addr, peerAddr, endpoint }: EndSpec): Promise<End> {
  const p = await startWireguardGo(lab, {
    ns,
    ifname: dev,
    privateKey: key,
    listenPort: PORT,
    peers: [
      {
        publicKey: pub(peerKey),
        allowedIps: [`${peerAddr}/32`],
        endpoint: endpoint ? `${endpoint}:${PORT}` : undefined,
      },
    ],
    addrs: [`${addr}/32`],
    routes: [`${peerAddr}/32`],
    mtu: MTU,
  })
  return { proc: p.proc, log: p.stderr, stop: () => lab.stop(p).then(() => {}) }
}

async function startOurs({ ns, dev, key, peerKey, addr, peerAddr, endpoint }: EndSpec): Promise<End> {
  const cfg = {
    privateKey: key,
    peerPublicKey: pub(peerKey),
    listenPort: PORT,
    endpoint: endpoint ? { address: endpoint, port: PORT } : undefined,
    dev,
    tunAddr: addr,
    peerTunAddr: peerAddr,
    mtu: MTU,
  }
  // WG_BENCH_PROFILE=<dir>: CPU profiles of our peers (markdown), written when they exit.
  const prof = process.env.WG_BENCH_PROFILE
  const profArgs = prof ? ['--cpu-prof-md', `--cpu-prof-dir=${prof}`] : []
  const p = await lab.start(
    `ours-${dev}`,
    null,
    [
      'env',
      `WG_BENCH=${JSON.stringify(cfg)}`,
      'ip',
      'netns',
      'exec',
      ns,
      process.execPath,
      ...profArgs,
      join(here, 'peer.ts'),
    ],
    (q) => q.stdout().includes('ready'),
  )
  return {
    proc: p.proc,
    log: p.stderr,
    async stop() {
      await lab.stop(p)
      // Our peer's stderr (errors, the SIGUSR1 stats) goes to the bench's own, as when it was inherited.
      process.stderr.write(p.stderr())
    },
  }
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(f[11]) + Number(f[12])
}

function rxPackets(ns: string, dev: string): number {
  return Number(sh(['ip', 'netns', 'exec', ns, 'cat', `/sys/class/net/${dev}/statistics/rx_packets`]).trim())
}

interface Result {
  pair: string
  test: string
  mbps: number
  pps: number
  cpuPct: number
  retransmits?: number
  lossPct?: number
}

async function measure(
  pair: string,
  ends: End[],
  test: 'tcp' | 'udp',
  seconds: number,
  extra: string[] = [],
): Promise<Result> {
  const server = await lab.start('iperf3', NS2, ['iperf3', '-s', '-1', '-B', TUN.addrB], () =>
    isListening(NS2, 5201, 'tcp', TUN.addrB),
  )
  const args = ['ip', 'netns', 'exec', NS1, 'iperf3', '-c', TUN.addrB, '-t', String(seconds), '-J']
  if (test === 'udp') args.push('-u', '-b', '0', '-l', String(MTU - 28 - 20))
  args.push(...extra)
  const t0 = performance.now()
  const c0 = ends.map((e) => cpuTicks(e.proc.pid))
  // The iperf3 server TUN is the receiving side in both directions of measurement (client → server).
  const p0 = rxPackets(NS2, TUN.b)
  const client = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe' })
  const out = await new Response(client.stdout).text()
  await client.exited
  const elapsed = (performance.now() - t0) / 1000
  const p1 = rxPackets(NS2, TUN.b)
  const c1 = ends.map((e) => cpuTicks(e.proc.pid))
  await lab.stop(server)
  const cpuPct = (c1.reduce((a, b, i) => a + b - c0[i], 0) / CLK_TCK / elapsed) * 100
  const j = JSON.parse(out)
  if (j.error) throw new Error(`iperf3 (${pair} ${test}): ${j.error}`)
  // Receiver-side figures: for UDP, what arrived (iperf3 ≥ 3.13 reports sum_received for UDP too).
  const sum = test === 'tcp' ? j.end.sum_received : (j.end.sum_received ?? j.end.sum)
  return {
    pair,
    test,
    mbps:
      test === 'udp' && j.end.sum_received === undefined
        ? (sum.bits_per_second * (1 - sum.lost_percent / 100)) / 1e6
        : sum.bits_per_second / 1e6,
    pps: (p1 - p0) / elapsed,
    cpuPct,
    retransmits: test === 'tcp' ? j.end.sum_sent.retransmits : undefined,
    lossPct: test === 'udp' ? sum.lost_percent : undefined,
  }
}

async function startPair(pair: string): Promise<End[]> {
  const [left, right] = pair.split('-')
  const a = await (left === 'go' ? startGo : startOurs)(SPEC.a)
  const b = await (right === 'go' ? startGo : startOurs)(SPEC.b)
  // First packet starts the handshake (e1 initiates).
  const ping = tryRun(['ip', 'netns', 'exec', NS1, 'ping', '-c', '3', '-i', '0.3', '-W', '2', TUN.addrB])
  if (!/ [1-3] received/.test(ping.stdout)) throw new Error(`${pair}: no ping through the tunnel`)
  return [a, b]
}

const results: Result[] = []
try {
  for (const pair of PAIRS) {
    const ends = await startPair(pair)
    try {
      results.push(await measure(pair, ends, 'tcp', TCP_SECONDS))
      results.push(await measure(pair, ends, 'udp', UDP_SECONDS))
    } finally {
      for (const e of ends.reverse()) await e.stop()
    }
  }
  if (rekey) {
    // Ours initiates (e1), so ours must rekey at REKEY_AFTER_TIME and wireguard-go must accept it.
    const ends = await startPair('ours-go')
    try {
      // Rate-capped: the point is a rekey under traffic, not two minutes of a saturated core.
      const r = await measure('ours-go', ends, 'tcp', 130, ['-b', '50M'])
      results.push({ ...r, test: 'tcp 50M 130 s (rekey)' })
      ends[0].proc.kill('SIGUSR1')
      await waitFor('our peer to print its stats', () => ends[0].log().includes('"stats"'))
    } finally {
      for (const e of ends.reverse()) await e.stop()
    }
  }
} finally {
  lab.down()
}

const pad = (s: string, n: number) => s.padEnd(n)
console.log(
  `${pad('pair', 11)}${pad('test', 28)}${pad('Mbit/s', 10)}${pad('pkt/s', 10)}${pad('CPU %', 8)}extra`,
)
for (const r of results)
  console.log(
    `${pad(r.pair, 11)}${pad(r.test, 28)}${pad(r.mbps.toFixed(0), 10)}${pad(r.pps.toFixed(0), 10)}${pad(r.cpuPct.toFixed(0), 8)}${r.retransmits !== undefined ? `retr ${r.retransmits}` : `loss ${r.lossPct?.toFixed(1)}%`}`,
  )
const go = results.find((r) => r.pair === 'go-go' && r.test === 'tcp')
const ours = results.find((r) => r.pair === 'ours-ours' && r.test === 'tcp')
if (go && ours) console.log(`TCP ratio ours/wireguard-go: ${(ours.mbps / go.mbps).toFixed(2)}`)
const dir = join(here, '..', 'bench-results')
mkdirSync(dir, { recursive: true })
writeFileSync(
  join(dir, 'wireguard-e2e.json'),
  `${JSON.stringify({ date: new Date().toISOString(), mtu: MTU, tcpSeconds: TCP_SECONDS, udpSeconds: UDP_SECONDS, results }, null, 2)}\n`,
)
