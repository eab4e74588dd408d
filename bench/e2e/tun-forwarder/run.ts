/**
 * End-to-end TUN forwarder benchmark (issue 7). Run as root:
 *   bun e2e/tun-forwarder/run.ts [--quick] [--pin] [--rounds=N] [--out=DIR] [--paths=veth,c,c-mt,bun-ring,bun-poll,bun-sync]
 *
 * Two network namespaces, gh-tun-b<pid>-1 (iperf3 client) and gh-tun-b<pid>-2 (server),
 * joined in turn by:
 * - `veth`: a plain veth pair (the kernel alone, the ceiling);
 * - `c`: forwarder.c, compiled here with gcc into a temp dir, between TUN A (in b1) and TUN B (in b2),
 *   single-threaded (poll + non-blocking reads); `c-mt`: the same with one blocking thread per direction;
 * - `bun-<mode>`: forwarder.ts (@gatehouse/tun) between the same two TUNs, per I/O mode.
 * Each path is measured with iperf3: TCP single stream, then UDP floods (`-b 0`) of
 * 64 B and 1400 B IP packets, reporting receiver packets/s and the forwarder's CPU %
 * (utime + stime of the whole process, all threads, over the run). Everything runs
 * side by side in one invocation, so ratios are fair; the namespaces are removed at the end.
 * Writes bench-results/tun-forwarder.json (in the bench workspace, every figure) and the shared report
 * `<out>/tun-forwarder.{json,svg,md}` (`--out=DIR`, default bench/e2e/results; medians, no goal).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isListening, Lab, linkExists, type Proc, run as sh, skipReason, waitFor } from '@gatehouse/netns-kit'
import { benchArgs, positiveInt } from '../lib/args.ts'
import { type Measurement, machine, writeReport } from '../lib/report.ts'

const TUN_A = { dev: 'ghtunA', addr: '10.201.0.1' }
const TUN_B = { dev: 'ghtunB', addr: '10.201.0.2' }
const VETH = { a: 'ghveth1', b: 'ghveth2', addrA: '10.202.0.1', addrB: '10.202.0.2' }
const MTU = 1500
const here = import.meta.dir
// --profile is accepted (bench:e2e passes it to every bench) and changes nothing here: no goal to miss.
const args = benchArgs('tun-forwarder bench', {
  paths: { type: 'string' },
  pin: { type: 'boolean', default: false },
})
const quick = args.quick
const TCP_SECONDS = positiveInt('tun-forwarder bench', 'seconds', args.seconds, quick ? 3 : 10)
const UDP_SECONDS = quick ? 2 : 4
const PATHS = (args.paths ?? 'veth,c,c-mt,bun-ring,bun-poll,bun-sync').split(',')
const CLK_TCK = 100
/** --pin: the forwarder on CPU 1 (taskset), iperf3 client and server on CPU 0 (`-A 0`). */
const PIN = args.pin

const SKIP = skipReason(['iperf3', 'gcc'])
if (SKIP) {
  console.error(`tun-forwarder bench: ${SKIP}; skipping`)
  process.exit(0)
}

// Namespaces gh-tun-b<pid>-1 and -2, removed at the end (also on a crash or Ctrl-C).
const lab = new Lab(`gh-tun-b${process.pid % 100000}-`)
const [NS1, NS2] = lab.pointToPoint(
  { dev: VETH.a, addrs: [`${VETH.addrA}/24`], mtu: MTU },
  { dev: VETH.b, addrs: [`${VETH.addrB}/24`], mtu: MTU },
)

/** [utime, stime] of the whole process (all threads), in clock ticks (fields 14, 15 of /proc/PID/stat). */
function cpuTicks(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return [Number(f[11]), Number(f[12])]
}

interface Started {
  pid: number
  stop: () => Promise<void>
}

