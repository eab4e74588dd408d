/**
 * Root-only smoke test: the gateway app as a process with a real TUN device in namespace
 * `gh-gw-<pid>-g`, a `site` namespace behind it (nftables masquerade on the gateway's site-side
 * veth), and wireguard-go + `wg` as the client in `gh-gw-<pid>-c`. A CIDR resource is pinged
 * through the tunnel; then a control message (AssignedIps) is injected on the client's tunnel
 * interface through an AF_PACKET socket, the gateway resolves the name at the site's dnsmasq and
 * answers DomainStatus, and the proxy IP is pinged through the NAT.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeControlPacket, MessageType } from '@gatehouse/control'
import {
  isListening,
  Lab,
  nonZeroSamples,
  type Proc,
  run,
  skipReason,
  tryRun,
  waitFor,
} from '@gatehouse/netns-kit'
import { assignedIps, buildGatewayPath, gatewayConfig, WEB_PROXY_IPS } from './path.ts'

const SKIP = skipReason(['wireguard-go', 'wg', 'nft', 'dnsmasq', 'ping', 'python3', 'curl'])
if (SKIP) console.warn(`skipping gateway netns smoke test: ${SKIP}`)
const RUN = SKIP === null

const id = process.pid % 100000
const PREFIX = `gh-gw-${id}-`
const NS_C = `${PREFIX}c`
const NS_G = `${PREFIX}g`
const WG_IF = `ghgwc${id}`
const GW_TUN = `ghgwt${id}`
const MAIN = join(import.meta.dir, '..', 'src', 'main.ts')
const SITE = '10.77.0.2'

const inNs = (ns: string, ...argv: string[]) => run(['ip', 'netns', 'exec', ns, ...argv])

let lab: Lab | null = null
let gateway: Proc | null = null
const gatewayLog = () => gateway?.stderr() ?? ''

function metricsNonZero(): string {
  return nonZeroSamples(tryRun(['ip', 'netns', 'exec', NS_G, 'curl', '-s', '127.0.0.1:19109/metrics']).stdout)
}

const waitLog = (what: string, needle: string) =>
  waitFor(what, () => gatewayLog().includes(needle), { detail: () => `gateway log:\n${gatewayLog()}` })

/**
 * Sends a control packet from the client and returns the gateway's control answer. An AF_PACKET
 * socket on wireguard-go's TUN: what we send is read by wireguard-go and encrypted to the gateway
 * (allowed-ips ::/128); the answer is what wireguard-go writes to the TUN (the kernel drops it).
 */
