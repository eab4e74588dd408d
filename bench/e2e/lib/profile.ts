/**
 * Where the time goes, for a bench whose goal was missed: the top functions of a Bun process's CPU
 * profile (`bun --cpu-prof`, JavaScriptCore's sampling profiler, Chrome .cpuprofile format) and the
 * syscalls it makes per packet (`strace -c -f`, counted over a separate window because tracing slows
 * the process down; the count per packet barely depends on the rate).
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export interface TopFunction {
  /** `name (file:line)`; anonymous functions show as `(anonymous)`. */
  function: string
  /** Share of the profile's samples whose innermost frame is this function, in percent. */
  selfPct: number
}

export interface ProfileSummary {
  /** Which process (e.g. "ours: translator"). */
  process: string
  samples: number
  top: TopFunction[]
  /** Syscalls per packet over the strace window, and the largest contributors; null when not traced. */
  syscallsPerPacket: number | null
  syscalls: { name: string; perPacket: number }[]
}

/** Arguments that make `bun` write a .cpuprofile into `dir` when it exits (SIGTERM handlers must exit). */
export function cpuProfileArgs(dir: string): string[] {
  mkdirSync(dir, { recursive: true })
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`]
}

/** The newest .cpuprofile in `dir`, or null. */
export function newestProfile(dir: string): string | null {
  let best: string | null = null
  let bestTime = -1
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.cpuprofile')) continue
    const t = statSync(join(dir, f)).mtimeMs
    if (t > bestTime) {
      best = join(dir, f)
      bestTime = t
    }
  }
  return best
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]
  samples: number[]
}

/** Self time by function from a .cpuprofile: the `top` functions by share of samples. */
export function topFunctions(profile: CpuProfile, top = 12): { samples: number; top: TopFunction[] } {
  const label = new Map<number, string>()
  for (const n of profile.nodes) {
    const { functionName, url, lineNumber } = n.callFrame
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/(packages|apps|bench|node_modules)\//, '$1/')
    label.set(n.id, `${functionName || '(anonymous)'}${file ? ` (${file}:${lineNumber + 1})` : ''}`)
  }
  const counts = new Map<string, number>()
  for (const id of profile.samples) {
    const k = label.get(id) ?? '(unknown)'
    counts.set(k, (counts.get(k) ?? 0) + 1)
  }
  const n = profile.samples.length
  return {
    samples: n,
    top: [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([f, c]) => ({ function: f, selfPct: Math.round((c / n) * 1000) / 10 })),
  }
}

/** Reads and summarizes a .cpuprofile file. */
export function summarizeProfileFile(path: string, top = 12): { samples: number; top: TopFunction[] } {
  return topFunctions(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, top)
}

/** What `syscallsPerPacket` measured: all syscalls per packet, the largest few, and the packets counted. */
export interface SyscallTrace {
  perPacket: number
  syscalls: { name: string; perPacket: number }[]
  packets: number
}

/** Parses `strace -c` output (the table of calls per syscall) into counts; exported for tests. */
export function parseStraceSummary(text: string): Map<string, number> {
  const calls = new Map<string, number>()
  for (const line of text.split('\n')) {
    // "% time     seconds  usecs/call     calls    errors syscall": errors may be empty.
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$/.exec(line)
    if (m !== null && m[2] !== 'total') calls.set(m[2], Number(m[1]))
  }
  return calls
}

/**
 * Attaches `strace -c -f` to `pid`, waits until it holds the process, counts `seconds`, and divides the
 * syscalls by the packets that `packets()` counted over the same window (e.g. a TUN device's rx+tx). Needs strace and ptrace rights (root).
 */
export async function syscallsPerPacket(
  pid: number,
  seconds: number,
  packets: () => number,
): Promise<SyscallTrace> {
  const tracer = Bun.spawn(['strace', '-c', '-f', '-p', String(pid)], { stdout: 'ignore', stderr: 'pipe' })
  // Count packets only once strace holds every thread ("Process N attached with M threads"), and stop
  // counting just before it detaches: syscalls and packets then cover the same window.
  const reader = tracer.stderr.getReader()
  const decoder = new TextDecoder()
  let text = ''
  const deadline = performance.now() + 5000
  let pending: ReturnType<typeof reader.read> | null = null
  while (!text.includes('attached') && performance.now() < deadline) {
    pending ??= reader.read()
    const chunk = await Promise.race([pending, Bun.sleep(100).then(() => null)])
    if (chunk === null) continue // still waiting: the same read stays pending
    pending = null
    if (chunk.done) break
    text += decoder.decode(chunk.value, { stream: true })
  }
  if (!text.includes('attached')) {
    tracer.kill('SIGKILL')
    throw new Error(`strace did not attach to ${pid}: ${text.trim().slice(0, 300)}`)
  }
  const p0 = packets()
  await Bun.sleep(seconds * 1000)
  const p1 = packets()
  tracer.kill('SIGINT')
  for (;;) {
    const chunk = await (pending ?? reader.read())
    pending = null
    if (chunk.done) break
    text += decoder.decode(chunk.value, { stream: true })
  }
  await tracer.exited
  const counts = parseStraceSummary(text)
  const n = Math.max(1, p1 - p0)
  let total = 0
  for (const c of counts.values()) total += c
  return {
    perPacket: Math.round((total / n) * 100) / 100,
    syscalls: [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([name, c]) => ({ name, perPacket: Math.round((c / n) * 1000) / 1000 })),
    packets: p1 - p0,
  }
}

/**
 * One line for a report's notes: each profiled process's three hottest functions and its syscalls
 * per packet; `label` shortens a process's name for the line.
 */
export function profileNote(
  profiles: readonly ProfileSummary[],
  why: string,
  label: (process: string) => string = (p) => p,
): string {
  const parts = profiles.map((p) => {
    const top = p.top
      .slice(0, 3)
      .map((f) => `${f.function.split(' (')[0]} ${f.selfPct}%`)
      .join(', ')
    return `${label(p.process)}: ${top}${p.syscallsPerPacket !== null ? `; ${p.syscallsPerPacket} syscalls/packet` : ''}`
  })
  return `Profile (${why}), top self time: ${parts.join(' | ')}.`
}

/**
 * One process's entry for a report's "where the time goes": the newest .cpuprofile in `dir`
 * (written when the process exited) and, when it was traced, its syscalls per packet.
 */
export function profileSummary(process: string, dir: string, traced: SyscallTrace | null): ProfileSummary {
  const file = newestProfile(dir)
  if (file === null) throw new Error(`${process}: no .cpuprofile written in ${dir}`)
  return {
    process,
    ...summarizeProfileFile(file),
    syscallsPerPacket: traced?.perPacket ?? null,
    syscalls: traced?.syscalls ?? [],
  }
}
