import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import {
  CommandError,
  dnsmasqArgv,
  exec,
  Lab,
  masqueradeRules,
  missingTools,
  nonZeroSamples,
  parseMetrics,
  run,
  tryRun,
  waitFor,
  wgConfig,
} from '../src/index.ts'

describe('commands', () => {
  test('run returns stdout; a failure throws CommandError naming argv, exit code and stderr', () => {
    expect(run(['sh', '-c', 'printf hi'])).toBe('hi')
    let err: unknown
    try {
      run(['sh', '-c', 'echo boom >&2; exit 3'])
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(CommandError)
    const ce = err as CommandError
    expect(ce.code).toBe(3)
    expect(ce.message).toContain('exit 3')
    expect(ce.message).toContain('boom')
    expect(ce.message).toContain('sh -c')
  })
  test('run passes stdin; tryRun never throws', () => {
    expect(run(['cat'], { stdin: 'abc' })).toBe('abc')
    expect(tryRun(['sh', '-c', 'exit 7']).code).toBe(7)
  })
  test('exec keeps output, drops ip netns exec notices, and kills on timeout', async () => {
    const r = await exec(['sh', '-c', 'echo out; echo "Bind /etc/netns/x/resolv.conf"; echo err >&2; exit 2'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('out\nBind /etc/netns/x/resolv.conf\n')
    expect(r.stderr).toBe('err\n')
    const s = await exec(['sh', '-c', 'echo "Bind /etc/netns/x/resolv.conf" >&2; echo kept >&2'])
    expect(s.stderr).toBe('kept\n')
    const t = await exec(['sleep', '5'], 100)
    expect(t.timedOut).toBe(true)
    expect(t.code).not.toBe(0)
  })
  test('missingTools names what is not on PATH', () => {
    expect(missingTools(['sh', 'no-such-tool-gatehouse'])).toEqual(['no-such-tool-gatehouse'])
  })
})

describe('waitFor', () => {
  test('resolves once the condition holds (async conditions too)', async () => {
    let n = 0
    await waitFor('n to reach 3', async () => ++n >= 3, { intervalMs: 1 })
    expect(n).toBe(3)
  })
  test('times out naming what it waited for, with the detail', async () => {
    await expect(
      waitFor('never', () => false, { timeoutMs: 30, intervalMs: 5, detail: () => 'LOG' }),
    ).rejects.toThrow(/timed out waiting for never[\s\S]*LOG/)
  })
  test('abort stops the wait early with its reason', async () => {
    await expect(
      waitFor('x', () => false, { timeoutMs: 10_000, abort: () => 'process exited (1)' }),
    ).rejects.toThrow('gave up waiting for x: process exited (1)')
  })
})

describe('Prometheus text', () => {
  const text = '# HELP a_total A.\n# TYPE a_total counter\na_total 3\nb{reason="x y"} 0\nc{k="v"} 1.5\n\n'
  test('samples by name and labels; comments and blank lines skipped', () => {
    const m = parseMetrics(text)
    expect([...m]).toEqual([
      ['a_total', 3],
      ['b{reason="x y"}', 0],
      ['c{k="v"}', 1.5],
    ])
    expect(nonZeroSamples(text)).toBe('a_total 3\nc{k="v"} 1.5')
  })
  test('property: written samples read back; arbitrary text never throws', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/)
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, fc.integer()), { selector: ([n]) => n, maxLength: 8 }),
        (samples) => {
          const m = parseMetrics(samples.map(([n, v]) => `${n} ${v}`).join('\n'))
          expect([...m]).toEqual(samples)
        },
      ),
      { numRuns: 50 },
    )
    fc.assert(
      fc.property(fc.string(), (s) => {
        parseMetrics(s)
      }),
      { numRuns: 100 },
    )
  })
})

describe('generated configuration', () => {
  test('masquerade rules: one line per source prefix and family, on the given interface', () => {
    const r = masqueradeRules({ table: 't', oif: 'g1', v4: ['100.64.0.0/11'], v6: ['fd00:2021:1111::/107'] })
    expect(r).toContain('table inet t {')
    expect(r).toContain('ip saddr 100.64.0.0/11 oifname "g1" masquerade')
    expect(r).toContain('ip6 saddr fd00:2021:1111::/107 oifname "g1" masquerade')
    expect(() => masqueradeRules({ table: 't', oif: 'g1' })).toThrow('v4 or v6')
  })
  test('wg config: interface, then one section per peer with what was given', () => {
    const c = wgConfig({
      privateKey: 'PRIV',
      listenPort: 51820,
      peers: [
        { publicKey: 'P1', allowedIps: ['10.0.0.0/24', '::/128'], endpoint: '192.0.2.1:51820' },
        { publicKey: 'P2', allowedIps: ['10.1.0.2/32'] },
      ],
    })
    expect(c).toBe(
      '[Interface]\nPrivateKey = PRIV\nListenPort = 51820\n\n[Peer]\nPublicKey = P1\nAllowedIPs = 10.0.0.0/24, ::/128\nEndpoint = 192.0.2.1:51820\n\n[Peer]\nPublicKey = P2\nAllowedIPs = 10.1.0.2/32\n',
    )
  })
  test('dnsmasq argv: listen addresses, local zones, host records, wildcards, extras', () => {
    const a = dnsmasqArgv(
      {
        ns: 'x',
        listen: ['10.0.0.2', 'fd00::2'],
        local: ['site.test'],
        hosts: { 'a.site.test': ['10.0.0.10', 'fd00::10'] },
        wildcards: { 'app.test': '10.0.0.2' },
        extra: ['--txt-record=a.site.test,hi'],
      },
      '/tmp/p.pid',
    )
    expect(a.slice(0, 2)).toEqual(['dnsmasq', '-k'])
    for (const want of [
      '--pid-file=/tmp/p.pid',
      '--listen-address=10.0.0.2',
      '--listen-address=fd00::2',
      '--local=/site.test/',
      '--host-record=a.site.test,10.0.0.10,fd00::10',
      '--address=/app.test/10.0.0.2',
      '--txt-record=a.site.test,hi',
    ])
      expect(a).toContain(want)
  })
  test('Lab rejects a prefix that could name something else', () => {
    expect(() => new Lab('Bad Prefix')).toThrow('prefix')
  })
})
