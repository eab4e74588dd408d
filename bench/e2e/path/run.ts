/**
 * The full path, measured (issues 9 and 10). Root only, under the bench lock:
 *   flock /tmp/gh-bench.lock bun e2e/path/run.ts [--quick] [--rounds=N] [--seconds=S]
 *     [--sessions=N] [--profile] [--out=DIR]
 * The demo's topology (@gatehouse/demo: client, gateway and site namespaces, both apps running),
 * then side by side in one run, in ABC/CBA order over the rounds (medians reported):
 *   - ours, same family: iperf3 single-stream TCP from the client namespace to the dual-stack
 *     host's IPv4 proxy IP through apps/client -> WireGuard -> apps/gateway (NAT) -> masquerade -> site;
 *   - ours, NAT64: the same to the IPv6 proxy IP of the IPv4-only host (translated at the gateway);
 *   - wireguard-go alone: wireguard-go <-> wireguard-go over the same veths and namespaces, no NAT
 *     (the reference, MTU 1280 like ours, masqueraded the same way);
 * with ping latency on each path, CPU per packet of the two data-plane processes (client + gateway,
 * per packet delivered on the gateway's tunnel device), and the gateway's RSS at idle and with
 * 10,000 NAT sessions (10,000 UDP flows from distinct source ports), wireguard-go's beside it.
 * Goal: ours ÷ wireguard-go alone ≥ 0.8 on TCP (same family; NAT64 reported with its own ratio).
 * With `--profile`, or when a goal is missed: `strace -c -f` on both apps during a stream, then a
 * second topology whose apps run under `bun --cpu-prof`, summarized in the report's `whereTimeGoes`.
 * Writes `<out>/path.{json,svg,md}` (default bench/e2e/results). Everything is removed at the end.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ADDR, missingTools, NAMES, Runner, Topology } from '@gatehouse/demo'
import {
  CpuMeter,
  iperf3,
  isListening,
  linkPackets,
  ping,
  rssMb,
  startWireguardGo,
  tryRun,
  wgKeyPair,
} from '@gatehouse/netns-kit'
import { benchArgs, positiveInt } from '../lib/args.ts'
import {
  cpuProfileArgs,
  type ProfileSummary,
  profileNote,
  profileSummary,
  type SyscallTrace,
  syscallsPerPacket,
} from '../lib/profile.ts'
import {
  type E2eReport,
  fromRounds,
  type Goal,
  goal,
  type Measurement,
  machine,
  writeReport,
} from '../lib/report.ts'

const args = benchArgs('path bench', { sessions: { type: 'string' } })
const quick = args.quick
const SECONDS = positiveInt('path bench', 'seconds', args.seconds, quick ? 2 : 6)
const ROUNDS = positiveInt('path bench', 'rounds', args.rounds, quick ? 1 : 2)
const SESSIONS = positiveInt('path bench', 'sessions', args.sessions, quick ? 2000 : 10_000)
const PING_COUNT = quick ? 10 : 20
const OUT = args.out

if (process.getuid?.() !== 0) {
  console.warn('skipping the full-path bench: needs root (namespaces, TUN devices)')
  process.exit(0)
}
const missing = [...missingTools(), 'iperf3'].filter((t) => Bun.which(t) === null)
if (missing.length > 0) {
  console.warn(`skipping the full-path bench: not installed: ${[...new Set(missing)].join(', ')}`)
  process.exit(0)
}

const S = {
  same: 'ours, same family',
  nat64: 'ours, NAT64',
  wg: 'wireguard-go alone',
  idle: 'ours, idle',
  loaded: `ours, ${SESSIONS} NAT sessions`,
} as const
const M = { tcp: 'TCP single stream', cpu: 'CPU per packet', ping: 'ping', rss: 'gateway RSS' } as const
const T0 = performance.now()
const progress = (l: string) => console.error(`· ${((performance.now() - T0) / 1000).toFixed(1)} s ${l}`)

interface Path {
  subject: string
  dst: string
  /** Data-plane processes whose CPU is counted. */
  pids: number[]
  /** The gateway side's tunnel device: packets delivered out of the tunnel. */
  dev: string
}

