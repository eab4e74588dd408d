/**
 * A lab: network namespaces under one prefix, the processes started in them and a working
 * directory, all removed by `down()` (synchronous, idempotent). Every live lab is also removed
 * when the process exits and on SIGINT/SIGTERM, so a failed or interrupted test leaves nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { type ExecResult, exec, inNs, run, tryRun } from './command.ts'
import { type WaitOptions, waitFor } from './wait.ts'

/** A process started by a lab; its stdout and stderr go to `<lab.dir>/<name>.out|err`. */
export interface Proc {
  name: string
  proc: Subprocess
  /** What it has written to stdout so far. */
  stdout(): string
  /** What it has written to stderr so far. */
  stderr(): string
  /** True while it runs. */
  running(): boolean
}

/** One end of a veth pair: the namespace, the device name and its addresses (`a.b.c.d/n`, `x::y/n`). */
export interface VethEnd {
  ns: string
  dev: string
  addrs?: readonly string[]
  mtu?: number
}

const live = new Set<Lab>()
let hooked = false
function hook(): void {
  if (hooked) return
  hooked = true
  process.on('exit', downAll)
  for (const [sig, n] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
  ] as const) {
    const onSignal = () => {
      downAll()
      // Exit only when nobody else handles the signal (an app's own handler decides otherwise).
      if (process.listenerCount(sig) <= 1) process.exit(128 + n)
    }
    process.on(sig, onSignal)
  }
}
function downAll(): void {
  for (const l of [...live]) l.down()
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

export class Lab {
  /** Working directory (config files, process output); removed by `down()`. */
  readonly dir: string
  private readonly namespaces: string[] = []
  private procs: Proc[] = []

  /**
   * `prefix` names everything of this lab: namespaces are `<prefix><name>`. Use one per package
   * plus the pid (`gh-gw-${process.pid % 100000}-`) so parallel runs never meet.
   */
  constructor(readonly prefix: string) {
    if (!/^[a-z0-9-]{1,24}$/.test(prefix)) throw new Error(`prefix: 1-24 of [a-z0-9-], got '${prefix}'`)
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}`))
    live.add(this)
    hook()
  }

  /** Creates namespace `<prefix><name>` (removing a stale one of that name first), loopback up; returns its name. */
  ns(name: string): string {
    const ns = `${this.prefix}${name}`
    removeNamespace(ns)
    run(['ip', 'netns', 'add', ns])
    this.namespaces.push(ns)
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
    return ns
  }

  /** The namespaces this lab created. */
  get names(): readonly string[] {
    return this.namespaces
  }

  /**
   * A veth pair made inside `a.ns` with its peer in `b.ns` (the host's interfaces are never
   * touched), addresses added (IPv6 with `nodad`: usable at once) and both ends up.
   */
  veth(a: VethEnd, b: VethEnd): void {
    run(['ip', '-n', a.ns, 'link', 'add', a.dev, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns])
    for (const end of [a, b]) {
      // The link-local address would otherwise sit in DAD (about 1 s, longer under load) and the
      // first IPv6 neighbour solicitation can be lost behind it: a flaky first ping.
      run(inNs(end.ns, ['sysctl', '-qw', `net.ipv6.conf.${end.dev}.accept_dad=0`]))
      for (const addr of end.addrs ?? []) addAddr(end.ns, end.dev, addr)
      run(['ip', '-n', end.ns, 'link', 'set', end.dev, ...(end.mtu ? ['mtu', String(end.mtu)] : []), 'up'])
    }
  }

  /**
   * Two namespaces `<prefix>1` and `<prefix>2` joined by one veth pair (`a` in the first, `b` in
   * the second): the shape of a point-to-point bench. Returns their names.
   */
  pointToPoint(a: Omit<VethEnd, 'ns'>, b: Omit<VethEnd, 'ns'>): [string, string] {
    const ns1 = this.ns('1')
    const ns2 = this.ns('2')
    this.veth({ ...a, ns: ns1 }, { ...b, ns: ns2 })
    return [ns1, ns2]
  }

  /** Runs `argv` in `ns` and returns stdout; throws `CommandError` with stderr on failure. */
  sh(ns: string, ...argv: string[]): string {
    return run(inNs(ns, argv))
  }

  /** Runs `argv` in `ns` asynchronously (timeout, output kept, never throws for an exit code). */
  exec(ns: string, argv: readonly string[], timeoutMs?: number): Promise<ExecResult> {
    return exec(inNs(ns, argv), timeoutMs)
  }

  /** `sysctl -w` each `key=value` in `ns`. */
  sysctl(ns: string, ...settings: string[]): void {
    for (const s of settings) run(inNs(ns, ['sysctl', '-qw', s]))
  }

  /** Starts `argv` in `ns` (or on the host when `ns` is null) as a process of this lab, ended by `down()`. */
  spawn(name: string, ns: string | null, argv: readonly string[]): Proc {
    const out = join(this.dir, `${name}.out`)
    const err = join(this.dir, `${name}.err`)
    // Bun.file() as stdio does not truncate: a name used again would show the earlier process's
    // output (an old "ready" line), and a start() would believe the new one ready too early.
    writeFileSync(out, '')
    writeFileSync(err, '')
    const proc = Bun.spawn(ns === null ? [...argv] : inNs(ns, argv), {
      stdin: 'ignore',
      stdout: Bun.file(out),
      stderr: Bun.file(err),
    })
    const p: Proc = {
      name,
      proc,
      stdout: () => readOr(out),
      stderr: () => readOr(err),
      running: () => proc.exitCode === null && proc.signalCode === null,
    }
    this.procs.push(p)
    return p
  }

  /**
   * Starts a long-running process and waits until `ready(proc)` holds (a log line, a port, a
   * device); throws with its output if it exits first or the wait times out.
   */
  async start(
    name: string,
    ns: string | null,
    argv: readonly string[],
    ready: (p: Proc) => boolean | Promise<boolean>,
    opts: WaitOptions = {},
  ): Promise<Proc> {
    const p = this.spawn(name, ns, argv)
    await waitFor(`${name} to be ready`, () => ready(p), {
      ...opts,
      abort: () => (p.running() ? (opts.abort?.() ?? null) : `${name} exited (${p.proc.exitCode})`),
      detail: () =>
        `--- ${name} stdout\n${tail(p.stdout())}\n--- ${name} stderr\n${tail(p.stderr())}${opts.detail ? `\n${opts.detail()}` : ''}`,
    })
    return p
  }

  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`); returns the exit code. */
  async stop(p: Proc, graceMs = 5000): Promise<number | null> {
    if (p.running()) p.proc.kill('SIGTERM')
    const timer = setTimeout(() => p.proc.kill('SIGKILL'), graceMs)
    const code = await p.proc.exited
    clearTimeout(timer)
    this.procs = this.procs.filter((q) => q !== p)
    return code
  }

  /**
   * Removes everything: processes (ours by id: SIGTERM, 1.5 s, SIGKILL; then whatever is left in
   * our namespaces, by id), the namespaces, their /etc/netns entries and (unless `keepDir`) the
   * directory. Synchronous and idempotent: it runs from exit and signal handlers.
   */
  down(keepDir = false): void {
    for (const p of this.procs) if (p.running()) p.proc.kill('SIGTERM')
    const deadline = Date.now() + 1500
    while (this.procs.some((p) => p.running()) && Date.now() < deadline) Bun.sleepSync(20)
    for (const p of this.procs) if (p.running()) p.proc.kill('SIGKILL')
    this.procs = []
    for (const ns of this.namespaces) removeNamespace(ns)
    this.namespaces.length = 0
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true })
    live.delete(this)
  }
}

/** Adds `addr` to `dev` in `ns` (IPv6 with `nodad`). */
export function addAddr(ns: string, dev: string, addr: string): void {
  run(['ip', '-n', ns, 'addr', 'add', addr, 'dev', dev, ...(addr.includes(':') ? ['nodad'] : [])])
}

/** Kills (by id) whatever runs in `ns`, deletes it and its /etc/netns entry; silent when absent. */
export function removeNamespace(ns: string): void {
  const pids = tryRun(['ip', 'netns', 'pids', ns])
  if (pids.code === 0) {
    for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // gone already
      }
    }
    tryRun(['ip', 'netns', 'del', ns])
  }
  if (existsSync(`/etc/netns/${ns}`)) rmSync(`/etc/netns/${ns}`, { recursive: true, force: true })
}

/** True when namespace `ns` exists. */
export function namespaceExists(ns: string): boolean {
  const list = tryRun(['ip', 'netns', 'list']).stdout
  return list.split('\n').some((l) => l.split(' ')[0] === ns)
}

/** The last `lines` lines of `text`. */
export function tail(text: string, lines = 25): string {
  return text.split('\n').slice(-lines).join('\n')
}
