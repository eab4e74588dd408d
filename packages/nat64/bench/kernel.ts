/**
 * Side by side on the real kernel: single-stream iperf3 TCP through this
 * package's TUN translator (test/siit-tun.ts) and through TAYGA, the C
 * userspace NAT64, in the same namespaces (`gh-nat64-b*`), one after the
 * other. Reports receiver throughput and the translator process's CPU
 * (user + system, all threads, from /proc/PID/stat) over the run.
 *
 *   sudo bun bench/kernel.ts [seconds]      (root; iperf3, tayga, ip)
 *
 * Writes bench-results/nat64-kernel.json. MISSION.md: a single TCP stream
 * loads a userspace TUN data plane to ~100% of a core and tells candidates
 * apart; judge on TCP and CPU per packet, not on UDP floods.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { isListening } from '@gatehouse/netns-kit'
import { setupTopology, startOurs, startTayga, teardownTopology, topology } from '../test/tayga-topology.ts'

const SECONDS = Number(process.argv[2] ?? 4)
const T = topology(`gh-nat64-b${process.pid % 100000}-`)
const TICK = 100 // USER_HZ: /proc stat times are in clock ticks (sysconf(_SC_CLK_TCK) = 100 on Linux)

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return Number(rest[11]) + Number(rest[12]) // utime, stime (fields 14, 15)
}

async function iperf(pid: number): Promise<{ mbps: number; cpu: number; retransmits: number }> {
  const server = await T.lab.start(
    'iperf3',
    T.s4,
    ['iperf3', '-s', '-1', '-B', '192.0.2.2', '-p', '5290'],
    () => isListening(T.s4, 5290, 'tcp', '192.0.2.2'),
  )
  const t0 = cpuTicks(pid)
  const w0 = performance.now()
  const client = Bun.spawn(
    [
      'ip',
      'netns',
      'exec',
      T.s6,
      'iperf3',
      '-6',
      '-c',
      '2001:db8:64::c000:202',
      '-p',
      '5290',
      '-t',
      String(SECONDS),
      '-J',
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  const out = await new Response(client.stdout).text()
  await client.exited
  const cpu = (cpuTicks(pid) - t0) / TICK / ((performance.now() - w0) / 1000)
  await T.lab.stop(server)
  const end = JSON.parse(out).end
  return {
    mbps: end.sum_received.bits_per_second / 1e6,
    cpu,
    retransmits: end.sum_sent.retransmits ?? 0,
  }
}

async function ours() {
  const p = await startOurs(T, false)
  try {
    return await iperf(p.pid)
  } finally {
    p.kill()
    await p.exited
  }
}

async function tayga() {
  const t = await startTayga(T)
  try {
    return await iperf(t.proc.pid)
  } finally {
    await t.stop()
  }
}

if (process.getuid?.() !== 0 || !Bun.which('iperf3') || !Bun.which('tayga')) {
  console.warn('bench/kernel.ts: skipped (needs root, iperf3 and tayga)')
  process.exit(0)
}
setupTopology(T)
try {
  const results: Record<string, { mbps: number; cpu: number; retransmits: number }> = {}
  results['@gatehouse/nat64 (TUN, bun)'] = await ours()
  results.tayga = await tayga()
  console.log(`iperf3 -6 TCP single stream, ${SECONDS} s, IPv6-only -> IPv4-only through the translator`)
  for (const [k, v] of Object.entries(results)) {
    console.log(
      `${k.padEnd(30)} ${v.mbps.toFixed(0).padStart(6)} Mbit/s   translator CPU ${(v.cpu * 100).toFixed(0).padStart(3)} %   ` +
        `${((v.mbps * 1e6) / 8 / 1448 / (v.cpu || 1) / 1e3).toFixed(0)} k segments per CPU-second   retransmits ${v.retransmits}`,
    )
  }
  const dir = `${import.meta.dir}/../bench-results`
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    `${dir}/nat64-kernel.json`,
    `${JSON.stringify({ package: '@gatehouse/nat64', date: new Date().toISOString(), seconds: SECONDS, results }, null, 2)}\n`,
  )
} finally {
  teardownTopology(T)
}