interface Sample {
  subject: string
  mbps: number
  retransmits: number
  usPerPacket: number
  cpuPct: number
  pingMs: number
}

/** One path: ping at idle, then an iperf3 TCP stream with the processes' CPU and the tunnel device's packets. */
async function measure(t: Topology, p: Path): Promise<Sample> {
  const pingMs = ping(t.ns.client, p.dst, PING_COUNT, 0.05).avgMs
  const meter = new CpuMeter(p.pids)
  const k0 = linkPackets(t.ns.gateway, p.dev).rx
  const r = await iperf3({ ns: t.ns.client, server: p.dst, seconds: SECONDS })
  const packets = linkPackets(t.ns.gateway, p.dev).rx - k0
  const cpu = meter.stop()
  const cores = cpu.cores.reduce((a, b) => a + b, 0)
  const s = {
    subject: p.subject,
    mbps: r.mbps,
    retransmits: r.retransmits,
    usPerPacket: packets > 0 ? ((cores * cpu.seconds) / packets) * 1e6 : Number.NaN,
    cpuPct: cores * 100,
    pingMs,
  }
  progress(
    `${p.subject}: ${s.mbps.toFixed(0)} Mbit/s, ${s.usPerPacket.toFixed(1)} µs CPU/packet (${s.cpuPct.toFixed(0)}% of a core), ping ${pingMs.toFixed(3)} ms`,
  )
  return s
}

/** The reference: wireguard-go in the client and gateway namespaces over the same veth (port 51821). */
async function startReference(t: Topology): Promise<{ wgc: number; wgg: number }> {
  const kc = wgKeyPair()
  const kg = wgKeyPair()
  const client = await startWireguardGo(t.lab, {
    ns: t.ns.client,
    ifname: 'wgc',
    privateKey: kc.privateKey,
    peers: [
      {
        publicKey: kg.publicKey,
        allowedIps: ['10.99.0.0/24', '10.90.0.0/24'],
        endpoint: `${ADDR.gatewayClientLink}:51821`,
      },
    ],
    addrs: ['10.99.0.2/24'],
    routes: ['10.90.0.0/24'],
    mtu: 1280,
  })
  const gateway = await startWireguardGo(t.lab, {
    ns: t.ns.gateway,
    ifname: 'wgg',
    privateKey: kg.privateKey,
    listenPort: 51821,
    peers: [{ publicKey: kc.publicKey, allowedIps: ['10.99.0.0/24'] }],
    addrs: ['10.99.0.1/24'],
    mtu: 1280,
  })
  // Masquerade the reference tunnel's addresses too (the same rule as the clients' tunnel IPs).
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
  return { wgc: client.proc.pid, wgg: gateway.proc.pid }
}

/** `n` NAT sessions: one UDP datagram from each of n source ports to `dst` port 7; returns the gateway's count. */
async function sessions(t: Topology, dst: string, n: number): Promise<number> {
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
  const f = await t.run(t.ns.client, ['python3', '-c', flows, dst, String(n)], 120_000)
  if (f.code !== 0) throw new Error(`flows: ${f.out}`)
  await Bun.sleep(1000)
  let count = 0
  for (const [k, v] of await t.gatewayMetrics()) if (k.startsWith('gatehouse_nat_sessions{')) count += v
  return count
}

const round2 = (x: number) => Math.round(x * 100) / 100

const packetsOf = (ns: string, dev: string) => () => {
  const l = linkPackets(ns, dev)
  return l.rx + l.tx
}

