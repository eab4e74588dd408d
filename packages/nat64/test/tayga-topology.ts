/**
 * The namespaces the TAYGA comparisons run in, shared by test/tayga.test.ts (differential probes) and
 * bench/e2e/nat64 (the end-to-end bench, through the `@gatehouse/nat64/lab` export): a translator namespace `x` between an IPv6-only host `s6`
 * (2001:db8:6::2, routes 2001:db8:64::/96 through `x`) and an IPv4-only host `s4` (192.0.2.2, routes
 * 198.51.100.0/24 through `x`), joined by veth pairs v6x/v6h and v4x/v4h. Both translators map
 * 198.51.100.0/24 <-> 2001:db8:6::/120 (EAMT) and use the RFC 6052 prefix 2001:db8:64::/96. Root only.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Lab, type Proc, run, tryRun } from '@gatehouse/netns-kit'

/** Namespace names and the lab that owns them; each caller has its own prefix so a test and a bench never meet. */
export interface Topology {
  x: string
  s6: string
  s4: string
  lab: Lab
}

/** The names under `prefix` (`<prefix>x`, `<prefix>6`, `<prefix>4`); nothing is made until `setupTopology`. */
export function topology(prefix: string): Topology {
  return { x: `${prefix}x`, s6: `${prefix}6`, s4: `${prefix}4`, lab: new Lab(prefix) }
}

/** Run a command; its stdout. Throws with its stderr when it fails and `check` is set. */
export function sh(args: string[], check = true): string {
  return check ? run(args) : tryRun(args).stdout
}

const ipn = (ns: string, ...a: string[]) => run(['ip', '-n', ns, ...a])

/** Remove the namespaces, the processes in them and the lab's directory (also done at process exit). */
export function teardownTopology(t: Topology): void {
  t.lab.down()
}

/** Make the namespaces and links afresh (whatever a crashed run left is removed first). */
export function setupTopology(t: Topology): void {
  for (const n of ['x', '6', '4']) t.lab.ns(n)
  t.lab.veth(
    { ns: t.x, dev: 'v6x', addrs: ['2001:db8:6::1/64'] },
    { ns: t.s6, dev: 'v6h', addrs: ['2001:db8:6::2/64'] },
  )
  t.lab.veth(
    { ns: t.x, dev: 'v4x', addrs: ['192.0.2.1/24'] },
    { ns: t.s4, dev: 'v4h', addrs: ['192.0.2.2/24'] },
  )
  t.lab.sysctl(t.x, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1')
  ipn(t.s6, 'route', 'add', '2001:db8:64::/96', 'via', '2001:db8:6::1')
  ipn(t.s4, 'route', 'add', '198.51.100.0/24', 'via', '192.0.2.1')
}

/** How to start our translator: extra `siit-tun.ts` flags (`io=poll`, `decrement-ttl`) and `bun` arguments (`--cpu-prof`). */
export interface OursOptions {
  flags?: readonly string[]
  bunArgs?: readonly string[]
  /** Lab process name prefix (its output goes to `<lab.dir>/<name>-<n>.out|err`); default "ours". */
  name?: string
}

/** A translator running in `x`: its process (the pid is the translator's), TUN device, and how to end it. */
export interface RunningTranslator {
  proc: Proc['proc']
  /** The TUN device in `x` it reads and writes (its counters are the packets it translated). */
  dev: string
  /** What it printed to stderr (ours: its counters as a JSON line once it has exited). */
  stderr(): string
  stop(): Promise<void>
}

let starts = 0

/** The TUN device our translator opens in `x`. */
export const OURS_DEV = 'siit0'
/** The TUN device TAYGA opens in `x`. */
export const TAYGA_DEV = 'gh64t'

/**
 * This package's translator (test/siit-tun.ts, a Bun process with `@gatehouse/tun`) in `x`, with the
 * topology's mappings; resolves once it prints "ready". `stop()` sends SIGTERM and waits: it exits
 * through `process.exit`, so a `--cpu-prof` profile is written.
 */
export async function runOurs(t: Topology, opts: OursOptions = {}): Promise<RunningTranslator> {
  const args = ['2001:db8:64::/96', '198.51.100.0/24=2001:db8:6::/120', '1500', '1500', `name=${OURS_DEV}`]
  // A fresh name per start: the lab's output files are not truncated when a name is reused, so a stale
  // "ready" from the previous run would pass for this one.
  const p = await t.lab.start(
    `${opts.name ?? 'ours'}-${++starts}`,
    null,
    [
      'bun',
      ...(opts.bunArgs ?? []),
      join(import.meta.dir, 'siit-tun.ts'),
      t.x,
      ...args,
      ...(opts.flags ?? []),
    ],
    (q) => q.stdout().includes('ready'),
  )
  return {
    proc: p.proc,
    dev: OURS_DEV,
    stderr: () => p.stderr(),
    async stop() {
      await t.lab.stop(p)
    },
  }
}

/** `runOurs` for the differential test: the process alone, TTL decremented or not. */
export async function startOurs(t: Topology, decrementTtl: boolean): Promise<Proc['proc']> {
  return (await runOurs(t, { flags: decrementTtl ? ['decrement-ttl'] : [] })).proc
}

/** A running TAYGA; `stop()` ends it and removes its device. */
export type Tayga = RunningTranslator

/** TAYGA in `x` with the same mappings as ours, on device `TAYGA_DEV`; resolves once it has attached to the device. */
export async function startTayga(t: Topology): Promise<Tayga> {
  const dir = join(t.lab.dir, 'tayga')
  const conf = join(t.lab.dir, 'tayga.conf')
  writeFileSync(
    conf,
    `tun-device ${TAYGA_DEV}\nipv4-addr 198.51.100.254\nipv6-addr 2001:db8:65::1\nprefix 2001:db8:64::/96\n` +
      `map 198.51.100.2 2001:db8:6::2\ndata-dir ${dir}\n`,
  )
  t.lab.sh(t.x, 'tayga', '-c', conf, '--mktun')
  ipn(t.x, 'link', 'set', TAYGA_DEV, 'up')
  ipn(t.x, 'route', 'add', '198.51.100.0/24', 'dev', TAYGA_DEV)
  ipn(t.x, 'route', 'add', '2001:db8:64::/96', 'dev', TAYGA_DEV)
  ipn(t.x, 'route', 'add', '2001:db8:65::1/128', 'dev', TAYGA_DEV)
  // `ip netns exec` execs tayga in place, so the child's pid is tayga's. A TUN device has carrier
  // once a process holds it open: that is TAYGA ready to translate.
  const p = await t.lab.start(
    'tayga',
    t.x,
    ['tayga', '-c', conf, '-n'],
    () => !ipn(t.x, 'link', 'show', TAYGA_DEV).includes('NO-CARRIER'),
  )
  return {
    proc: p.proc,
    dev: TAYGA_DEV,
    stderr: () => p.stderr(),
    async stop() {
      await t.lab.stop(p)
      tryRun(['ip', 'netns', 'exec', t.x, 'tayga', '-c', conf, '--rmtun'])
    },
  }
}