function controlExchange(packet: Uint8Array): Uint8Array {
  const py = `
import socket, sys, select, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
s.bind((sys.argv[1], 0))
tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
tx.sendto(bytes.fromhex(sys.argv[2]), (sys.argv[1], 0x86DD))
end = time.time() + 8
while time.time() < end:
    r, _, _ = select.select([s], [], [], 0.5)
    if not r: continue
    data, addr = s.recvfrom(65535)
    if addr[2] != socket.PACKET_OUTGOING and len(data) > 40 and data[0] >> 4 == 6 and data[6] == 253:
        print(data.hex()); sys.exit(0)
sys.exit(3)
`
  const r = Bun.spawnSync(
    ['ip', 'netns', 'exec', NS_C, 'python3', '-c', py, WG_IF, Buffer.from(packet).toString('hex')],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  if (r.exitCode !== 0)
    throw new Error(`no control answer (exit ${r.exitCode}): ${r.stderr}\n${gatewayLog()}`)
  return new Uint8Array(Buffer.from(r.stdout.toString().trim(), 'hex'))
}

/** Connects TCP to host:port from the client; 'connected', 'refused', 'unreachable' or 'timeout'. */
function tcpConnect(host: string, port: number): string {
  const py = `
import socket, sys, errno
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(3)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print('connected')
except ConnectionRefusedError:
    print('refused')
except OSError as e:
    print('unreachable' if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES) else 'timeout' if isinstance(e, socket.timeout) else 'error %d' % (e.errno or 0))
`
  return inNs(NS_C, 'python3', '-c', py, host, String(port)).trim()
}

describe.skipIf(!RUN)('gateway app in network namespaces (issue 9, root)', () => {
  beforeAll(async () => {
    lab = new Lab(PREFIX)
    const path = await buildGatewayPath(lab, {
      net: 77,
      clientIf: WG_IF,
      names: ['app.example.test', 'db.corp.test'],
    })

    // A PostHog-compatible flag backend on the gateway's loopback: answers what the file says.
    const flagFile = join(lab.dir, 'flag')
    writeFileSync(flagFile, 'false')
    const server = join(lab.dir, 'flags.ts')
    writeFileSync(
      server,
      `Bun.serve({ hostname: '127.0.0.1', port: 18080, async fetch(req) {
        const on = (await Bun.file(${JSON.stringify(flagFile)}).text()).trim() === 'true'
        return Response.json({ featureFlags: { 'icmp-unreachable-instead-of-nat64': on } })
      } })\n`,
    )
    await lab.start('flags', NS_G, [process.execPath, server], () =>
      isListening(NS_G, 18080, 'tcp', '127.0.0.1'),
    )

    const cfg = gatewayConfig(
      path,
      [
        { id: 'site', type: 'cidr', address: '10.77.0.0/24' },
        { id: 'web', type: 'dns', address: '*.example.test' },
        { id: 'db', type: 'dns', address: 'db.corp.test', filters: [{ protocol: 'tcp', ports: ['443'] }] },
      ],
      {
        tun: { name: GW_TUN },
        log: { console: 'json', level: 'DEBUG' },
        metrics: { listen: '127.0.0.1:19109' },
        featureFlags: {
          url: 'http://127.0.0.1:18080',
          apiKey: 'phc_test',
          intervalSeconds: 1,
          timeoutMs: 500,
          graceSeconds: 30,
        },
      },
    )
    const cfgFile = join(lab.dir, 'gateway.json')
    writeFileSync(cfgFile, JSON.stringify(cfg))
    gateway = await lab.start('gateway', NS_G, [process.execPath, MAIN, 'run', '--config', cfgFile], (p) =>
      p.stderr().includes('gateway running'),
    )

    await waitLog('the flag backend answered', 'feature flag backend answered')
  }, 60_000)

  afterAll(() => {
    if (process.env.GH_GW_DEBUG) console.log(gatewayLog())
    lab?.down()
  })

  test('ping a CIDR resource through wireguard-go -> gateway -> masquerade -> site', () => {
    const out = inNs(NS_C, 'ping', '-c', '3', '-i', '0.2', '-W', '3', SITE)
    expect(out).toContain('3 received')
  }, 30_000)

  test('control: AssignedIps on the tunnel -> DomainStatus active -> ping the proxy IP through the NAT', async () => {
    const packet = assignedIps(42, 'web', 'app.example.test', WEB_PROXY_IPS)
    const answer = controlExchange(packet)
    expect(decodeControlPacket(answer, 0, answer.length)).toEqual({
      type: MessageType.DomainStatus,
      requestId: 42,
      resource: 'web',
      domain: 'app.example.test',
      status: 'active',
    })
    const out = inNs(NS_C, 'ping', '-c', '2', '-i', '0.2', '-W', '3', '100.96.0.3')
    expect(out).toContain('2 received')
    expect(out).toContain('from 100.96.0.3') // the reply comes back from the proxy IP
  }, 30_000)

  test('issue 9 §4: UDP to a closed port at the site: ECONNREFUSED through the NAT and through NAT64', () => {
    // The site's kernel answers port unreachable; masquerade un-NATs it; the gateway routes it by its quote.
    const py = `
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 9))
s.send(b'x')
try:
    s.recv(100)
    print('answered')
except ConnectionRefusedError:
    print('refused')
except socket.timeout:
    print('timeout')
`
    for (const target of ['100.96.0.2', 'fd00:2021:1111:8000::2']) {
      const out = inNs(NS_C, 'python3', '-c', py, target).trim()
      expect(`${target}: ${out}`).toBe(`${target}: refused`)
    }
  }, 30_000)

  test('issue 9 §5: a filtered port is refused at once (administratively prohibited); the allowed one passes', () => {
    const answer = controlExchange(
      assignedIps(43, 'db', 'db.corp.test', ['100.96.0.9', '100.96.0.10', '100.96.0.11', '100.96.0.12']),
    )
    expect(decodeControlPacket(answer, 0, answer.length)).toMatchObject({ requestId: 43, status: 'active' })
    // ICMP 3/13 from the gateway: EHOSTUNREACH before the 3 s socket timeout would say 'timeout'.
    expect(tcpConnect('100.96.0.9', 80)).toBe('unreachable')
    expect(tcpConnect('100.96.0.9', 443)).toBe('refused') // reached the site: RST from its closed port
  }, 30_000)

  test('a proxy IP with no mapping: ping says unreachable at once (ICMP 3/0 from the gateway)', () => {
    const r = Bun.spawnSync(['ip', 'netns', 'exec', NS_C, 'ping', '-c', '1', '-W', '3', '100.96.0.77'], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const out = r.stdout.toString()
    expect(r.exitCode).not.toBe(0)
    expect(out).toContain('From 100.64.0.1')
    expect(out).toContain('Destination Net Unreachable')
  }, 30_000)

  test('NAT64 with the flag off; the backend flips the flag at run time: ICMPv6 address unreachable at once', async () => {
    // app.example.test has only an A record: its IPv6 proxy IPs map onto IPv4 through NAT64.
    const ping6 = Bun.spawnSync(
      [
        'ip',
        'netns',
        'exec',
        NS_C,
        'ping',
        '-6',
        '-c',
        '2',
        '-i',
        '0.2',
        '-W',
        '3',
        'fd00:2021:1111:8000::2',
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    if (ping6.exitCode !== 0) {
      const dbg = [
        Bun.spawnSync(['ip', '-n', NS_C, '-6', 'addr'], { stdout: 'pipe' }).stdout.toString(),
        Bun.spawnSync(['ip', '-n', NS_C, '-6', 'route'], { stdout: 'pipe' }).stdout.toString(),
        Bun.spawnSync(['ip', 'netns', 'exec', NS_C, 'wg', 'show'], { stdout: 'pipe' }).stdout.toString(),
      ].join('\n')
      throw new Error(
        `ping6 failed: ${ping6.stdout}${ping6.stderr}\n${dbg}\n${metricsNonZero()}\n${gatewayLog().slice(-3000)}`,
      )
    }
    writeFileSync(join(lab!.dir, 'flag'), 'true')
    await waitLog('flag change', 'feature flag now in effect')
    const r = Bun.spawnSync(
      ['ip', 'netns', 'exec', NS_C, 'ping', '-6', '-c', '1', '-W', '3', 'fd00:2021:1111:8000::2'],
      {
        stdout: 'pipe',
        stderr: 'pipe',
      },
    )
    expect(r.exitCode).not.toBe(0)
    const out = r.stdout.toString()
    expect(out).toContain('From fd00:2021:1111::1')
    expect(out).toContain('Address unreachable')
    // IPv4 to the same name is unaffected by the flag.
    expect(inNs(NS_C, 'ping', '-c', '1', '-W', '3', '100.96.0.2')).toContain('1 received')
  }, 30_000)

  test('SIGTERM: the gateway says goodbye, stops and removes its TUN device', async () => {
    await lab!.stop(gateway!)
    expect(gatewayLog()).toContain('said goodbye to clients')
    expect(gatewayLog()).toContain('"clients":1')
    const r = Bun.spawnSync(['ip', '-n', NS_G, 'link', 'show', GW_TUN], {
      stdout: 'ignore',
      stderr: 'ignore',
    })
    expect(r.exitCode).not.toBe(0)
  }, 30_000)
})
