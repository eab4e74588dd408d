/**
 * Real kernel, real tools: a TUN-based translator built from this package
 * (test/siit-tun.ts, a process of its own) between an IPv6-only namespace and
 * an IPv4-only one. ping, curl and iperf3 -u pass through it, a closed UDP
 * port refuses across families, and tracepath sees Packet Too Big /
 * Fragmentation Needed change family.
 *
 *   gh-nat64-v6 (2001:db8:6::2)  --veth--  gh-nat64-x  --veth--  gh-nat64-v4 (192.0.2.2)
 *                                           siit0 (TUN): 64:ff9b:1::/96, 198.51.100.0/24
 *   EAMT 198.51.100.0/24 = 2001:db8:6::/120; pool6 64:ff9b:1::/96
 *   gh-nat64-x's route to 192.0.2.2 has MTU 1300 (a narrow IPv4 hop); the
 *   translator's IPv6 MTU is 1400 (a narrow IPv6 hop).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

const ROOT = process.getuid?.() === 0
const TOOLS = ['ip', 'ping', 'curl', 'iperf3', 'tracepath'].filter((t) => Bun.which(t) === null)
const SKIP = !ROOT || TOOLS.length > 0
if (!ROOT) console.warn('skipping nat64 kernel test: needs root (network namespaces, TUN)')
else if (TOOLS.length > 0) console.warn(`skipping nat64 kernel test: missing ${TOOLS.join(', ')}`)

const X = 'gh-nat64-x'
const S6 = 'gh-nat64-v6'
const S4 = 'gh-nat64-v4'
const NS = [X, S6, S4]
const DST6 = '64:ff9b:1::c000:202' // 192.0.2.2 under pool6
const DST4 = '198.51.100.2' // 2001:db8:6::2 by the EAMT

function sh(args: string[], check = true): { code: number; out: string; err: string } {
  const p = Bun.spawnSync(args, { stdout: 'pipe', stderr: 'pipe' })
  const r = { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() }
  if (check && r.code !== 0) throw new Error(`${args.join(' ')}: ${r.err}`)
  return r
}
const inNs = (ns: string, args: string[], check = true) => sh(['ip', 'netns', 'exec', ns, ...args], check)
const ipn = (ns: string, args: string[]) => sh(['ip', '-n', ns, ...args])

let translator: Subprocess<'ignore', 'pipe', 'pipe'> | null = null
let http: Subprocess | null = null
let www = ''

function cleanup(): void {
  translator?.kill()
  http?.kill()
  for (const n of NS) sh(['ip', 'netns', 'del', n], false)
  if (www) rmSync(www, { recursive: true, force: true })
}

beforeAll(async () => {
  if (SKIP) return
  cleanup()
  for (const n of NS) {
    sh(['ip', 'netns', 'add', n])
    ipn(n, ['link', 'set', 'lo', 'up'])
  }
  ipn(X, ['link', 'add', 'v6x', 'type', 'veth', 'peer', 'name', 'v6h', 'netns', S6])
  ipn(X, ['link', 'add', 'v4x', 'type', 'veth', 'peer', 'name', 'v4h', 'netns', S4])
  inNs(X, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'])
  // The IPv4 side has no IPv6 at all; the IPv6 side has no IPv4 address.
  inNs(S4, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])
  ipn(X, ['addr', 'add', '2001:db8:6::1/64', 'dev', 'v6x', 'nodad'])
  ipn(X, ['addr', 'add', '192.0.2.1/24', 'dev', 'v4x'])
  ipn(X, ['link', 'set', 'v6x', 'up'])
  ipn(X, ['link', 'set', 'v4x', 'up'])
  ipn(X, ['route', 'add', '192.0.2.2/32', 'dev', 'v4x', 'mtu', '1300'])
  ipn(S6, ['addr', 'add', '2001:db8:6::2/64', 'dev', 'v6h', 'nodad'])
  ipn(S6, ['link', 'set', 'v6h', 'up'])
  ipn(S6, ['route', 'add', '64:ff9b:1::/96', 'via', '2001:db8:6::1'])
  ipn(S4, ['addr', 'add', '192.0.2.2/24', 'dev', 'v4h'])
  ipn(S4, ['link', 'set', 'v4h', 'up'])
  ipn(S4, ['route', 'add', '198.51.100.0/24', 'via', '192.0.2.1'])

  translator = Bun.spawn(
    [
      'bun',
      join(import.meta.dir, 'siit-tun.ts'),
      X,
      '64:ff9b:1::/96',
      '198.51.100.0/24=2001:db8:6::/120',
      '1500',
      '1400',
    ],
    { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' },
  )
  const reader = translator.stdout.getReader()
  const { value } = await reader.read()
  reader.releaseLock()
  expect(new TextDecoder().decode(value)).toContain('ready')

  www = mkdtempSync(join(tmpdir(), 'gh-nat64-www-'))
  const blob = new Uint8Array(300_000)
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 2654435761) >>> 24
  writeFileSync(join(www, 'blob'), blob)
  http = Bun.spawn(
    ['ip', 'netns', 'exec', S4, 'bun', join(import.meta.dir, 'http-server.ts'), '192.0.2.2', '8080', www],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  const hr = (http.stdout as ReadableStream<Uint8Array>).getReader()
  await hr.read()
  hr.releaseLock()
}, 30_000)

afterAll(() => {
  if (!SKIP) cleanup()
})

describe.skipIf(SKIP)('real kernel through a TUN translator', () => {
  test('RFC 7915 §4/§5: ping from the IPv6-only side and from the IPv4-only side', () => {
    const a = inNs(S6, ['ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', DST6], false)
    expect(a.out).toContain('3 received')
    const b = inNs(S4, ['ping', '-4', '-c', '3', '-i', '0.2', '-W', '2', DST4], false)
    expect(b.out).toContain('3 received')
  })

  test('RFC 7915 §5.5/§4.5: curl from the IPv6-only side fetches 300 kB from an IPv4-only HTTP server, byte for byte', () => {
    const out = join(www, 'got')
    const r = inNs(
      S6,
      ['curl', '-s', '--max-time', '20', '-o', out, '-w', '%{http_code}', `http://[${DST6}]:8080/blob`],
      false,
    )
    expect(r.out).toBe('200')
    expect(Buffer.compare(readFileSync(out), readFileSync(join(www, 'blob')))).toBe(0)
  })

  test('RFC 7915 §5.5: iperf3 -u from the IPv6-only side to the IPv4-only side, 2 s at 10 Mbit/s', async () => {
    const server = Bun.spawn(['ip', 'netns', 'exec', S4, 'iperf3', '-s', '-B', '192.0.2.2', '-p', '5211'], {
      stdout: 'ignore',
      stderr: 'ignore',
    })
    try {
      // The server may take a moment to listen on a loaded machine: retry the client a few times.
      let sum: { packets: number; lost_percent: number } | null = null
      for (let attempt = 0; attempt < 5 && sum === null; attempt++) {
        await Bun.sleep(300)
        const r = inNs(
          S6,
          ['iperf3', '-6', '-u', '-c', DST6, '-p', '5211', '-b', '10M', '-t', '2', '-l', '1200', '-J'],
          false,
        )
        const j = JSON.parse(r.out || '{}')
        if (j.end?.sum?.packets !== undefined) sum = j.end.sum
      }
      expect(sum).not.toBeNull()
      expect(sum!.packets).toBeGreaterThan(1000)
      // Loss is the shared machine's as much as ours; the point is that the datagrams cross.
      expect(sum!.lost_percent).toBeLessThan(10)
    } finally {
      server.kill()
    }
  })

  test('RFC 7915 §4.3/§5.3: a closed UDP port answers across families; the kernel matches the translated quote to the socket (ECONNREFUSED)', () => {
    const probe = (ns: string, family: string, addr: string) =>
      inNs(
        ns,
        [
          '/usr/bin/python3',
          '-c',
          [
            'import socket',
            `s = socket.socket(socket.${family}, socket.SOCK_DGRAM)`,
            's.settimeout(3)',
            `s.connect(("${addr}", 9))`,
            's.send(b"x")',
            'try:',
            '    s.recv(1)',
            '    print("data")',
            'except ConnectionRefusedError:',
            '    print("refused")',
            'except socket.timeout:',
            '    print("timeout")',
          ].join('\n'),
        ],
        false,
      ).out.trim()
    // IPv4 server side answers 3/3; the IPv6 client's kernel accepts the translated 1/4 as its own socket's error.
    expect(probe(S6, 'AF_INET6', DST6)).toBe('refused')
    // And the other way: ICMPv6 1/4 from the IPv6 side becomes ICMPv4 3/3 for the IPv4 client.
    expect(probe(S4, 'AF_INET', DST4)).toBe('refused')
  })

  test("RFC 7915 §4.2: tracepath -6 sees the IPv4 hop's Fragmentation Needed (1300) as Packet Too Big 1320", () => {
    const r = inNs(S6, ['timeout', '20', 'tracepath', '-n', '-6', DST6], false)
    expect(r.out).toContain('pmtu 1320')
    expect(r.out).toContain('reached')
    // Hop 2 is the IPv4 router (192.0.2.1) answering Time Exceeded, seen through the translator.
    expect(r.out).toContain('64:ff9b:1::c000:201')
  })

  test("RFC 7915 §4.1: tracepath -4 sees the translator's own Fragmentation Needed for its 1400-byte IPv6 hop (1380)", () => {
    const r = inNs(S4, ['timeout', '20', 'tracepath', '-n', '-4', DST4], false)
    expect(r.out).toContain('pmtu 1380')
    expect(r.out).toContain('reached')
  })
})
