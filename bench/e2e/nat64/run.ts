/**
 * NAT64 end to end: our translator (`@gatehouse/tun` + `@gatehouse/nat64`, packages/nat64/test/siit-tun.ts,
 * one Bun process) against TAYGA (Debian `tayga`, C) on the same three namespaces (IPv6-only client,
 * translator, IPv4-only server; `@gatehouse/nat64/lab`), with the same mappings, in one run. Root only:
 *
 *   flock /tmp/gh-bench.lock bun e2e/nat64/run.ts [--quick] [--seconds N] [--rounds N] [--profile] [--out DIR]
 *     [--also LABEL=FLAG,FLAG]   (an extra subject: ours with siit-tun.ts flags, e.g. ours-poll=io=poll)
 *
 * Each round runs every subject once, in ABBA order (ours, TAYGA, TAYGA, ours, ...) so that drift of the
 * shared machine cancels; each subject's figures are medians over the rounds. Per subject and round:
 * iperf3 TCP single stream (receiver Mbit/s) with the translator's CPU (utime + stime, all threads, in
 * cores) and CPU per packet (CPU time ÷ packets the translator read from its TUN device); UDP floods
 * (`-b 0`) of 64 B and 1400 B payloads (delivered packets/s, loss, CPU per packet); ping (avg ms).
 * Then the goal ours/TAYGA ≥ 1.0 on TCP. When it is missed, or with --profile, a separate TCP run of
 * ours under `bun --cpu-prof` (top functions) and under strace (syscalls per packet), and TAYGA under
 * strace for comparison, fill `whereTimeGoes`. Writes `<out>/nat64.{json,svg,md}` (default
 * bench/e2e/results) and prints the table. The namespaces (gh-n64b<pid>-x|6|4) are removed at the
 * end, also on failure or Ctrl-C (the Lab does that).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type RunningTranslator,
  runOurs,
  setupTopology,
  startTayga,
  type Topology,
  topology,
} from '@gatehouse/nat64/lab'
import {
  cpuSeconds,
  type IperfOptions,
  type IperfResult,
  iperf3,
  isListening,
  linkPackets,
  ping,
  run as sh,
  skipReason,
} from '@gatehouse/netns-kit'
import { benchArgs, positiveInt } from '../lib/args.ts'
import {
  cpuProfileArgs,
  newestProfile,
  type ProfileSummary,
  type SyscallTrace,
  summarizeProfileFile,
  syscallsPerPacket,
} from '../lib/profile.ts'
import {
  type E2eReport,
  fromRounds,
  goal,
  type Measurement,
  machine,
  markdown,
  writeReport,
} from '../lib/report.ts'

const opt = benchArgs('nat64 bench', { also: { type: 'string', multiple: true, default: [] } })
const SECONDS = positiveInt('nat64 bench', 'seconds', opt.seconds, opt.quick ? 1 : 4)
const ROUNDS = positiveInt('nat64 bench', 'rounds', opt.rounds, opt.quick ? 1 : 4)
const PING_COUNT = opt.quick ? 10 : 40
const PING_INTERVAL = 0.02

const SKIP = skipReason(['iperf3', 'tayga', 'ping', ...(opt.profile ? ['strace'] : [])])
if (SKIP) {
  console.error(`nat64 bench: ${SKIP}`)
  process.exit(2)
}

/** The IPv4-only server (192.0.2.2) as the IPv6-only client reaches it: RFC 6052 prefix 2001:db8:64::/96. */
const SERVER4 = '192.0.2.2'
const SERVER6 = '2001:db8:64::c000:202'
const PORT = 5290

interface Subject {
  label: string
  start(): Promise<RunningTranslator>
}

const T: Topology = topology(`gh-n64b${process.pid % 100000}-`)
const subjects: Subject[] = [
  { label: 'ours', start: () => runOurs(T) },
  { label: 'TAYGA', start: () => startTayga(T) },
  ...opt.also.map((a) => {
    const [label, flags = ''] = a.split(/=(.*)/s)
    return { label, start: () => runOurs(T, { flags: flags.split(',').filter(Boolean), name: label }) }
  }),
]