const samples: Sample[] = []
const measurements: Measurement[] = []
const goals: Goal[] = []
const notes: string[] = []
const profiles: ProfileSummary[] = []
let profileTarget: 'same family' | 'NAT64' | null = null
const traced: Record<'gateway' | 'client', SyscallTrace | null> = {
  gateway: null,
  client: null,
}

let topo: Topology | null = await Topology.up({ prefix: 'ghdb-', logLevel: 'INFO', progress })
try {
  const t = topo
  const x = new Runner(t)
  const gw = t.gatewayPid!
  const cl = t.clientPid!
  const ref = await startReference(t)
  await t.lab.start('iperf3', t.ns.site, ['iperf3', '-s'], () => isListening(t.ns.site, 5201, 'tcp'))
  const idle = { gateway: rssMb(gw), client: rssMb(cl) }
  const paths: Path[] = [
    { subject: S.same, dst: (await x.proxyIps(NAMES.dual, 'A'))[0], pids: [cl, gw], dev: 'gh-gateway' },
    { subject: S.nat64, dst: (await x.proxyIps(NAMES.v4, 'AAAA'))[0], pids: [cl, gw], dev: 'gh-gateway' },
    { subject: S.wg, dst: ADDR.dualHost4, pids: [ref.wgc, ref.wgg], dev: 'wgg' },
  ]
  progress(`iperf3 ${SECONDS} s per path, ${ROUNDS} round(s), single-stream TCP, client namespace -> site`)
  for (let round = 0; round < ROUNDS; round++)
    for (const p of round % 2 === 0 ? paths : [...paths].reverse()) samples.push(await measure(t, p))

  progress(`${SESSIONS} UDP flows through the NAT`)
  const natSessions = await sessions(t, (await x.proxyIps(NAMES.v4, 'A'))[0], SESSIONS)
  const loaded = { gateway: rssMb(gw), client: rssMb(cl) }
  const wgRss = rssMb(ref.wgg)

  for (const p of paths) {
    const s = samples.filter((y) => y.subject === p.subject)
    const add = (metric: string, xs: number[], unit: string, better: 'higher' | 'lower') =>
      measurements.push(fromRounds(p.subject, metric, unit, better, xs.map(round2)))
    add(
      M.tcp,
      s.map((y) => y.mbps),
      'Mbit/s',
      'higher',
    )
    add(
      M.cpu,
      s.map((y) => y.usPerPacket),
      'µs',
      'lower',
    )
    add(
      M.ping,
      s.map((y) => y.pingMs),
      'ms',
      'lower',
    )
    notes.push(
      `${p.subject}, per round: ${s.map((y) => y.mbps.toFixed(0)).join(', ')} Mbit/s (retransmits ${s.map((y) => y.retransmits).join(', ')}), data plane ${s.map((y) => y.cpuPct.toFixed(0)).join(', ')} % of a core.`,
    )
  }
  for (const [subject, mb] of [
    [S.idle, idle.gateway],
    [S.loaded, loaded.gateway],
    [S.wg, wgRss],
  ] as const)
    measurements.push({ subject, metric: M.rss, value: round2(mb), unit: 'MB', better: 'lower' })
  notes.push(
    `RSS: gateway ${idle.gateway.toFixed(1)} MB idle, ${loaded.gateway.toFixed(1)} MB with ${natSessions} NAT sessions (gatehouse_nat_sessions after ${SESSIONS} UDP flows); client ${idle.client.toFixed(1)} → ${loaded.client.toFixed(1)} MB; wireguard-go's gateway side ${wgRss.toFixed(1)} MB after its transfers.`,
  )
  goals.push(
    goal(
      'Full path TCP: ours same family ÷ wireguard-go alone ≥ 0.8',
      measurements,
      M.tcp,
      S.same,
      S.wg,
      0.8,
    ),
  )
  goals.push(
    goal('Full path TCP: ours NAT64 ÷ wireguard-go alone ≥ 0.8', measurements, M.tcp, S.nat64, S.wg, 0.8),
  )

  if (args.profile || goals.some((g) => !g.met)) {
    profileTarget = goals[0].met && !goals[1].met ? 'NAT64' : 'same family'
    const dst = paths[profileTarget === 'NAT64' ? 1 : 0].dst
    if (Bun.which('strace') !== null) {
      const window = quick ? 1 : 3
      progress(`profile: strace -c -f on both apps, ${window} s of a ${profileTarget} TCP stream`)
      const stream = iperf3({ ns: t.ns.client, server: dst, seconds: window + 2 })
      await Bun.sleep(700)
      const [g, c] = await Promise.all([
        syscallsPerPacket(gw, window, packetsOf(t.ns.gateway, 'gh-gateway')),
        syscallsPerPacket(cl, window, packetsOf(t.ns.client, 'gh-client')),
      ])
      traced.gateway = g
      traced.client = c
      await stream
    }
  }
} finally {
  topo.down()
  topo = null
}

