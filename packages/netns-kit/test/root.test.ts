import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import {
  isListening,
  Lab,
  linkExists,
  masquerade,
  namespaceExists,
  skipReason,
  startDnsmasq,
  startWireguardGo,
  tryRun,
  wgKeyPair,
} from '../src/index.ts'

const SKIP = skipReason(['nft', 'dnsmasq', 'dig', 'ping', 'wireguard-go', 'wg', 'ss'])
if (SKIP) console.warn(`skipping netns-kit namespace tests: ${SKIP}`)

const ID = process.pid % 100000
const P = `gh-nk-${ID}-`
const WG_G = `ghnk${ID}g`
const WG_C = `ghnk${ID}c`
const labs: Lab[] = []
const newLab = (suffix: string) => {
  const l = new Lab(`${P}${suffix}`)
  labs.push(l)
  return l
}
afterAll(() => {
  for (const l of labs) l.down()
})

describe.skipIf(SKIP !== null)('namespaces (root)', () => {
  test('two namespaces joined by a veth ping each other (IPv4 and IPv6); down removes everything', () => {
    const lab = newLab('a')
    const a = lab.ns('a')
    const b = lab.ns('b')
    lab.veth(
      { ns: a, dev: 'a0', addrs: ['10.250.0.1/24', 'fd99::1/64'] },
      { ns: b, dev: 'b0', addrs: ['10.250.0.2/24', 'fd99::2/64'] },
    )
    // -w: wait up to 5 s for a reply (re-sending each second): right after the link comes up the
    // first IPv6 neighbour solicitation is sometimes lost and answered on the 1 s retry. A broken
    // link still fails (ping exits 1 and sh throws).
    expect(lab.sh(a, 'ping', '-c', '1', '-w', '5', '10.250.0.2')).toMatch(/ [1-9]\d* received/)
    expect(lab.sh(a, 'ping', '-6', '-c', '1', '-w', '5', 'fd99::2')).toMatch(/ [1-9]\d* received/)
    // The host never sees the veth.
    expect(tryRun(['ip', 'link', 'show', 'a0']).code).not.toBe(0)
    const dir = lab.dir
    lab.down()
    expect(namespaceExists(a)).toBe(false)
    expect(namespaceExists(b)).toBe(false)
    expect(existsSync(dir)).toBe(false)
    lab.down() // idempotent
  })

  test('pointToPoint: namespaces <prefix>1 and <prefix>2 over one veth, with the MTU asked for', () => {
    const lab = newLab('p')
    const [a, b] = lab.pointToPoint(
      { dev: 'p1', addrs: ['10.252.0.1/24'], mtu: 1400 },
      { dev: 'p2', addrs: ['10.252.0.2/24'], mtu: 1400 },
    )
    expect([a, b]).toEqual([`${P}p1`, `${P}p2`])
    expect(lab.sh(b, 'ip', 'link', 'show', 'p2')).toContain('mtu 1400')
    expect(lab.sh(a, 'ping', '-c', '1', '-W', '2', '10.252.0.2')).toContain('1 received')
    lab.down()
  })

  test('a lab left up (with a process running in it) is removed when the process exits', () => {
    const ns = `${P}exit-x`
    const script = `import { Lab } from ${JSON.stringify(`${import.meta.dir}/../src/index.ts`)}
const l = new Lab(${JSON.stringify(`${P}exit-`)}); l.ns('x'); l.spawn('sleeper', ${JSON.stringify(ns)}, ['sleep', '60'])
console.log('up'); process.exit(0)`
    const r = tryRun([process.execPath, '-e', script])
    expect(r.stdout.trim()).toBe('up')
    expect(namespaceExists(ns)).toBe(false)
  })

  test('a lab is removed on SIGTERM', async () => {
    const ns = `${P}sig-x`
    const script = `import { Lab } from ${JSON.stringify(`${import.meta.dir}/../src/index.ts`)}
const l = new Lab(${JSON.stringify(`${P}sig-`)}); l.ns('x'); console.log('up'); setInterval(() => {}, 1000)`
    const p = Bun.spawn([process.execPath, '-e', script], { stdout: 'pipe' })
    const reader = p.stdout.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first.trim()).toBe('up')
    expect(namespaceExists(ns)).toBe(true)
    p.kill('SIGTERM')
    expect(await p.exited).toBe(128 + 15)
    expect(namespaceExists(ns)).toBe(false)
  })

  test('start waits for a port; a process that exits first fails with its output', async () => {
    const lab = newLab('s')
    const ns = lab.ns('s')
    const p = await lab.start(
      'nc',
      ns,
      [
        'python3',
        '-c',
        'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",7777))\ns.listen()\ntime.sleep(60)',
      ],
      () => isListening(ns, 7777, 'tcp', '127.0.0.1'),
    )
    expect(p.running()).toBe(true)
    await expect(
      lab.start('dies', ns, ['sh', '-c', 'echo bad-config >&2; exit 1'], () => false),
    ).rejects.toThrow(/dies exited \(1\)[\s\S]*bad-config/)
    expect(await lab.stop(p)).not.toBe(0)
    lab.down()
  })

  test('dnsmasq answers the given records; masquerade loads; wireguard-go carries a ping', async () => {
    const lab = newLab('w')
    const c = lab.ns('c')
    const g = lab.ns('g')
    lab.veth({ ns: c, dev: 'c0', addrs: ['10.251.0.1/24'] }, { ns: g, dev: 'g0', addrs: ['10.251.0.2/24'] })
    await startDnsmasq(lab, {
      ns: g,
      listen: ['10.251.0.2'],
      hosts: { 'v.kit.test': ['10.251.0.10', 'fd98::10'] },
      wildcards: { 'w.kit.test': '10.251.0.11' },
      local: ['kit.test'],
    })
    const dig = (q: string, t = 'A') =>
      lab.sh(c, 'dig', '+short', '+time=2', '+tries=1', '@10.251.0.2', q, t).trim()
    expect(dig('v.kit.test')).toBe('10.251.0.10')
    expect(dig('v.kit.test', 'AAAA')).toBe('fd98::10')
    expect(dig('x.w.kit.test')).toBe('10.251.0.11')

    masquerade(g, { table: 'kit', oif: 'g0', v4: ['100.64.0.0/11'], v6: ['fd00:2021:1111::/107'] })
    expect(lab.sh(g, 'nft', 'list', 'table', 'inet', 'kit')).toContain('masquerade')

    const ck = wgKeyPair()
    const gk = wgKeyPair()
    await startWireguardGo(lab, {
      ns: g,
      ifname: WG_G,
      privateKey: gk.privateKey,
      listenPort: 51820,
      peers: [{ publicKey: ck.publicKey, allowedIps: ['100.64.0.2/32'] }],
      addrs: ['100.64.0.1/32'],
      routes: ['100.64.0.2/32'],
    })
    await startWireguardGo(lab, {
      ns: c,
      ifname: WG_C,
      privateKey: ck.privateKey,
      peers: [{ publicKey: gk.publicKey, endpoint: '10.251.0.2:51820', allowedIps: ['100.64.0.1/32'] }],
      addrs: ['100.64.0.2/32'],
      routes: ['100.64.0.1/32'],
      mtu: 1420,
    })
    expect(linkExists(c, WG_C)).toBe(true)
    expect(lab.sh(c, 'ping', '-c', '1', '-W', '3', '100.64.0.1')).toContain('1 received')
    expect(lab.sh(g, 'wg', 'show', WG_G, 'peers').trim()).toBe(ck.publicKey)
    lab.down()
    expect(namespaceExists(c)).toBe(false)
  }, 30_000)
})

describe.skipIf(SKIP !== null)('lab processes (root)', () => {
  test('a process started again under the same name has only its own output', async () => {
    const lab = newLab('re')
    const first = lab.spawn('echo', null, ['sh', '-c', 'echo first-run-ready; echo first-err >&2'])
    await first.proc.exited
    expect(first.stdout()).toContain('first-run-ready')
    const second = lab.spawn('echo', null, ['sh', '-c', 'echo second'])
    await second.proc.exited
    expect(second.stdout()).toBe('second\n')
    expect(second.stderr()).toBe('')
  })
})
