/**
 * What the end-to-end benches read off processes and tools: a process's CPU time (all threads),
 * its resident memory, a link's packet counters, and iperf3 and ping runs parsed into numbers.
 * One place, so every bench reports the same quantity the same way.
 */
import { readFileSync } from 'node:fs'
import { run, tryRun } from './command.ts'

/** USER_HZ: /proc/PID/stat times are in clock ticks; sysconf(_SC_CLK_TCK) is 100 on Linux. */
const CLK_TCK = 100

/** utime + stime of a process and all its threads, in seconds (proc(5): fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / CLK_TCK
}

/** Resident set size in MiB (VmRSS from /proc/PID/status). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? Number.NaN : Number(m[1]) / 1024
}

/** Packets a link in namespace `ns` has received and sent so far (sysfs statistics). */
export function linkPackets(ns: string, dev: string): { rx: number; tx: number } {
  const read = (what: string) =>
    Number(run(['ip', 'netns', 'exec', ns, 'cat', `/sys/class/net/${dev}/statistics/${what}`]).trim())
  return { rx: read('rx_packets'), tx: read('tx_packets') }
}

/**
 * CPU use of some processes over an interval, as a fraction of one core each (1.0 = one core busy):
 * `const m = new CpuMeter([pid]); ...; m.stop()`.
 */
export class CpuMeter {
  private readonly start: number[]
  private readonly t0 = performance.now()
  constructor(private readonly pids: readonly number[]) {
    this.start = pids.map(cpuSeconds)
  }
  /** Cores used by each process since construction, and the wall time in seconds. */
  stop(): { cores: number[]; seconds: number } {
    const seconds = (performance.now() - this.t0) / 1000
    return { cores: this.pids.map((p, i) => (cpuSeconds(p) - this.start[i]) / seconds), seconds }
  }
}

export interface IperfOptions {
  /** Namespace the client runs in. */
  ns: string
  /** Server address (IPv6 literal allowed). */
  server: string
  port?: number
  seconds: number
  udp?: { bitsPerSecond: number | 0; payloadBytes: number }
  /** Extra iperf3 client arguments (e.g. `-b 50M` for TCP). */
  extra?: readonly string[]
}

export interface IperfResult {
  /** Receiver-side goodput in Mbit/s (for UDP: what arrived). */
  mbps: number
  /** TCP: segments the sender retransmitted; UDP: 0. */
  retransmits: number
  /** UDP: datagrams that arrived per second at the server; TCP: null. */
  udpPps: number | null
  /** UDP: percent of datagrams lost; TCP: null. */
  lossPct: number | null
  seconds: number
}

/** Runs an iperf3 client (JSON output) against a server already listening; throws with iperf3's own error. */
export async function iperf3(o: IperfOptions): Promise<IperfResult> {
  const argv = ['ip', 'netns', 'exec', o.ns, 'iperf3', '-c', o.server, '-p', String(o.port ?? 5201)]
  argv.push('-t', String(o.seconds), '-J')
  if (o.server.includes(':')) argv.push('-6')
  if (o.udp) argv.push('-u', '-b', String(o.udp.bitsPerSecond), '-l', String(o.udp.payloadBytes))
  if (o.extra) argv.push(...o.extra)
  const p = Bun.spawn(argv, { stdout: 'pipe', stderr: 'pipe' })
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()])
  await p.exited
  return parseIperf3(out, err, o.udp !== undefined)
}

/** Parses `iperf3 -J` client output; exported for tests. iperf3 3.12 has no `sum_received` for UDP. */
export function parseIperf3(json: string, stderr: string, udp: boolean): IperfResult {
  let j: {
    error?: string
    end?: {
      sum_received?: { bits_per_second: number; seconds: number }
      sum_sent?: { retransmits?: number; seconds: number }
      sum?: {
        bits_per_second: number
        lost_percent: number
        packets: number
        lost_packets: number
        seconds: number
      }
    }
  }
  try {
    j = JSON.parse(json)
  } catch {
    throw new Error(`iperf3 printed no JSON: ${(stderr || json).trim().slice(0, 300)}`)
  }
  if (j.error) throw new Error(`iperf3: ${j.error}`)
  const end = j.end
  if (end === undefined) throw new Error('iperf3: no "end" section in its JSON')
  if (!udp) {
    const r = end.sum_received
    if (r === undefined) throw new Error('iperf3: no sum_received in a TCP run')
    return {
      mbps: r.bits_per_second / 1e6,
      retransmits: end.sum_sent?.retransmits ?? 0,
      udpPps: null,
      lossPct: null,
      seconds: r.seconds,
    }
  }
  // UDP: `sum` holds the server's view of loss; goodput is what the sender offered minus what was lost.
  const s = end.sum_received ?? end.sum
  const sum = end.sum
  if (s === undefined || sum === undefined) throw new Error('iperf3: no sum in a UDP run')
  const arrived = sum.packets - sum.lost_packets
  return {
    mbps: end.sum_received
      ? s.bits_per_second / 1e6
      : (sum.bits_per_second * (1 - sum.lost_percent / 100)) / 1e6,
    retransmits: 0,
    udpPps: arrived / sum.seconds,
    lossPct: sum.lost_percent,
    seconds: sum.seconds,
  }
}

export interface PingResult {
  sent: number
  received: number
  minMs: number
  avgMs: number
  maxMs: number
  mdevMs: number
}

/** `ping -c count -i interval` from `ns`; round-trip figures from ping's summary line. */
export function ping(ns: string, target: string, count = 20, intervalS = 0.05): PingResult {
  const r = tryRun([
    'ip',
    'netns',
    'exec',
    ns,
    'ping',
    '-n',
    '-q',
    '-c',
    String(count),
    '-i',
    String(intervalS),
    '-W',
    '2',
    target,
  ])
  return parsePing(r.stdout)
}

/** Parses iputils ping's summary (`N packets transmitted, M received` and `rtt min/avg/max/mdev = a/b/c/d ms`). */
export function parsePing(text: string): PingResult {
  const counts = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text)
  if (counts === null) throw new Error(`ping: no summary in its output: ${text.trim().slice(0, 200)}`)
  const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(text)
  const n = (i: number) => (rtt === null ? Number.NaN : Number(rtt[i]))
  return {
    sent: Number(counts[1]),
    received: Number(counts[2]),
    minMs: n(1),
    avgMs: n(2),
    maxMs: n(3),
    mdevMs: n(4),
  }
}
