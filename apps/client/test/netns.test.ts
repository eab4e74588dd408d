/**
 * Root-only smoke test of the client as a process: a real TUN in its own namespace, wireguard-go +
 * `wg` as the gateway side in another namespace, dnsmasq there as the host's upstream resolver,
 * `dig` as the application. Namespaces are `gh-cl-<pid>-c` and `gh-cl-<pid>-g`, removed afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

const ROOT = process.getuid?.() === 0
const TOOLS = ['wireguard-go', 'wg', 'dnsmasq', 'dig', 'ip', 'jq'].every((t) => Bun.which(t) !== null)
if (!ROOT) console.warn('skipping apps/client netns smoke test: needs root (TUN devices, network namespaces)')
else if (!TOOLS)
  console.warn('skipping apps/client netns smoke test: needs wireguard-go, wg, dnsmasq, dig, ip')
const RUN = ROOT && TOOLS

const id = process.pid % 100000
const NS_C = `gh-cl-${id}-c`
const NS_G = `gh-cl-${id}-g`
const VETH_C = `ghcl${id}c`
const VETH_G = `ghcl${id}g`
const WG_IF = `ghcl${id}w`
const TUN = `ghcl${id}t`
const G_V4 = '10.211.0.1'
const C_V4 = '10.211.0.2'
const MAIN = join(import.meta.dir, '..', 'src', 'main.ts')

function sh(...argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString()}`)
  return r.stdout.toString()
}
function quiet(...argv: string[]): void {
  Bun.spawnSync(argv, { stdout: 'ignore', stderr: 'ignore' })
}
function pubkey(priv: string): string {
  return Bun.spawnSync(['wg', 'pubkey'], { stdin: new TextEncoder().encode(priv), stdout: 'pipe' })
    .stdout.toString()
    .trim()
}

let dir = ''
let wgGo: Subprocess | null = null
let dnsmasq: Subprocess | null = null
const clients: Subprocess[] = []
let configPath = ''
let resolvPath = ''
const ORIGINAL_RESOLV = `nameserver ${G_V4}\nsearch smoke.test\n`

function teardown(): void {
  for (const p of [...clients, wgGo, dnsmasq]) if (p !== null && p.exitCode === null) p.kill('SIGKILL')
  quiet('ip', 'netns', 'del', NS_C)
  quiet('ip', 'netns', 'del', NS_G)
  if (dir) rmSync(dir, { recursive: true, force: true })
}

beforeAll(async () => {
  if (!RUN) return
  teardown()
  dir = mkdtempSync(join(tmpdir(), 'gh-cl-'))
  sh('ip', 'netns', 'add', NS_C)
  sh('ip', 'netns', 'add', NS_G)
  sh('ip', 'link', 'add', VETH_C, 'type', 'veth', 'peer', 'name', VETH_G)
  sh('ip', 'link', 'set', VETH_C, 'netns', NS_C)
  sh('ip', 'link', 'set', VETH_G, 'netns', NS_G)
  for (const [ns, dev, v4] of [
    [NS_C, VETH_C, C_V4],
    [NS_G, VETH_G, G_V4],
  ]) {
    sh('ip', '-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev)
    sh('ip', '-n', ns, 'link', 'set', dev, 'up')
    sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
  }
  // The gateway side: wireguard-go with the client as its peer (control packets come from ::).
  const gwPriv = sh('wg', 'genkey').trim()
  const clPriv = sh('wg', 'genkey').trim()
  wgGo = Bun.spawn(['ip', 'netns', 'exec', NS_G, 'wireguard-go', '-f', WG_IF], {
    stdout: 'ignore',
    stderr: 'ignore',
  })
  for (let i = 0; i < 50 && Bun.spawnSync(['ip', '-n', NS_G, 'link', 'show', WG_IF]).exitCode !== 0; i++)
    await Bun.sleep(100)
  const wgConf = join(dir, 'wg.conf')
  writeFileSync(
    wgConf,
    `[Interface]\nPrivateKey = ${gwPriv}\nListenPort = 51820\n\n[Peer]\nPublicKey = ${pubkey(clPriv)}\nAllowedIPs = 100.64.0.2/32, fd00:2021:1111::2/128, ::/128\n`,
  )
  sh('ip', 'netns', 'exec', NS_G, 'wg', 'setconf', WG_IF, wgConf)
  sh('ip', '-n', NS_G, 'addr', 'add', '100.64.0.1/32', 'dev', WG_IF)
  sh('ip', '-n', NS_G, 'link', 'set', WG_IF, 'up')
  // The host's resolver, in the gateway namespace (reached over the veth, not the tunnel).
  dnsmasq = Bun.spawn(
    [
      'ip',
      'netns',
      'exec',
      NS_G,
      'dnsmasq',
      '-k',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      `--listen-address=${G_V4}`,
      '--port=53',
      '--pid-file',
      '--host-record=www.smoke.test,192.0.2.77',
    ],
    { stdout: 'ignore', stderr: 'ignore' },
  )
  configPath = join(dir, 'client.json')
  resolvPath = join(dir, 'resolv.conf')
  writeFileSync(resolvPath, ORIGINAL_RESOLV)
  writeFileSync(
    configPath,
    JSON.stringify({
      name: 'smoke',
      privateKey: clPriv,
      ipv4: '100.64.0.2',
      ipv6: 'fd00:2021:1111::2',
      gateway: {
        publicKey: pubkey(gwPriv),
        endpoint: `${G_V4}:51820`,
        ipv4: '100.64.0.1',
        ipv6: 'fd00:2021:1111::1',
      },
      resources: [
        { id: 'corp', type: 'dns', address: '**.corp.test' },
        { id: 'lan', type: 'cidr', address: '10.99.0.0/24' },
      ],
      tun: { name: TUN },
      log: { console: 'json', dir: join(dir, 'logs') },
    }),
  )
  for (let i = 0; i < 50; i++) {
    if (Bun.spawnSync(['ip', 'netns', 'exec', NS_G, 'ss', '-uln']).stdout.toString().includes(`${G_V4}:53`))
      break
    await Bun.sleep(100)
  }
}, 60_000)

afterAll(teardown)

/** Starts the client in its namespace; resolves when it logs `client running`. */
async function startClient(): Promise<{ proc: Subprocess; lines: () => string }> {
  const proc = Bun.spawn(
    [
      'ip',
      'netns',
      'exec',
      NS_C,
      process.execPath,
      MAIN,
      '--config',
      configPath,
      '--resolv-conf',
      resolvPath,
    ],
    {
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  clients.push(proc)
  let text = ''
  const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      text += decoder.decode(value)
    }
  })()
  void pump
  for (let i = 0; i < 150 && !text.includes('client running'); i++) {
    if (proc.exitCode !== null) throw new Error(`client exited ${proc.exitCode}:\n${text}`)
    await Bun.sleep(100)
  }
  if (!text.includes('client running')) throw new Error(`client did not start:\n${text}`)
  return { proc, lines: () => text }
}