async function startForwarder(path: string, cdir: string): Promise<Started | null> {
  if (path === 'veth') return null
  const args =
    path === 'c' || path === 'c-mt'
      ? [join(cdir, 'forwarder'), NS1, TUN_A.dev, NS2, TUN_B.dev, ...(path === 'c-mt' ? ['mt'] : [])]
      : [
          process.execPath,
          join(here, 'forwarder.ts'),
          path.slice('bun-'.length),
          NS1,
          TUN_A.dev,
          TUN_A.addr,
          NS2,
          TUN_B.dev,
          TUN_B.addr,
          String(MTU),
        ]
  const p: Proc = await lab.start(
    `forwarder-${path}`,
    null,
    PIN ? ['taskset', '-c', '1', ...args] : args,
    (q) => q.stdout().includes('ready'),
  )
  if (path === 'c' || path === 'c-mt') {
    // forwarder.c only creates the devices; configure them as openTun does for the Bun one.
    for (const [ns, t, peer] of [
      [NS1, TUN_A, TUN_B],
      [NS2, TUN_B, TUN_A],
    ] as const) {
      sh(['ip', '-n', ns, 'link', 'set', 'dev', t.dev, 'mtu', String(MTU)])
      sh(['ip', '-n', ns, 'addr', 'add', `${t.addr}/32`, 'dev', t.dev])
      sh(['ip', '-n', ns, 'link', 'set', 'dev', t.dev, 'up'])
      sh(['ip', '-n', ns, 'route', 'add', `${peer.addr}/32`, 'dev', t.dev])
    }
  }
  return {
    pid: p.proc.pid,
    stop: async () => {
      await lab.stop(p, 2000)
    },
  }
}

interface Measure {
  tcpGbps: number
  tcpCpu: number | null
  /** User-mode share of the CPU %: the forwarder's own code (JS + FFI, or C), without the kernel's packet work. */
  tcpUser: number | null
  udp64User: number | null
  udp1400User: number | null
  udp64Pps: number
  udp64Cpu: number | null
  udp1400Pps: number
  udp1400Cpu: number | null
}

async function iperf(target: string, extra: string[], seconds: number): Promise<Record<string, unknown>> {
  const r = Bun.spawn(
    [
      'ip',
      'netns',
      'exec',
      NS1,
      'iperf3',
      '-c',
      target,
      '-t',
      String(seconds),
      '-J',
      '--connect-timeout',
      '2000',
      ...(PIN ? ['-A', '0'] : []),
      ...extra,
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  const out = await new Response(r.stdout).text()
  await r.exited
  return JSON.parse(out) as Record<string, unknown>
}

async function withCpu<T>(
  pid: number | undefined,
  f: () => Promise<T>,
): Promise<[T, number | null, number | null]> {
  const t0 = performance.now()
  const c0 = pid === undefined ? [0, 0] : cpuTicks(pid)
  const v = await f()
  if (pid === undefined) return [v, null, null]
  const secs = (performance.now() - t0) / 1000
  const c1 = cpuTicks(pid)
  const pct = (ticks: number) => Math.round((ticks / CLK_TCK / secs) * 100)
  return [v, pct(c1[0] - c0[0] + c1[1] - c0[1]), pct(c1[0] - c0[0])]
}

// biome-ignore lint/suspicious/noExplicitAny: iperf3's JSON
type J = any

/**
 * `f()`, again up to 4 times 300 ms apart when it throws: right after the previous forwarder's TUN
 * went away, the new device's address is sometimes not yet bindable ("Cannot assign requested
 * address" from iperf3 -B; seen once in a 3-round run).
 */
async function retry<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f()
    } catch (e) {
      if (i >= 4) throw e
      await Bun.sleep(300)
    }
  }
}

async function measure(path: string, cdir: string): Promise<Measure> {
  const target = path === 'veth' ? VETH.addrB : TUN_B.addr
  const fwd = await startForwarder(path, cdir)
  const server = await retry(() =>
    lab.start('iperf3', NS2, ['iperf3', '-s', '-B', target, ...(PIN ? ['-A', '0'] : [])], () =>
      isListening(NS2, 5201, 'tcp', target),
    ),
  )
  try {
    const pid = fwd?.pid
    const [tcp, tcpCpu, tcpUser] = await withCpu(pid, () => iperf(target, [], TCP_SECONDS))
    const tcpGbps = ((tcp as J).end.sum_received.bits_per_second as number) / 1e9
    const udp = async (ipLen: number): Promise<[number, number | null, number | null]> => {
      const [u, cpu, user] = await withCpu(pid, () =>
        iperf(target, ['-u', '-b', '0', '-l', String(ipLen - 28)], UDP_SECONDS),
      )
      const s = (u as J).end.sum
      // The client's summary carries the server's count of lost packets; received = sent - lost.
      const pps = (s.packets - s.lost_packets) / s.seconds
      return [Math.round(pps), cpu, user]
    }
    const [udp64Pps, udp64Cpu, udp64User] = await udp(64)
    const [udp1400Pps, udp1400Cpu, udp1400User] = await udp(1400)
    return { tcpGbps, tcpCpu, tcpUser, udp64Pps, udp64Cpu, udp64User, udp1400Pps, udp1400Cpu, udp1400User }
  } finally {
    await lab.stop(server)
    await fwd?.stop()
    // The kernel unregisters a TUN device a moment after its last fd closes; the next forwarder makes
    // devices of the same names, and meeting the old ones half-gone failed a run twice.
    await waitFor('the TUN devices to go', () => !linkExists(NS1, TUN_A.dev) && !linkExists(NS2, TUN_B.dev))
  }
}

