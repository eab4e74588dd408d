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
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const SECONDS = Number(process.argv[2] ?? 4)
const X = 'gh-nat64-bx'
const S6 = 'gh-nat64-b6'
const S4 = 'gh-nat64-b4'
const TICK = 100 // USER_HZ: /proc stat times are in clock ticks (sysconf(_SC_CLK_TCK) = 100 on Linux)

function sh(args: string[], check = true): string {
  const p = Bun.spawnSync(args, { stdout: 'pipe', stderr: 'pipe' })
  if (check && p.exitCode !== 0) throw new Error(`${args.join(' ')}: ${p.stderr.toString()}`)
  return p.stdout.toString()
}
const ipn = (ns: string, ...a: string[]) => sh(['ip', '-n', ns, ...a])

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return Number(rest[11]) + Number(rest[12]) // utime, stime (fields 14, 15)
}

function teardown(): void {
  for (const n of [X, S6, S4]) sh(['ip', 'netns', 'del', n], false)
}

function setup(): void {
  teardown()
  for (const n of [X, S6, S4]) {
    sh(['ip', 'netns', 'add', n])
    ipn(n, 'link', 'set', 'lo', 'up')
  }
  ipn(X, 'link', 'add', 'v6x', 'type', 'veth', 'peer', 'name', 'v6h', 'netns', S6)
  ipn(X, 'link', 'add', 'v4x', 'type', 'veth', 'peer', 'name', 'v4h', 'netns', S4)
  sh(['ip', 'netns', 'exec', X, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'])
  ipn(X, 'addr', 'add', '2001:db8:6::1/64', 'dev', 'v6x', 'nodad')
  ipn(X, 'addr', 'add', '192.0.2.1/24', 'dev', 'v4x')
  ipn(X, 'link', 'set', 'v6x', 'up')
  ipn(X, 'link', 'set', 'v4x', 'up')
  ipn(S6, 'addr', 'add', '2001:db8:6::2/64', 'dev', 'v6h', 'nodad')
  ipn(S6, 'link', 'set', 'v6h', 'up')
  ipn(S6, 'route', 'add', '2001:db8:64::/96', 'via', '2001:db8:6::1')
  ipn(S4, 'addr', 'add', '192.0.2.2/24', 'dev', 'v4h')
  ipn(S4, 'link', 'set', 'v4h', 'up')
  ipn(S4, 'route', 'add', '198.51.100.0/24', 'via', '192.0.2.1')
}

async function waitLine(stream: ReadableStream<Uint8Array>): Promise<void> {
  const r = stream.getReader()
  await r.read()
  r.releaseLock()
}

async function iperf(pid: number): Promise<{ mbps: number; cpu: number; retransmits: number }> {
  const server = Bun.spawn(
    ['ip', 'netns', 'exec', S4, 'iperf3', '-s', '-1', '-B', '192.0.2.2', '-p', '5290'],
    {
      stdout: 'ignore',
      stderr: 'ignore',
    },
  )
  await Bun.sleep(400)
  const t0 = cpuTicks(pid)
  const w0 = performance.now()
  const client = Bun.spawn(
    [
      'ip',
      'netns',
      'exec',
      S6,
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
  server.kill()
  const end = JSON.parse(out).end
  return {
    mbps: end.sum_received.bits_per_second / 1e6,
    cpu,
    retransmits: end.sum_sent.retransmits ?? 0,
  }
}

async function ours() {
  const p = Bun.spawn(
    [
      'bun',
      join(import.meta.dir, '..', 'test', 'siit-tun.ts'),
      X,
      '2001:db8:64::/96',
      '198.51.100.0/24=2001:db8:6::/120',
      '1500',
      '1500',
    ],
    { stdin: 'ignore', stdout: 'pipe', stderr: 'ignore' },
  )
  try {
    await waitLine(p.stdout)
    return await iperf(p.pid)
  } finally {
    p.kill()
    await p.exited
  }
}

async function tayga() {
  const dir = mkdtempSync(join(tmpdir(), 'gh-nat64-tayga-'))
  const conf = join(dir, 'tayga.conf')
  writeFileSync(
    conf,
    [
      'tun-device gh64t',
      'ipv4-addr 198.51.100.254',
      'ipv6-addr 2001:db8:65::1',
      'prefix 2001:db8:64::/96',
      'map 198.51.100.2 2001:db8:6::2',
      `data-dir ${dir}`,
      '',
    ].join('\n'),
  )
  sh(['ip', 'netns', 'exec', X, 'tayga', '-c', conf, '--mktun'])
  ipn(X, 'link', 'set', 'gh64t', 'up')
  ipn(X, 'route', 'add', '198.51.100.0/24', 'dev', 'gh64t')
  ipn(X, 'route', 'add', '2001:db8:64::/96', 'dev', 'gh64t')
  ipn(X, 'route', 'add', '2001:db8:65::1/128', 'dev', 'gh64t')
  const p = Bun.spawn(['ip', 'netns', 'exec', X, 'tayga', '-c', conf, '-n'], {
    stdout: 'ignore',
    stderr: 'ignore',
  })
  try {
    await Bun.sleep(500)
    // `ip netns exec` execs tayga in place, so the child's pid is tayga's.
    return await iperf(p.pid)
  } finally {
    p.kill()
    await p.exited
    sh(['ip', 'netns', 'exec', X, 'tayga', '-c', conf, '--rmtun'], false)
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.getuid?.() !== 0 || !Bun.which('iperf3') || !Bun.which('tayga')) {
  console.warn('bench/kernel.ts: skipped (needs root, iperf3 and tayga)')
  process.exit(0)
}
setup()
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
  teardown()
}
