/**
 * Root-only interop harness: two network namespaces joined by a veth pair, wireguard-go (configured
 * with `wg setconf`) in one, our implementation (test/fixtures/our-peer.ts) in the other.
 * Names carry the `gh-wg-` prefix (namespaces) and the test's pid, so parallel runs do not collide.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

export const ROOT = process.getuid?.() === 0
export const HAVE_WG = Bun.which('wireguard-go') !== null && Bun.which('wg') !== null

const id = process.pid % 100000
export const NS_GO = `gh-wg-go${id}`
export const NS_OURS = `gh-wg-us${id}`
const VETH_GO = `ghwg${id}g`
const VETH_OURS = `ghwg${id}o`
export const WG_IF = `ghwg${id}t`

export const GO_V4 = '10.201.0.1'
export const OURS_V4 = '10.201.0.2'
export const GO_V6 = 'fd20:201::1'
export const OURS_V6 = 'fd20:201::2'
export const GO_TUN_IP = '10.202.0.1'
export const OURS_TUN_IP = '10.202.0.2'
export const GO_PORT = 51820
export const OURS_PORT = 51900

/** Runs a command; throws with its stderr when it fails. */
export function sh(...argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString()}`)
  return r.stdout.toString()
}

/** Like `sh` but ignores failure (cleanup). */
export function shQuiet(...argv: string[]): void {
  Bun.spawnSync(argv, { stdout: 'ignore', stderr: 'ignore' })
}

export function wgGenkey(): string {
  return sh('wg', 'genkey').trim()
}
export function wgPubkey(priv: string): string {
  const r = Bun.spawnSync(['wg', 'pubkey'], { stdin: new TextEncoder().encode(priv), stdout: 'pipe' })
  return r.stdout.toString().trim()
}

export function setupNamespaces(): void {
  teardownNamespaces()
  sh('ip', 'netns', 'add', NS_GO)
  sh('ip', 'netns', 'add', NS_OURS)
  sh('ip', 'link', 'add', VETH_GO, 'type', 'veth', 'peer', 'name', VETH_OURS)
  sh('ip', 'link', 'set', VETH_GO, 'netns', NS_GO)
  sh('ip', 'link', 'set', VETH_OURS, 'netns', NS_OURS)
  for (const [ns, dev, v4, v6] of [
    [NS_GO, VETH_GO, GO_V4, GO_V6],
    [NS_OURS, VETH_OURS, OURS_V4, OURS_V6],
  ]) {
    sh('ip', '-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev)
    sh('ip', '-n', ns, 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad')
    sh('ip', '-n', ns, 'link', 'set', dev, 'up')
    sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
  }
}

export function teardownNamespaces(): void {
  shQuiet('ip', 'netns', 'del', NS_GO)
  shQuiet('ip', 'netns', 'del', NS_OURS)
}

export interface GoConfig {
  privateKey: string
  peerPublicKey: string
  psk?: string
  /** Our endpoint as wg writes it (`10.201.0.2:51900`), or none so only we can initiate. */
  peerEndpoint?: string
}

/** A running wireguard-go with its TUN `WG_IF` in NS_GO. */
export class WireguardGo {
  private constructor(private readonly proc: Subprocess) {}

  static async start(c: GoConfig): Promise<WireguardGo> {
    const sock = `/var/run/wireguard/${WG_IF}.sock`
    const proc = Bun.spawn(['ip', 'netns', 'exec', NS_GO, 'wireguard-go', '-f', WG_IF], {
      stdout: 'ignore',
      stderr: 'ignore',
      env: { ...process.env, LOG_LEVEL: 'error' },
    })
    for (let i = 0; i < 100 && !existsSync(sock); i++) await Bun.sleep(20)
    const dir = mkdtempSync(join(tmpdir(), 'gh-wg-'))
    const conf = join(dir, 'wg.conf')
    const lines = ['[Interface]', `PrivateKey = ${c.privateKey}`, `ListenPort = ${GO_PORT}`, '[Peer]']
    lines.push(`PublicKey = ${c.peerPublicKey}`, `AllowedIPs = ${OURS_TUN_IP}/32`)
    if (c.psk) lines.push(`PresharedKey = ${c.psk}`)
    if (c.peerEndpoint) lines.push(`Endpoint = ${c.peerEndpoint}`)
    writeFileSync(conf, `${lines.join('\n')}\n`)
    try {
      sh('ip', 'netns', 'exec', NS_GO, 'wg', 'setconf', WG_IF, conf)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    sh('ip', '-n', NS_GO, 'addr', 'add', `${GO_TUN_IP}/24`, 'dev', WG_IF)
    sh('ip', '-n', NS_GO, 'link', 'set', WG_IF, 'up', 'mtu', '1420')
    return new WireguardGo(proc)
  }

  /** `wg show <if> <what>` inside the namespace. */
  show(what: string): string {
    return sh('ip', 'netns', 'exec', NS_GO, 'wg', 'show', WG_IF, what)
  }

  /** Ping our tunnel address from the wireguard-go side; returns packets received. */
  ping(count: number, target = OURS_TUN_IP): number {
    const r = Bun.spawnSync(
      ['ip', 'netns', 'exec', NS_GO, 'ping', '-c', String(count), '-i', '0.3', '-W', '3', target],
      {
        stdout: 'pipe',
        stderr: 'pipe',
      },
    )
    const m = /(\d+) received/.exec(r.stdout.toString())
    return m ? Number(m[1]) : 0
  }

  async stop(): Promise<void> {
    this.proc.kill()
    await this.proc.exited
  }
}

export interface OursConfig {
  privateKey: string
  peerPublicKey: string
  psk?: string
  hostname?: string
  endpoint?: { address: string; port: number }
  underLoadThreshold?: number
}

/** Our side, test/fixtures/our-peer.ts, in NS_OURS; reads its JSON-line reports. */
export class OurPeer {
  private lines: Record<string, unknown>[] = []
  private waiters: (() => void)[] = []

  private constructor(private readonly proc: Subprocess<'pipe', 'pipe', 'inherit'>) {
    void this.pump()
  }

  static async start(c: OursConfig): Promise<OurPeer> {
    const fixture = {
      privateKey: c.privateKey,
      peerPublicKey: c.peerPublicKey,
      psk: c.psk,
      listenPort: OURS_PORT,
      hostname: c.hostname ?? '::',
      endpoint: c.endpoint,
      ourIp: OURS_TUN_IP,
      theirIp: GO_TUN_IP,
      underLoadThreshold: c.underLoadThreshold,
    }
    const proc = Bun.spawn(
      ['ip', 'netns', 'exec', NS_OURS, process.execPath, join(import.meta.dir, 'fixtures', 'our-peer.ts')],
      {
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: 'inherit',
        env: { ...process.env, WG_FIXTURE: JSON.stringify(fixture) },
      },
    )
    const p = new OurPeer(proc)
    await p.waitFor((l) => l.event === 'ready', 5000)
    return p
  }

  private async pump(): Promise<void> {
    const dec = new TextDecoder()
    let buf = ''
    for await (const chunk of this.proc.stdout) {
      buf += dec.decode(chunk)
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        try {
          this.lines.push(JSON.parse(line))
        } catch {
          this.lines.push({ event: 'unparsed', line })
        }
        for (const w of this.waiters.splice(0)) w()
      }
    }
  }

  send(cmd: string): void {
    this.proc.stdin.write(`${cmd}\n`)
    this.proc.stdin.flush()
  }

  /** Resolves with the first report (seen or future) matching `pred`, or null after `ms`. */
  async waitFor(
    pred: (l: Record<string, unknown>) => boolean,
    ms: number,
  ): Promise<Record<string, unknown> | null> {
    const deadline = Date.now() + ms
    for (;;) {
      const i = this.lines.findIndex(pred)
      if (i >= 0) return this.lines.splice(i, 1)[0]
      const left = deadline - Date.now()
      if (left <= 0) return null
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), Bun.sleep(left)])
    }
  }

  /** Sends `ping seq` and waits for the echo reply. */
  async ping(seq: number, ms = 3000, cmd = 'ping'): Promise<boolean> {
    this.send(`${cmd} ${seq}`)
    return (await this.waitFor((l) => l.event === 'echo-reply' && l.seq === seq, ms)) !== null
  }

  async drops(): Promise<Record<string, number>> {
    this.send('drops')
    const l = await this.waitFor((x) => x.event === 'drops', 3000)
    return (l?.drops ?? {}) as Record<string, number>
  }

  async stop(): Promise<void> {
    this.proc.kill()
    await this.proc.exited
  }
}

/** Our side with a real TUN: bench/e2e/wireguard/peer.ts (@gatehouse/wireguard + @gatehouse/tun) in NS_OURS. */
export class OurTunPeer {
  private constructor(private readonly proc: Subprocess) {}

  static readonly script = join(import.meta.dir, '..', '..', '..', 'bench', 'e2e', 'wireguard', 'peer.ts')

  static async start(c: {
    privateKey: string
    peerPublicKey: string
    endpoint: { address: string; port: number }
  }) {
    const cfg = {
      privateKey: c.privateKey,
      peerPublicKey: c.peerPublicKey,
      listenPort: OURS_PORT,
      endpoint: c.endpoint,
      dev: `ghwg${id}u`,
      tunAddr: OURS_TUN_IP,
      peerTunAddr: GO_TUN_IP,
      mtu: 1420,
    }
    const proc = Bun.spawn(['ip', 'netns', 'exec', NS_OURS, process.execPath, OurTunPeer.script], {
      stdout: 'pipe',
      stderr: 'inherit',
      env: { ...process.env, WG_BENCH: JSON.stringify(cfg) },
    })
    const reader = proc.stdout.getReader()
    let text = ''
    while (!text.includes('ready')) {
      const { value, done } = await reader.read()
      if (done) throw new Error('bench/e2e/wireguard/peer.ts exited before ready')
      text += new TextDecoder().decode(value)
    }
    reader.releaseLock()
    return new OurTunPeer(proc)
  }

  async stop(): Promise<void> {
    this.proc.kill()
    await this.proc.exited
  }
}

/** Runs `argv` inside `ns`; returns stdout and exit code. */
export function inNs(ns: string, argv: string[], timeoutMs = 20_000): { out: string; code: number } {
  const r = Bun.spawnSync(['ip', 'netns', 'exec', ns, ...argv], {
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: timeoutMs,
  })
  return { out: r.stdout.toString(), code: r.exitCode ?? -1 }
}
