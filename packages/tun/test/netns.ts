/** Test helpers: a network namespace of our own (prefix gh-tun-), commands inside it, packets built by hand. */
import { existsSync } from 'node:fs'
import { finish, sum } from '@gatehouse/ip-packet'

export const ROOT = process.getuid?.() === 0
export const HAS_TUN = existsSync('/dev/net/tun')
export const CAN_RUN = ROOT && HAS_TUN && process.platform === 'linux'
if (!CAN_RUN)
  console.warn(
    'skipping @gatehouse/tun device tests: they need Linux, root and /dev/net/tun (CI runs them as root)',
  )

let seq = 0
/** Creates a fresh namespace `gh-tun-<pid>-<n>` with lo up. */
export function makeNetns(): string {
  const ns = `gh-tun-${process.pid}-${seq++}`
  run(['ip', 'netns', 'add', ns])
  run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
  return ns
}

export function deleteNetns(ns: string): void {
  Bun.spawnSync(['ip', 'netns', 'del', ns])
}

export function run(cmd: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' })
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() }
}

/** `ip -j` output for a device inside the namespace, or null when it does not exist. */
export function link(ns: string, dev: string): { mtu: number; flags: string[] } | null {
  const r = run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', dev])
  if (r.code !== 0) return null
  return JSON.parse(r.out)[0]
}

export function addrs(ns: string, dev: string): string[] {
  const r = run(['ip', '-n', ns, '-j', 'addr', 'show', 'dev', dev])
  if (r.code !== 0) return []
  const info = JSON.parse(r.out)[0].addr_info as { local: string; prefixlen: number; scope: string }[]
  return info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`)
}

export function routes(ns: string, family: '-4' | '-6' = '-4'): string[] {
  const r = run(['ip', '-n', ns, family, '-j', 'route', 'show'])
  return (JSON.parse(r.out) as { dst: string; dev: string }[]).map((x) => `${x.dst} dev ${x.dev}`)
}

/** Rewrites the IPv4 header checksum (RFC 791 §3.1) of the packet at `off`. */
export function fixIpv4Checksum(p: Uint8Array, off: number): void {
  const ihl = (p[off] & 0x0f) * 4
  p[off + 10] = 0
  p[off + 11] = 0
  const c = finish(sum(p, off, ihl, 0))
  p[off + 10] = c >> 8
  p[off + 11] = c & 0xff
}

/** Swaps the IPv4 source and destination addresses in place. */
export function swapIpv4Addresses(p: Uint8Array): void {
  for (let i = 0; i < 4; i++) {
    const t = p[12 + i]
    p[12 + i] = p[16 + i]
    p[16 + i] = t
  }
}

/** An ICMP echo reply (RFC 792) for the echo request `req`: addresses swapped, type 0, checksums fixed. */
export function echoReplyFor(req: Uint8Array): Uint8Array {
  const p = req.slice()
  const ihl = (p[0] & 0x0f) * 4
  swapIpv4Addresses(p)
  p[ihl] = 0 // type 0: echo reply
  p[ihl + 2] = 0
  p[ihl + 3] = 0
  const c = finish(sum(p, ihl, p.length - ihl, 0))
  p[ihl + 2] = c >> 8
  p[ihl + 3] = c & 0xff
  fixIpv4Checksum(p, 0)
  return p
}

/** A UDP reply (RFC 768) to the datagram `req`: addresses and ports swapped, payload upper-cased, checksums fixed. */
export function udpReplyFor(req: Uint8Array): Uint8Array {
  const p = req.slice()
  const ihl = (p[0] & 0x0f) * 4
  swapIpv4Addresses(p)
  for (let i = 0; i < 2; i++) {
    const t = p[ihl + i]
    p[ihl + i] = p[ihl + 2 + i]
    p[ihl + 2 + i] = t
  }
  for (let i = ihl + 8; i < p.length; i++) if (p[i] >= 0x61 && p[i] <= 0x7a) p[i] -= 0x20
  const udpLen = p.length - ihl
  p[ihl + 6] = 0
  p[ihl + 7] = 0
  // Pseudo-header (RFC 768): source, destination, zero + protocol 17, UDP length.
  let s = sum(p, 12, 8, 0) + 17 + udpLen
  s = sum(p, ihl, udpLen, s)
  const c = finish(s) || 0xffff // RFC 768: a computed 0 is sent as all ones
  p[ihl + 6] = c >> 8
  p[ihl + 7] = c & 0xff
  fixIpv4Checksum(p, 0)
  return p
}

/** Resolves when `pred` holds, polling every 10 ms; rejects after `ms`. */
export async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(10)
  }
}