const ROUNDS = positiveInt('tun-forwarder bench', 'rounds', args.rounds, quick ? 1 : 3)

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** CPU microseconds per forwarded packet: CPU % (of one core) / packets per second. */
function usPerPacket(pps: number, cpu: number | null): number | null {
  return cpu === null || pps === 0 ? null : Math.round((cpu / 100 / pps) * 1e6 * 100) / 100
}

const cdir = lab.dir
const runs: Record<string, Measure[]> = {}
const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
try {
  sh(['gcc', '-O2', '-pthread', '-o', join(cdir, 'forwarder'), join(here, 'forwarder.c')])
  // Rounds interleave the paths, so a burst of load from elsewhere hits all of them alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of PATHS) {
      const m = await measure(path, cdir)
      runs[path] = [...(runs[path] ?? []), m]
      console.log(
        `round ${round + 1} ${path.padEnd(9)} tcp ${m.tcpGbps.toFixed(2)} Gbit/s (cpu ${m.tcpCpu ?? '-'}%)  udp64 ${m.udp64Pps} pps (cpu ${m.udp64Cpu ?? '-'}%)  udp1400 ${m.udp1400Pps} pps (cpu ${m.udp1400Cpu ?? '-'}%)`,
      )
    }
  }
} finally {
  lab.down()
}
const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

type Row = Measure & {
  tcpUsPerPkt: number | null
  udp64UsPerPkt: number | null
  udp1400UsPerPkt: number | null
  tcpUserUsPerPkt: number | null
  udp64UserUsPerPkt: number | null
  udp1400UserUsPerPkt: number | null
}
const results: Record<string, Row> = {}
for (const [path, ms] of Object.entries(runs)) {
  const med = (f: (m: Measure) => number | null): number | null =>
    ms[0] === undefined || f(ms[0]) === null ? null : median(ms.map((m) => f(m) ?? 0))
  const r: Measure = {
    tcpGbps: med((m) => m.tcpGbps)!,
    tcpCpu: med((m) => m.tcpCpu),
    tcpUser: med((m) => m.tcpUser),
    udp64User: med((m) => m.udp64User),
    udp1400User: med((m) => m.udp1400User),
    udp64Pps: med((m) => m.udp64Pps)!,
    udp64Cpu: med((m) => m.udp64Cpu),
    udp1400Pps: med((m) => m.udp1400Pps)!,
    udp1400Cpu: med((m) => m.udp1400Cpu),
  }
  results[path] = {
    ...r,
    // TCP at MTU 1500: ~1500 B per data packet (ACKs ride the other way and are not counted).
    tcpUsPerPkt: usPerPacket((r.tcpGbps * 1e9) / 8 / MTU, r.tcpCpu),
    udp64UsPerPkt: usPerPacket(r.udp64Pps, r.udp64Cpu),
    udp1400UsPerPkt: usPerPacket(r.udp1400Pps, r.udp1400Cpu),
    tcpUserUsPerPkt: usPerPacket((r.tcpGbps * 1e9) / 8 / MTU, r.tcpUser),
    udp64UserUsPerPkt: usPerPacket(r.udp64Pps, r.udp64User),
    udp1400UserUsPerPkt: usPerPacket(r.udp1400Pps, r.udp1400User),
  }
}