function dig(...args: string[]): string {
  return Bun.spawnSync(['ip', 'netns', 'exec', NS_C, 'dig', '+time=3', '+tries=1', ...args], {
    stdout: 'pipe',
  }).stdout.toString()
}

describe.skipIf(!RUN)(
  'apps/client as a process (netns, real TUN, wireguard-go gateway, dnsmasq upstream)',
  () => {
    test('starts, handshakes with wireguard-go, answers dig over UDP and TCP through the sentinel, restores resolv.conf on SIGTERM', async () => {
      const { proc, lines } = await startClient()
      // JSON-line log, as the reference prints it.
      const first = lines()
        .split('\n')
        .filter(Boolean)
        .slice(0, 2)
        .map((l) => JSON.parse(l))
      expect(first[0].message).toBe('started log')
      expect(first[1].message).toMatch(/^GIT_VERSION = /)
      // resolv.conf now names the sentinel; the original's search line is kept.
      const ours = readFileSync(resolvPath, 'utf8')
      expect(ours).toContain('nameserver 100.100.111.1')
      expect(ours).toContain('search smoke.test')
      // Routes into the TUN: proxy, sentinel and CIDR ranges.
      const routes = sh('ip', '-n', NS_C, 'route', 'show', 'dev', TUN)
      for (const r of ['100.96.0.0/11', '100.100.111.0/24', '10.99.0.0/24']) expect(routes).toContain(r)
      expect(sh('ip', '-n', NS_C, '-6', 'route', 'show', 'dev', TUN)).toContain('fd00:2021:1111:8000::/107')

      // A non-resource name: forwarded to dnsmasq (the upstream 100.100.111.1 stands for).
      expect(dig('@100.100.111.1', 'www.smoke.test', '+short').trim()).toBe('192.0.2.77')
      expect(dig('+tcp', '@100.100.111.1', 'www.smoke.test', '+short').trim()).toBe('192.0.2.77')
      // The DoH canary, locally.
      expect(dig('@100.100.111.1', 'use-application-dns.net')).toContain('status: NXDOMAIN')
      // A resource name: wireguard-go does not speak the control protocol, so no status comes: SERVFAIL.
      expect(dig('@100.100.111.1', 'app.corp.test')).toContain('status: SERVFAIL')

      // The client initiated a handshake at start: wireguard-go has one.
      const hs = sh('ip', 'netns', 'exec', NS_G, 'wg', 'show', WG_IF, 'latest-handshakes')
      expect(Number(hs.trim().split(/\s+/)[1])).toBeGreaterThan(0)

      // The log file reads with the reference's recipe.
      const jq = Bun.spawnSync(
        ['sh', '-c', `cat ${join(dir, 'logs')}/*.log | jq -r '"\\(.time) \\(.severity) \\(.message)"'`],
        {
          stdout: 'pipe',
        },
      )
      const readable = jq.stdout.toString().split('\n')
      expect(readable[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO started log$/)
      expect(readable[1]).toMatch(/ INFO GIT_VERSION = \S+$/)

      proc.kill('SIGTERM')
      expect(await proc.exited).toBe(143)
      expect(readFileSync(resolvPath, 'utf8')).toBe(ORIGINAL_RESOLV)
      expect(existsSync(`${resolvPath}.gatehouse-backup`)).toBe(false)
      expect(Bun.spawnSync(['ip', '-n', NS_C, 'link', 'show', TUN]).exitCode).not.toBe(0)
      expect(lines()).toContain('restored resolv.conf')
    }, 60_000)

    test('after SIGKILL the next start restores resolv.conf first (crash recovery)', async () => {
      const a = await startClient()
      a.proc.kill('SIGKILL')
      await a.proc.exited
      expect(readFileSync(resolvPath, 'utf8')).not.toBe(ORIGINAL_RESOLV)
      expect(existsSync(`${resolvPath}.gatehouse-backup`)).toBe(true)
      const b = await startClient()
      expect(b.lines()).toContain('restored resolv.conf left behind by a previous run')
      // The upstream came from the restored original, not from our own file.
      expect(dig('@100.100.111.1', 'www.smoke.test', '+short').trim()).toBe('192.0.2.77')
      b.proc.kill('SIGTERM')
      await b.proc.exited
      expect(readFileSync(resolvPath, 'utf8')).toBe(ORIGINAL_RESOLV)
    }, 60_000)
  },
)
