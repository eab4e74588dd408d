/**
 * The namespaces the TAYGA comparisons run in, shared by test/tayga.test.ts (differential probes) and
 * bench/kernel.ts (iperf3 side by side): a translator namespace `x` between an IPv6-only host `s6`
 * (2001:db8:6::2, routes 2001:db8:64::/96 through `x`) and an IPv4-only host `s4` (192.0.2.2, routes
 * 198.51.100.0/24 through `x`), joined by veth pairs v6x/v6h and v4x/v4h. Both translators map
 * 198.51.100.0/24 <-> 2001:db8:6::/120 (EAMT) and use the RFC 6052 prefix 2001:db8:64::/96. Root only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Namespace names; each caller has its own so that a test and a bench never meet. */
export interface Topology {
  x: string
  s6: string
  s4: string
}

/** Run a command; its stdout. Throws with its stderr when it fails and `check` is set. */
export function sh(args: string[], check = true): string {
  const p = Bun.spawnSync(args, { stdout: 'pipe', stderr: 'pipe' })
  if (check && p.exitCode !== 0) throw new Error(`${args.join(' ')}: ${p.stderr.toString()}`)
  return p.stdout.toString()
}

const ipn = (ns: string, ...a: string[]) => sh(['ip', '-n', ns, ...a])

/** Delete the namespaces (missing ones are fine). */
export function teardownTopology(t: Topology): void {
  for (const n of [t.x, t.s6, t.s4]) sh(['ip', 'netns', 'del', n], false)
}

/** Make the namespaces and links afresh (whatever a crashed run left is removed first). */
export function setupTopology(t: Topology): void {
  teardownTopology(t)
  for (const n of [t.x, t.s6, t.s4]) {
    sh(['ip', 'netns', 'add', n])
    ipn(n, 'link', 'set', 'lo', 'up')
  }
  ipn(t.x, 'link', 'add', 'v6x', 'type', 'veth', 'peer', 'name', 'v6h', 'netns', t.s6)
  ipn(t.x, 'link', 'add', 'v4x', 'type', 'veth', 'peer', 'name', 'v4h', 'netns', t.s4)
  sh(['ip', 'netns', 'exec', t.x, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'])
  ipn(t.x, 'addr', 'add', '2001:db8:6::1/64', 'dev', 'v6x', 'nodad')
  ipn(t.x, 'addr', 'add', '192.0.2.1/24', 'dev', 'v4x')
  ipn(t.x, 'link', 'set', 'v6x', 'up')
  ipn(t.x, 'link', 'set', 'v4x', 'up')
  ipn(t.s6, 'addr', 'add', '2001:db8:6::2/64', 'dev', 'v6h', 'nodad')
  ipn(t.s6, 'link', 'set', 'v6h', 'up')
  ipn(t.s6, 'route', 'add', '2001:db8:64::/96', 'via', '2001:db8:6::1')
  ipn(t.s4, 'addr', 'add', '192.0.2.2/24', 'dev', 'v4h')
  ipn(t.s4, 'link', 'set', 'v4h', 'up')
  ipn(t.s4, 'route', 'add', '198.51.100.0/24', 'via', '192.0.2.1')
}

/** This package's translator (test/siit-tun.ts) in `x`, with the topology's mappings; resolves once it is up. */
export async function startOurs(
  t: Topology,
  decrementTtl: boolean,
): Promise<Bun.Subprocess<'ignore', 'pipe', 'ignore'>> {
  const args = ['2001:db8:64::/96', '198.51.100.0/24=2001:db8:6::/120', '1500', '1500']
  if (decrementTtl) args.push('decrement-ttl')
  const p = Bun.spawn(['bun', join(import.meta.dir, 'siit-tun.ts'), t.x, ...args], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'ignore',
  })
  const r = p.stdout.getReader()
  await r.read() // "ready"
  r.releaseLock()
  return p
}

/** A running TAYGA; `stop()` ends it and removes its device and data directory. */
export interface Tayga {
  proc: Bun.Subprocess<'ignore', 'ignore', 'ignore'>
  stop(): Promise<void>
}

/** TAYGA in `x` with the same mappings as ours, on device gh64t; resolves after its start-up. */
export async function startTayga(t: Topology): Promise<Tayga> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-nat64-tayga-'))
  const conf = join(dir, 'tayga.conf')
  writeFileSync(
    conf,
    'tun-device gh64t\nipv4-addr 198.51.100.254\nipv6-addr 2001:db8:65::1\nprefix 2001:db8:64::/96\n' +
      `map 198.51.100.2 2001:db8:6::2\ndata-dir ${dir}\n`,
  )
  sh(['ip', 'netns', 'exec', t.x, 'tayga', '-c', conf, '--mktun'])
  ipn(t.x, 'link', 'set', 'gh64t', 'up')
  ipn(t.x, 'route', 'add', '198.51.100.0/24', 'dev', 'gh64t')
  ipn(t.x, 'route', 'add', '2001:db8:64::/96', 'dev', 'gh64t')
  ipn(t.x, 'route', 'add', '2001:db8:65::1/128', 'dev', 'gh64t')
  // `ip netns exec` execs tayga in place, so the child's pid is tayga's.
  const proc = Bun.spawn(['ip', 'netns', 'exec', t.x, 'tayga', '-c', conf, '-n'], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'ignore',
  })
  await Bun.sleep(500)
  return {
    proc,
    async stop() {
      proc.kill()
      await proc.exited
      sh(['ip', 'netns', 'exec', t.x, 'tayga', '-c', conf, '--rmtun'], false)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