console.log(`\nmedians of ${ROUNDS} round(s); load average before ${loadBefore}, after ${loadAfter}`)
console.log(
  'CPU: % of one core, whole forwarder process (user % in brackets); us/pkt: total (user) CPU microseconds per packet',
)
console.log(
  '| path | TCP Gbit/s | CPU % | us/pkt | UDP 64 B pps | CPU % | us/pkt | UDP 1400 B pps | CPU % | us/pkt |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
const f = (v: number | null, u: number | null) => (v === null ? '-' : u === null ? String(v) : `${v} (${u})`)
for (const [path, m] of Object.entries(results)) {
  console.log(
    `| ${path} | ${Math.round(m.tcpGbps * 100) / 100} | ${f(m.tcpCpu, m.tcpUser)} | ${f(m.tcpUsPerPkt, m.tcpUserUsPerPkt)} | ${m.udp64Pps} | ${f(m.udp64Cpu, m.udp64User)} | ${f(m.udp64UsPerPkt, m.udp64UserUsPerPkt)} | ${m.udp1400Pps} | ${f(m.udp1400Cpu, m.udp1400User)} | ${f(m.udp1400UsPerPkt, m.udp1400UserUsPerPkt)} |`,
  )
}
const ratios: Record<string, Record<string, Record<string, number>>> = {}
const r2 = (x: number) => Math.round(x * 100) / 100
const eff = (cv: number | null, bv: number | null) => (cv && bv ? r2(cv / bv) : Number.NaN)
console.log(
  '\nBun / C: throughput ratios; CPU-per-packet ratios as C/Bun, so > 1 means Bun spends less CPU per packet',
)
for (const [path, m] of Object.entries(results)) {
  if (!path.startsWith('bun-')) continue
  for (const ref of ['c', 'c-mt']) {
    const c = results[ref]
    if (c === undefined) continue
    ratios[path] = ratios[path] ?? {}
    ratios[path][ref] = {
      tcp: r2(m.tcpGbps / c.tcpGbps),
      tcpCpuPerPkt: eff(c.tcpUsPerPkt, m.tcpUsPerPkt),
      udp64: r2(m.udp64Pps / c.udp64Pps),
      udp64CpuPerPkt: eff(c.udp64UsPerPkt, m.udp64UsPerPkt),
      udp1400: r2(m.udp1400Pps / c.udp1400Pps),
      udp1400CpuPerPkt: eff(c.udp1400UsPerPkt, m.udp1400UsPerPkt),
    }
    console.log(`${path.padEnd(9)} vs ${ref.padEnd(4)} ${JSON.stringify(ratios[path][ref])}`)
  }
}
const outDir = join(here, '..', '..', 'bench-results')
mkdirSync(outDir, { recursive: true })
writeFileSync(
  join(outDir, 'tun-forwarder.json'),
  `${JSON.stringify({ date: new Date().toISOString(), pinned: PIN, rounds: ROUNDS, tcpSeconds: TCP_SECONDS, udpSeconds: UDP_SECONDS, mtu: MTU, loadBefore, loadAfter, results, ratios, runs }, null, 2)}\n`,
)

// The shared report (bench/e2e/lib): the medians above, one subject per path. No published goal:
// this bench chose the TUN I/O mode (issue 7); the Bun/C ratios are in the notes.
const SUBJECT: Record<string, string> = {
  veth: 'veth (kernel alone)',
  c: 'C, 1 thread',
  'c-mt': 'C, 2 threads',
  'bun-ring': 'Bun, ring',
  'bun-poll': 'Bun, poll',
  'bun-sync': 'Bun, sync',
}
const measurements: Measurement[] = []
for (const [path, m] of Object.entries(results)) {
  const subject = SUBJECT[path] ?? path
  const add = (metric: string, value: number | null, unit: string, better: 'higher' | 'lower') => {
    if (value !== null) measurements.push({ subject, metric, value: r2(value), unit, better })
  }
  add('TCP single stream', m.tcpGbps * 1000, 'Mbit/s', 'higher')
  add('CPU per packet, TCP', m.tcpUsPerPkt, 'µs', 'lower')
  add('UDP 64 B', m.udp64Pps, 'pkt/s', 'higher')
  add('CPU per packet, UDP 64 B', m.udp64UsPerPkt, 'µs', 'lower')
  add('UDP 1400 B', m.udp1400Pps, 'pkt/s', 'higher')
  add('CPU per packet, UDP 1400 B', m.udp1400UsPerPkt, 'µs', 'lower')
}
const out = args.out
mkdirSync(out, { recursive: true })
const files = writeReport(
  {
    bench: 'tun-forwarder',
    title: 'TUN forwarder: @gatehouse/tun against a C forwarder and a veth',
    machine: machine(),
    params: {
      rounds: ROUNDS,
      tcpSeconds: TCP_SECONDS,
      udpSeconds: UDP_SECONDS,
      mtu: MTU,
      pinned: PIN,
      paths: PATHS,
    },
    measurements,
    goals: [],
    whereTimeGoes: [],
    notes: [
      `Medians of ${ROUNDS} round(s), paths interleaved per round; load average before ${loadBefore}, after ${loadAfter}.`,
      'CPU per packet: utime + stime of the whole forwarder process ÷ packets/s (TCP: data packets at the MTU, ACKs not counted). The veth path has no process.',
      ...Object.entries(ratios).flatMap(([path, refs]) =>
        Object.entries(refs).map(
          ([ref, x]) => `${SUBJECT[path] ?? path} ÷ ${SUBJECT[ref] ?? ref}: ${JSON.stringify(x)}`,
        ),
      ),
    ],
  },
  out,
)
console.log(`report: ${files.md}`)
