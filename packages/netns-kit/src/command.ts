/** Running commands: sync with a clear error, async with a timeout and the output kept. */

/** A command that exited non-zero: the message names the argv, the exit code and stderr. */
export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')}: exit ${code}${stderr.trim() ? `: ${stderr.trim()}` : ''}`)
    this.name = 'CommandError'
  }
}

export interface RunOptions {
  /** Bytes or text given on stdin. */
  stdin?: string | Uint8Array
}

/** Runs `argv` to completion and returns its stdout; throws `CommandError` (with stderr) on a non-zero exit. */
export function run(argv: readonly string[], opts: RunOptions = {}): string {
  const r = tryRun(argv, opts)
  if (r.code !== 0) throw new CommandError(argv, r.code, r.stdout, r.stderr)
  return r.stdout
}

/** Runs `argv` to completion; never throws for a non-zero exit. */
export function tryRun(
  argv: readonly string[],
  opts: RunOptions = {},
): { code: number; stdout: string; stderr: string } {
  const stdin = typeof opts.stdin === 'string' ? new TextEncoder().encode(opts.stdin) : opts.stdin
  const r = Bun.spawnSync([...argv], { stdin, stdout: 'pipe', stderr: 'pipe' })
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

/** `argv` inside network namespace `ns` (`ip netns exec`). */
export function inNs(ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv]
}

export interface ExecResult {
  code: number
  stdout: string
  /** stderr without `ip netns exec`'s "Bind /etc/netns/..." notices. */
  stderr: string
  /** stdout then stderr. */
  out: string
  ms: number
  timedOut: boolean
}

/** Runs `argv` asynchronously, killed (SIGKILL) after `timeoutMs`. Never throws for a non-zero exit. */
export async function exec(argv: readonly string[], timeoutMs = 15_000): Promise<ExecResult> {
  const t0 = performance.now()
  const p = Bun.spawn([...argv], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    p.kill('SIGKILL')
  }, timeoutMs)
  const [stdout, raw] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()])
  const code = await p.exited
  clearTimeout(timer)
  const stderr = raw
    .split('\n')
    .filter((l) => !l.startsWith('Bind /etc/netns/'))
    .join('\n')
  return { code, stdout, stderr, out: stdout + stderr, ms: performance.now() - t0, timedOut }
}

/** The tools of `tools` not found on PATH. */
export function missingTools(tools: readonly string[]): string[] {
  return tools.filter((t) => Bun.which(t) === null)
}

/**
 * Why a root-only test or bench cannot run here (not root, or tools missing), or null when it can.
 * Tests print it: `const SKIP = skipReason([...]); if (SKIP) console.warn(\`skipping x: ${SKIP}\`)`.
 */
export function skipReason(tools: readonly string[] = []): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, TUN, nftables)'
  const missing = missingTools(['ip', ...tools])
  return missing.length > 0 ? `missing ${missing.join(', ')}` : null
}