/** A run of `f` with the translator's CPU seconds and the packets it read from its TUN device over it. */
async function metered<R>(
  tr: RunningTranslator,
  f: () => Promise<R>,
): Promise<{ r: R; cpu: number; packets: number; drops: number }> {
  const p0 = linkPackets(T.x, tr.dev).tx
  const d0 = queueDrops(tr.dev)
  const c0 = cpuSeconds(tr.proc.pid)
  const r = await f()
  const cpu = cpuSeconds(tr.proc.pid) - c0
  return { r, cpu, packets: linkPackets(T.x, tr.dev).tx - p0, drops: queueDrops(tr.dev) - d0 }
}

/** Packets the kernel dropped on the way to the translator because its TUN queue was full (the device's tx_dropped). */
function queueDrops(dev: string): number {
  return Number(sh(['ip', 'netns', 'exec', T.x, 'cat', `/sys/class/net/${dev}/statistics/tx_dropped`]).trim())
}

/** Per-packet CPU in µs; NaN when nothing went through (a broken run shows as n/a, not as free). */
const usPerPacket = (cpu: number, packets: number) => (packets > 0 ? (cpu * 1e6) / packets : Number.NaN)

/**
 * iperf3 against the one server of the run. The server finishes a test a moment after its client has
 * exited and refuses the next one meanwhile ("the server is busy running a test"): retried briefly.
 */
async function client(o: Omit<IperfOptions, 'ns' | 'server' | 'port'>): Promise<IperfResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await iperf3({ ns: T.s6, server: SERVER6, port: PORT, ...o })
    } catch (e) {
      if (attempt >= 20 || !String(e).includes('busy')) throw e
      await Bun.sleep(250)
    }
  }
}

const tcp = (seconds: number) => () => client({ seconds })
const udp = (payloadBytes: number) => () =>
  client({ seconds: SECONDS, udp: { bitsPerSecond: 0, payloadBytes } })

/** One subject's figures in one round: metric -> value. */
async function measure(s: Subject): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const tr = await s.start()
  try {
    // Neighbour caches and the first translation out of the way before anything is timed.
    const warm = ping(T.s6, SERVER6, 3, 0.05)
    if (warm.received === 0) throw new Error(`${s.label}: no ping reply through the translator`)
    const t = await metered(tr, tcp(SECONDS))
    out.set('TCP single stream', t.r.mbps)
    out.set('TCP translator CPU', t.cpu / t.r.seconds)
    out.set('TCP CPU per packet', usPerPacket(t.cpu, t.packets))
    out.set('TCP retransmits', t.r.retransmits)
    out.set('TCP queue drops', t.drops)
    for (const size of [64, 1400]) {
      const u = await metered<IperfResult>(tr, udp(size))
      out.set(`UDP ${size} B delivered`, u.r.udpPps ?? Number.NaN)
      out.set(`UDP ${size} B loss`, u.r.lossPct ?? Number.NaN)
      out.set(`UDP ${size} B translator CPU`, u.cpu / u.r.seconds)
      out.set(`UDP ${size} B CPU per packet`, usPerPacket(u.cpu, u.packets))
    }
    const p = ping(T.s6, SERVER6, PING_COUNT, PING_INTERVAL)
    out.set('ping', p.received > 0 ? p.avgMs : Number.NaN)
  } finally {
    await tr.stop()
  }
  return out
}

/** Metric name -> unit and direction, in the order of the table and chart. */
const METRICS: [string, string, 'higher' | 'lower'][] = [
  ['TCP single stream', 'Mbit/s', 'higher'],
  ['TCP translator CPU', 'cores', 'lower'],
  ['TCP CPU per packet', 'µs/packet', 'lower'],
  ['UDP 64 B delivered', 'packets/s', 'higher'],
  ['UDP 64 B loss', '%', 'lower'],
  ['UDP 64 B CPU per packet', 'µs/packet', 'lower'],
  ['UDP 1400 B delivered', 'packets/s', 'higher'],
  ['UDP 1400 B loss', '%', 'lower'],
  ['UDP 1400 B CPU per packet', 'µs/packet', 'lower'],
  ['ping', 'ms avg', 'lower'],
]

