/**
 * Root-only smoke test of the client as a process: a real TUN in its own namespace, wireguard-go +
 * `wg` as the gateway side in another namespace, dnsmasq there as the host's upstream resolver,
 * `dig` as the application. Namespaces are `gh-cl-<pid>-c` and `gh-cl-<pid>-g`, removed afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  Lab,
  type Proc,
  run,
  skipReason,
  startDnsmasq,
  startWireguardGo,
  tryRun,
  wgKeyPair,
} from '@gatehouse/netns-kit'

const SKIP = skipReason(['wireguard-go', 'wg', 'dnsmasq', 'dig', 'jq', 'ss'])
if (SKIP) console.warn(`skipping apps/client netns smoke test: ${SKIP}`)
const RUN = SKIP === null

const id = process.pid % 100000
const PREFIX = `gh-cl-${id}-`
const NS_C = `${PREFIX}c`
const NS_G = `${PREFIX}g`
const VETH_C = `ghcl${id}c`
const VETH_G = `ghcl${id}g`
const WG_IF = `ghcl${id}w`
const TUN = `ghcl${id}t`
const G_V4 = '10.211.0.1'
const C_V4 = '10.211.0.2'
const MAIN = join(import.meta.dir, '..', 'src', 'main.ts')

const sh = (...argv: string[]) => run(argv)

let lab: Lab | null = null
let dir = ''
let configPath = ''
let resolvPath = ''
const ORIGINAL_RESOLV = `nameserver ${G_V4}\nsearch smoke.test\n`

beforeAll(async () => {
  if (!RUN) return
  lab = new Lab(PREFIX)
  dir = lab.dir
  lab.ns('c')
  lab.ns('g')
  lab.veth({ ns: NS_C, dev: VETH_C, addrs: [`${C_V4}/24`] }, { ns: NS_G, dev: VETH_G, addrs: [`${G_V4}/24`] })
  // The gateway side: wireguard-go with the client as its peer (control packets come from ::).
  const gw = wgKeyPair()
  const cl = wgKeyPair()
  await startWireguardGo(lab, {
    ns: NS_G,
    ifname: WG_IF,
    privateKey: gw.privateKey,
    listenPort: 51820,
    peers: [{ publicKey: cl.publicKey, allowedIps: ['100.64.0.2/32', 'fd00:2021:1111::2/128', '::/128'] }],
    addrs: ['100.64.0.1/32'],
  })
  // The host's resolver, in the gateway namespace (reached over the veth, not the tunnel).
  await startDnsmasq(lab, { ns: NS_G, listen: [G_V4], hosts: { 'www.smoke.test': ['192.0.2.77'] } })
  configPath = join(dir, 'client.json')
  resolvPath = join(dir, 'resolv.conf')
  writeFileSync(resolvPath, ORIGINAL_RESOLV)
  writeFileSync(
    configPath,
    JSON.stringify({
      name: 'smoke',
      privateKey: cl.privateKey,
      ipv4: '100.64.0.2',
      ipv6: 'fd00:2021:1111::2',
      gateway: {
        publicKey: gw.publicKey,
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
}, 60_000)

afterAll(() => lab?.down())

/** Starts the client in its namespace; resolves when it logs `client running`. */
let starts = 0
async function startClient(): Promise<{ proc: Proc['proc']; lines: () => string }> {
  const p = await lab!.start(
    `client-${++starts}`,
    NS_C,
    [process.execPath, MAIN, '--config', configPath, '--resolv-conf', resolvPath],
    (q) => q.stderr().includes('client running'),
    { timeoutMs: 15_000 },
  )
  return { proc: p.proc, lines: () => p.stderr() }
}

function dig(...args: string[]): string {
  return tryRun(['ip', 'netns', 'exec', NS_C, 'dig', '+time=3', '+tries=1', ...args]).stdout
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
