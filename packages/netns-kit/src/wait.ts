/** Waiting for a condition by polling: no fixed sleeps. */
import { tryRun } from './command.ts'

export interface WaitOptions {
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number
  /** Poll interval (default 50 ms). */
  intervalMs?: number
  /** Extra text for the timeout error (log tails); called only on timeout. */
  detail?: () => string
  /** Stop early with an error when this returns a reason (for example: the process exited). */
  abort?: () => string | null
}

/** Polls `check` until it holds; returns the ms it took. Throws `timed out waiting for <what>` (+ detail). */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  opts: WaitOptions = {},
): Promise<number> {
  const t0 = performance.now()
  const timeout = opts.timeoutMs ?? 10_000
  for (;;) {
    if (await check()) return performance.now() - t0
    const why = opts.abort?.()
    if (why) throw new Error(`gave up waiting for ${what}: ${why}${opts.detail ? `\n${opts.detail()}` : ''}`)
    if (performance.now() - t0 > timeout)
      throw new Error(
        `timed out waiting for ${what} (${timeout} ms)${opts.detail ? `\n${opts.detail()}` : ''}`,
      )
    await Bun.sleep(opts.intervalMs ?? 50)
  }
}

/** True when something listens on `port` (udp or tcp) in namespace `ns`, on `host` when given (`ss`). */
export function isListening(ns: string, port: number, proto: 'tcp' | 'udp' = 'tcp', host?: string): boolean {
  const r = tryRun(['ip', 'netns', 'exec', ns, 'ss', '-Hln', proto === 'tcp' ? '-t' : '-u'])
  if (r.code !== 0) return false
  const want = host === undefined ? null : host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  for (const line of r.stdout.split('\n')) {
    const local = line.trim().split(/\s+/)[3]
    if (local === undefined) continue
    if (want !== null ? local === want : local.endsWith(`:${port}`)) return true
  }
  return false
}

/** True when network interface `dev` exists in namespace `ns`. */
export function linkExists(ns: string, dev: string): boolean {
  return tryRun(['ip', '-n', ns, 'link', 'show', dev]).code === 0
}