/** Ours under `bun --cpu-prof` for one TCP run: its top functions. */
async function profileOurs(): Promise<{ samples: number; top: ProfileSummary['top'] }> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-n64b-prof-'))
  try {
    const tr = await runOurs(T, { bunArgs: cpuProfileArgs(dir), name: 'ours-profiled' })
    try {
      ping(T.s6, SERVER6, 3, 0.05)
      await tcp(SECONDS)()
    } finally {
      await tr.stop()
    }
    const file = newestProfile(dir)
    if (file === null)
      throw new Error('ours under --cpu-prof wrote no profile (did it exit through process.exit?)')
    return summarizeProfileFile(file, 12)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `s` under `strace -c -f` during a TCP run: syscalls per packet it read from its TUN device. */
async function traceSyscalls(s: Subject): Promise<SyscallTrace> {
  const tr = await s.start()
  try {
    ping(T.s6, SERVER6, 3, 0.05)
    // The traced window (0.3 s attach + SECONDS) sits inside a TCP run that outlasts it.
    const run = tcp(SECONDS + 2)()
    await Bun.sleep(500)
    const traced = await syscallsPerPacket(tr.proc.pid, SECONDS, () => linkPackets(T.x, tr.dev).tx)
    await run
    return traced
  } finally {
    await tr.stop()
  }
}

// --- the run ---------------------------------------------------------------------------------------

mkdirSync(opt.out, { recursive: true })
const started = machine()
setupTopology(T)
await T.lab.start('iperf3', T.s4, ['iperf3', '-s', '-B', SERVER4, '-p', String(PORT)], () =>
  isListening(T.s4, PORT, 'tcp', SERVER4),
)

const rounds = new Map<string, Map<string, number[]>>(subjects.map((s) => [s.label, new Map()]))
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? subjects : [...subjects].reverse()
  for (const s of order) {
    const t0 = performance.now()
    const figures = await measure(s)
    const per = rounds.get(s.label)!
    for (const [k, v] of figures) per.set(k, [...(per.get(k) ?? []), v])
    console.log(
      `round ${round + 1}/${ROUNDS} ${s.label.padEnd(8)} TCP ${figures.get('TCP single stream')!.toFixed(0)} Mbit/s at ` +
        `${figures.get('TCP translator CPU')!.toFixed(2)} cores, ${figures.get('TCP CPU per packet')!.toFixed(2)} µs/packet; ` +
        `UDP 64 B ${figures.get('UDP 64 B delivered')!.toFixed(0)} pkt/s; ping ${figures.get('ping')!.toFixed(3)} ms ` +
        `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    )
  }
}

const measurements: Measurement[] = []
for (const [metric, unit, better] of METRICS)
  for (const s of subjects)
    measurements.push(fromRounds(s.label, metric, unit, better, rounds.get(s.label)!.get(metric)!))

const tcpGoal = goal(
  'NAT64 TCP throughput ours/TAYGA ≥ 1.0',
  measurements,
  'TCP single stream',
  'ours',
  'TAYGA',
  1.0,
)
const retrans = (label: string) => rounds.get(label)!.get('TCP retransmits')!
const notes: string[] = [
  `Topology: ${T.s6} (IPv6-only client 2001:db8:6::2) -> ${T.x} (translator: TUN, RFC 6052 prefix 2001:db8:64::/96, ` +
    `198.51.100.0/24 = 2001:db8:6::/120) -> ${T.s4} (IPv4-only server ${SERVER4}); MTU 1500 everywhere.`,
  `${ROUNDS} round(s) in ABBA order (${subjects.map((s) => s.label).join(', ')}, then reversed, ...); medians. ` +
    `TCP: iperf3 single stream ${SECONDS} s, receiver goodput; retransmits per round: ` +
    subjects.map((s) => `${s.label} ${retrans(s.label).join('/')}`).join(', ') +
    "; packets the kernel dropped because the translator's TUN queue (qlen 500) was full, per round: " +
    subjects.map((s) => `${s.label} ${rounds.get(s.label)!.get('TCP queue drops')!.join('/')}`).join(', ') +
    '.',
  'CPU: utime + stime of the translator process, all threads (/proc/PID/stat), over the iperf3 run, in cores ' +
    '(1 = one core busy); CPU per packet: that CPU time ÷ the packets the translator read from its TUN device ' +
    '(both directions: data and ACKs). Judge on TCP throughput and CPU per packet.',
  'UDP: iperf3 -u -b 0 (as fast as the sender can), 64 B and 1400 B payloads; delivered = datagrams/s that ' +
    'reached the server. On 2 shared cores the iperf3 sender competes with the translator for CPU, so these ' +
    'floods are sender-bound and tell translators apart poorly (MISSION.md); read them with the CPU per packet.',
  `UDP translator CPU (cores), for reading the floods: ${subjects
    .map(
      (s) =>
        `${s.label} 64 B ${fromRounds('', '', '', 'lower', rounds.get(s.label)!.get('UDP 64 B translator CPU')!).value.toFixed(2)}, ` +
        `1400 B ${fromRounds('', '', '', 'lower', rounds.get(s.label)!.get('UDP 1400 B translator CPU')!).value.toFixed(2)}`,
    )
    .join('; ')}.`,
  `ping: ${PING_COUNT} echo requests ${PING_INTERVAL * 1000} ms apart, average round trip.`,
]

const whereTimeGoes: ProfileSummary[] = []
if (opt.profile || !tcpGoal.met) {
  const prof = await profileOurs()
  const ours = await traceSyscalls(subjects[0])
  const tayga = await traceSyscalls(subjects[1])
  whereTimeGoes.push(
    {
      process: 'ours: translator (bun, siit-tun.ts)',
      ...prof,
      syscallsPerPacket: ours.perPacket,
      syscalls: ours.syscalls,
    },
    { process: 'TAYGA', samples: 0, top: [], syscallsPerPacket: tayga.perPacket, syscalls: tayga.syscalls },
  )
  const share = (re: RegExp) => prof.top.filter((f) => re.test(f.function)).reduce((a, f) => a + f.selfPct, 0)
  const inWrite = share(/^write \(packages\/tun\//)
  const inNat64 = share(/packages\/nat64\//)
  notes.push(
    `Where the time goes (a separate TCP run of ${SECONDS} s each, not part of the figures above): ours makes ` +
      `${ours.perPacket} syscalls per packet (${ours.syscalls.map((x) => `${x.name} ${x.perPacket}`).join(', ')}), ` +
      `TAYGA ${tayga.perPacket} (${tayga.syscalls.map((x) => `${x.name} ${x.perPacket}`).join(', ')}). ` +
      `Of ours' main-thread profile (${prof.samples} samples; the TUN reader Worker is not profiled), ` +
      `${inWrite.toFixed(1)} % is the FFI call \`write\` of packages/tun, i.e. the write(2) into the TUN device, in ` +
      "which the kernel forwards the packet and runs the receiving namespace's IP and TCP stack; " +
      `${inNat64.toFixed(1)} % is translation (packages/nat64 among the top functions). ` +
      `Top: ${prof.top
        .slice(0, 3)
        .map((f) => `${f.function} ${f.selfPct} %`)
        .join('; ')}.`,
  )
}

const report: E2eReport = {
  bench: 'nat64',
  title: 'NAT64: ours (Bun, @gatehouse/tun + @gatehouse/nat64) vs TAYGA',
  machine: started,
  params: {
    seconds: SECONDS,
    rounds: ROUNDS,
    pingCount: PING_COUNT,
    profile: whereTimeGoes.length > 0,
    ...(opt.also.length > 0 ? { also: opt.also } : {}),
  },
  measurements,
  goals: [tcpGoal],
  whereTimeGoes,
  notes,
}
const files = writeReport(report, opt.out)
console.log(`\n${markdown(report)}`)
console.log(`written: ${files.json}, ${files.svg}, ${files.md}`)
T.lab.down()
