/**
 * End-to-end TUN forwarder benchmark (issue 7). Run as root:
 *   bun tun-forwarder/run.ts [--quick] [--paths veth,c,bun-ring,bun-poll,bun-sync]
 *
 * Two network namespaces, gh-tun-b1 (iperf3 client) and gh-tun-b2 (server),
 * joined in turn by:
 * - `veth`: a plain veth pair (the kernel alone, the ceiling);
 * - `c`: forwarder.c, compiled here with gcc into a temp dir, between TUN A (in b1) and TUN B (in b2);
 * - `bun-<mode>`: forwarder.ts (@gatehouse/tun) between the same two TUNs, per I/O mode.
 * Each path is measured with iperf3: TCP single stream, then UDP floods (`-b 0`) of
 * 64 B and 1400 B IP packets, reporting receiver packets/s and the forwarder's CPU %
 * (utime + stime of the whole process, all threads, over the run). Everything runs
 * side by side in one invocation, so ratios are fair; the namespaces are removed at the end.
 * Writes bench-results/tun-forwarder.json (in the bench workspace).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const NS1 = 'gh-tun-b1'
const NS2 = 'gh-tun-b2'
const TUN_A = { dev: 'ghtunA', addr: '10.201.0.1' }
const TUN_B = { dev: 'ghtunB', addr: '10.201.0.2' }
const VETH = { a: 'ghveth1', b: 'ghveth2', addrA: '10.202.0.1', addrB: '10.202.0.2' }
const MTU = 1500
const here = import.meta.dir
const quick = process.argv.includes('--quick')
const TCP_SECONDS = quick ? 3 : 10
const UDP_SECONDS = quick ? 2 : 5
const pathsArg = process.argv.find((a) => a.startsWith('--paths='))?.slice('--paths='.length)
const PATHS = (pathsArg ?? 'veth,c,bun-ring,bun-poll,bun-sync').split(',')
const CLK_TCK = 100

if (process.getuid?.() !== 0) {
  console.error('tun-forwarder bench: needs root (network namespaces, TUN devices); skipping')
  process.exit(0)
}

function sh(cmd: string[], check = true): string {
  const r = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' })
  if (check && r.exitCode !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr.toString()}`)
  return r.stdout.toString()
}

function setup(): void {
  teardown()
  sh(['ip', 'netns', 'add', NS1])
  sh(['ip', 'netns', 'add', NS2])
  for (const ns of [NS1, NS2]) sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
  sh(['ip', '-n', NS1, 'link', 'add', VETH.a, 'type', 'veth', 'peer', 'name', VETH.b, 'netns', NS2])
  sh(['ip', '-n', NS1, 'addr', 'add', `${VETH.addrA}/24`, 'dev', VETH.a])
  sh(['ip', '-n', NS2, 'addr', 'add', `${VETH.addrB}/24`, 'dev', VETH.b])
  sh(['ip', '-n', NS1, 'link', 'set', VETH.a, 'mtu', String(MTU), 'up'])
  sh(['ip', '-n', NS2, 'link', 'set', VETH.b, 'mtu', String(MTU), 'up'])
}

function teardown(): void {
  sh(['ip', 'netns', 'del', NS1], false)
  sh(['ip', 'netns', 'del', NS2], false)
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(f[11]) + Number(f[12]) // utime, stime (fields 14, 15)
}

interface Started {
  pid: number
  stop: () => Promise<void>
}

async function startForwarder(path: string, cdir: string): Promise<Started | null> {
  if (path === 'veth') return null
  const args =
    path === 'c'
      ? [join(cdir, 'forwarder'), NS1, TUN_A.dev, NS2, TUN_B.dev]
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
  const p = Bun.spawn(args, { stdout: 'pipe', stderr: 'inherit' })
  const reader = p.stdout.getReader()
  let out = ''
  while (!out.includes('ready')) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`${path} forwarder exited before ready`)
    out += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  if (path === 'c') {
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
    pid: p.pid,
    stop: async () => {
      p.kill('SIGTERM')
      const t = setTimeout(() => p.kill('SIGKILL'), 2000)
      await p.exited
      clearTimeout(t)
    },
  }
}

interface Measure {
  tcpGbps: number
  tcpCpu: number | null
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
      ...extra,
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  const out = await new Response(r.stdout).text()
  await r.exited
  return JSON.parse(out) as Record<string, unknown>
}

async function withCpu<T>(pid: number | undefined, f: () => Promise<T>): Promise<[T, number | null]> {
  const t0 = performance.now()
  const c0 = pid === undefined ? 0 : cpuTicks(pid)
  const v = await f()
  if (pid === undefined) return [v, null]
  const secs = (performance.now() - t0) / 1000
  return [v, Math.round(((cpuTicks(pid) - c0) / CLK_TCK / secs) * 100)]
}

// biome-ignore lint/suspicious/noExplicitAny: iperf3's JSON
type J = any

async function measure(path: string, cdir: string): Promise<Measure> {
  const target = path === 'veth' ? VETH.addrB : TUN_B.addr
  const fwd = await startForwarder(path, cdir)
  const server = Bun.spawn(['ip', 'netns', 'exec', NS2, 'iperf3', '-s', '-B', target], {
    stdout: 'ignore',
    stderr: 'ignore',
  })
  await Bun.sleep(300)
  try {
    const pid = fwd?.pid
    const [tcp, tcpCpu] = await withCpu(pid, () => iperf(target, [], TCP_SECONDS))
    const tcpGbps = ((tcp as J).end.sum_received.bits_per_second as number) / 1e9
    const udp = async (ipLen: number): Promise<[number, number | null]> => {
      const [u, cpu] = await withCpu(pid, () =>
        iperf(target, ['-u', '-b', '0', '-l', String(ipLen - 28)], UDP_SECONDS),
      )
      const s = (u as J).end.sum
      // The client's summary carries the server's count of lost packets; received = sent - lost.
      const pps = (s.packets - s.lost_packets) / s.seconds
      return [Math.round(pps), cpu]
    }
    const [udp64Pps, udp64Cpu] = await udp(64)
    const [udp1400Pps, udp1400Cpu] = await udp(1400)
    return { tcpGbps, tcpCpu, udp64Pps, udp64Cpu, udp1400Pps, udp1400Cpu }
  } finally {
    server.kill()
    await server.exited
    await fwd?.stop()
  }
}

const cdir = mkdtempSync(join(tmpdir(), 'gh-tun-fwd-'))
const results: Record<string, Measure> = {}
try {
  sh(['gcc', '-O2', '-o', join(cdir, 'forwarder'), join(here, 'forwarder.c')])
  setup()
  for (const path of PATHS) {
    results[path] = await measure(path, cdir)
    const m = results[path]
    console.log(
      `${path.padEnd(9)} tcp ${m.tcpGbps.toFixed(2)} Gbit/s (cpu ${m.tcpCpu ?? '-'}%)  udp64 ${m.udp64Pps} pps (cpu ${m.udp64Cpu ?? '-'}%)  udp1400 ${m.udp1400Pps} pps (cpu ${m.udp1400Cpu ?? '-'}%)`,
    )
  }
} finally {
  teardown()
  rmSync(cdir, { recursive: true, force: true })
}

const c = results.c
if (c !== undefined) {
  console.log('\nBun / C ratios (TCP throughput; UDP packets per CPU-second):')
  for (const [path, m] of Object.entries(results)) {
    if (!path.startsWith('bun-')) continue
    const perCpu = (pps: number, cpu: number | null) => (cpu ? pps / cpu : Number.NaN)
    console.log(
      `${path.padEnd(9)} tcp ${(m.tcpGbps / c.tcpGbps).toFixed(2)}  udp64 pps ${(m.udp64Pps / c.udp64Pps).toFixed(2)} per-cpu ${(perCpu(m.udp64Pps, m.udp64Cpu) / perCpu(c.udp64Pps, c.udp64Cpu)).toFixed(2)}  udp1400 pps ${(m.udp1400Pps / c.udp1400Pps).toFixed(2)} per-cpu ${(perCpu(m.udp1400Pps, m.udp1400Cpu) / perCpu(c.udp1400Pps, c.udp1400Cpu)).toFixed(2)}`,
    )
  }
}
const outDir = join(here, '..', 'bench-results')
mkdirSync(outDir, { recursive: true })
writeFileSync(
  join(outDir, 'tun-forwarder.json'),
  `${JSON.stringify({ date: new Date().toISOString(), tcpSeconds: TCP_SECONDS, udpSeconds: UDP_SECONDS, mtu: MTU, results }, null, 2)}\n`,
)
