/**
 * Differential test against TAYGA, the C userspace NAT64 (Debian `tayga`):
 * the same probe packets, sent by scapy from one namespace, cross this
 * package's TUN translator and then TAYGA in the same namespaces; what
 * arrives on the other side is decoded by scapy and compared field by field.
 * Where the two disagree, RFC 7915 (ours) and RFC 6145 (TAYGA's) say
 * different things; the test names each such field and checks ours against
 * RFC 7915 instead.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { setupTopology, sh, startOurs, startTayga, teardownTopology, topology } from './tayga-topology.ts'

const ROOT = process.getuid?.() === 0
const PY = '/usr/bin/python3'
const haveScapy = Bun.spawnSync([PY, '-c', 'import scapy.all'], { stderr: 'ignore' }).exitCode === 0
const SKIP = !ROOT || Bun.which('tayga') === null || !haveScapy
if (SKIP) console.warn('skipping TAYGA differential test: needs root, tayga and python3-scapy')

const T = topology(`gh-nat64-t${process.pid % 100000}-`)
const PROBES = 4
const SCRIPT = join(import.meta.dir, 'tayga.py')

type Fields = Record<string, string | number | boolean>

/** Send the probes of one family from `fromNs` and return what arrives in `toNs`, decoded. */
async function exchange(
  fromNs: string,
  fromIf: string,
  cmd: 'send6' | 'send4',
  toNs: string,
  toIf: string,
  fam: string,
) {
  const sniffer = Bun.spawn(['ip', 'netns', 'exec', toNs, PY, SCRIPT, 'sniff', toIf, String(PROBES), fam], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  // Wait for scapy's 'ready' (printed once sniffing has started), then send; keep reading until it exits.
  const reader = sniffer.stdout.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (!text.includes('ready')) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value)
  }
  sh(['ip', 'netns', 'exec', fromNs, PY, SCRIPT, cmd, fromIf])
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value)
  }
  await sniffer.exited
  const out = text.split('\n').filter((l) => l.startsWith('['))
  return JSON.parse(out[0] ?? '[]') as Fields[]
}

async function both(): Promise<{ to4: Fields[]; to6: Fields[] }> {
  return {
    to4: await exchange(T.s6, 'v6h', 'send6', T.s4, 'v4h', '4'),
    to6: await exchange(T.s4, 'v4h', 'send4', T.s6, 'v6h', '6'),
  }
}

const results: Record<string, { to4: Fields[]; to6: Fields[] }> = {}

afterAll(() => teardownTopology(T))

describe.skipIf(SKIP)('differential: this translator and TAYGA on the same probes', () => {
  test('setup: both translators carry every probe both ways', async () => {
    setupTopology(T)
    // TAYGA always decrements TTL / hop limit, as RFC 7915 §4.1/§5.1 asks of a translator that is a router.
    const ours = await startOurs(T, true)
    try {
      results.ours = await both()
    } finally {
      ours.kill()
      await ours.exited
    }
    const tayga = await startTayga(T)
    try {
      results.tayga = await both()
    } finally {
      await tayga.stop()
    }
    for (const k of ['ours', 'tayga']) {
      expect({ k, n: results[k].to4.length }).toEqual({ k, n: PROBES })
      expect({ k, n: results[k].to6.length }).toEqual({ k, n: PROBES })
    }
  }, 60_000)

  test('RFC 7915 §5.1/§5.5 vs TAYGA: IPv6 -> IPv4 agree on addresses, TTL, TOS, length, protocol, ports; every checksum valid', () => {
    const same = [
      'ver',
      'src',
      'dst',
      'ttl',
      'tos',
      'len',
      'proto',
      'frag',
      'l4',
      'sport',
      'dport',
      'ip_ok',
      'l4_ok',
    ]
    for (let i = 0; i < PROBES; i++) {
      const o = results.ours.to4[i]
      const t = results.tayga.to4[i]
      for (const f of same) expect({ i, f, v: o[f] }).toEqual({ i, f, v: t[f] })
      expect(o.ip_ok && o.l4_ok).toBe(true)
    }
  })

  test('RFC 7915 §4.1/§4.5 vs TAYGA: IPv4 -> IPv6 agree on addresses, hop limit, traffic class, flow label, length, next header, ports; every checksum valid', () => {
    const same = ['ver', 'src', 'dst', 'hlim', 'tc', 'fl', 'plen', 'nh', 'l4', 'sport', 'dport', 'l4_ok']
    for (let i = 0; i < PROBES; i++) {
      const o = results.ours.to6[i]
      const t = results.tayga.to6[i]
      for (const f of same) expect({ i, f, v: o[f] }).toEqual({ i, f, v: t[f] })
      expect(o.l4_ok).toBe(true)
    }
  })

  test('RFC 7915 §5.1 where TAYGA differs: DF and identification of untranslated-fragment IPv6 packets', () => {
    // Ours, per RFC 7915 §5.1: DF=0 and a fresh identification at or below 1260 bytes, DF=1 and ID 0 above.
    for (const p of results.ours.to4) {
      const len = p.len as number
      expect({ len, df: ((p.flags as number) & 2) !== 0 }).toEqual({ len, df: len > 1260 })
      if (len > 1260) expect(p.id).toBe(0)
    }
    console.log(
      'TAYGA (RFC 6145) IPv4 flags/id:',
      results.tayga.to4.map((p) => `${p.len}B flags=${p.flags} id=${p.id}`).join(', '),
      '| ours:',
      results.ours.to4.map((p) => `${p.len}B flags=${p.flags} id=${p.id}`).join(', '),
    )
  })
})