if (profileTarget !== null) {
  // A second world whose apps run under `bun --cpu-prof`; both exit via process.exit on SIGTERM,
  // which is when the profiles are written.
  const dir = mkdtempSync(join(tmpdir(), 'gh-path-prof-'))
  const dirs = { gateway: join(dir, 'gateway'), client: join(dir, 'client') }
  try {
    progress(`profile: the apps under bun --cpu-prof, ${SECONDS} s of a ${profileTarget} TCP stream`)
    topo = await Topology.up({
      prefix: 'ghdp-',
      logLevel: 'INFO',
      progress,
      bunArgs: { gateway: cpuProfileArgs(dirs.gateway), client: cpuProfileArgs(dirs.client) },
    })
    const t = topo
    const x = new Runner(t)
    await t.lab.start('iperf3', t.ns.site, ['iperf3', '-s'], () => isListening(t.ns.site, 5201, 'tcp'))
    const dst =
      profileTarget === 'NAT64'
        ? (await x.proxyIps(NAMES.v4, 'AAAA'))[0]
        : (await x.proxyIps(NAMES.dual, 'A'))[0]
    await iperf3({ ns: t.ns.client, server: dst, seconds: SECONDS })
    await t.stopClient()
    await t.stopGateway()
    for (const app of ['gateway', 'client'] as const) {
      profiles.push(profileSummary(`apps/${app} (${profileTarget} TCP stream)`, dirs[app], traced[app]))
    }
    notes.push(profileNote(profiles, args.profile ? '--profile' : 'goal missed', (p) => p.split(' (')[0]))
  } finally {
    ;(topo as Topology | null)?.down()
    rmSync(dir, { recursive: true, force: true })
  }
}

const report: E2eReport = {
  bench: 'path',
  title: 'Full path: client → WireGuard → gateway (NAT, NAT64) → site, against wireguard-go alone',
  machine: machine(),
  params: {
    rounds: ROUNDS,
    order: 'ABC/CBA over the rounds, medians',
    tcpSeconds: SECONDS,
    pingCount: PING_COUNT,
    sessions: SESSIONS,
    mtu: 1280,
    wireguardGo: tryRun(['wireguard-go', '--version']).stdout.trim().split('\n')[0] ?? '',
  },
  measurements,
  goals,
  whereTimeGoes: profiles,
  notes: [
    'CPU per packet: utime + stime of the two data-plane processes (apps/client + apps/gateway, or the two wireguard-go) over the transfer ÷ packets delivered out of the tunnel on the gateway side.',
    ...notes,
  ],
}
mkdirSync(OUT, { recursive: true })
const files = writeReport(report, OUT)
for (const m of measurements)
  console.log(`${m.subject.padEnd(30)}${m.metric.padEnd(20)}${m.value.toFixed(2)} ${m.unit}`)
for (const g of goals) console.log(`${g.met ? 'met' : 'MISSED'}: ${g.name}: ${g.ratio.toFixed(2)}`)
console.log(`report: ${files.md}`)
