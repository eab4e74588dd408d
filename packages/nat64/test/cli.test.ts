import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildIcmp6Echo, buildUdp4, get16, get32, ipv6ToText } from '@gatehouse/ip-packet'
import { allFailures, payload, v4, v6 } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'gh-nat64-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const CLI = join(import.meta.dir, '..', 'cli.ts')

function cli(args: string[], stdin?: Uint8Array) {
  const p = Bun.spawnSync(['bun', CLI, ...args], { stdin: stdin ?? 'ignore', stdout: 'pipe', stderr: 'pipe' })
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }
}

/** The CLI's JSON line; on anything else, an error carrying what it printed (for a failing run's diagnosis). */
function json(r: { code: number | null; out: string; err: string }): {
  action: string
  reason: string | null
  packets: number
} {
  try {
    return JSON.parse(r.out)
  } catch {
    throw new Error(`cli exit ${r.code}: stdout ${JSON.stringify(r.out)} stderr ${JSON.stringify(r.err)}`)
  }
}

describe('Issue 3: command-line entry', () => {
  test('Issue 3: a packet from a file, --pool6, one JSON line, OUTDIR/0.pkt', () => {
    const file = join(dir, 'in.bin')
    writeFileSync(
      file,
      buildUdp4({
        src: v4('192.0.2.1'),
        dst: v4('198.51.100.2'),
        srcPort: 1,
        dstPort: 2,
        payload: payload(9),
      }),
    )
    const out = join(dir, 'o1')
    const r = cli(['--pool6', '64:ff9b:1::/96', '--out', out, file])
    expect(r.code).toBe(0)
    expect(json(r)).toEqual({ action: 'translated', reason: null, packets: 1 })
    const pkt = new Uint8Array(readFileSync(join(out, '0.pkt')))
    expect(pkt[0] >> 4).toBe(6)
    expect(ipv6ToText(pkt, 8)).toBe('64:ff9b:1::c000:201')
    expect(allFailures({ buf: pkt, off: 0, len: pkt.length })).toEqual([])
  })

  test('Issue 3: stdin, --eamt, --mtu4: an oversized packet gives an icmp-error with its reason', () => {
    const p = buildIcmp6Echo({
      src: v6('2001:db8:2::5'),
      dst: v6('64:ff9b::8.8.8.8'),
      id: 1,
      seq: 1,
      payload: payload(1400),
    })
    const out = join(dir, 'o2')
    const r = cli(
      [
        '--eamt',
        '192.0.2.0/24=2001:db8:2::/120',
        '--pool6',
        '64:ff9b::/96',
        '--mtu4',
        '1300',
        '--out',
        out,
        '-',
      ],
      p,
    )
    expect(json(r)).toEqual({ action: 'icmp-error', reason: 'nat64-packet-too-big', packets: 1 })
    const e = new Uint8Array(readFileSync(join(out, '0.pkt')))
    expect([e[40], e[41], get32(e, 44)]).toEqual([2, 0, 1320])
  })

  test('Issue 3: --lowest-ipv6-mtu and fragments: N.pkt per fragment', () => {
    const file = join(dir, 'big.bin')
    writeFileSync(
      file,
      buildUdp4({ src: v4('192.0.2.1'), dst: v4('8.8.8.8'), srcPort: 1, dstPort: 2, payload: payload(3000) }),
    )
    const out = join(dir, 'o3')
    const r = cli(['--pool6', '64:ff9b::/96', '--lowest-ipv6-mtu', '1280', '--out', out, file])
    const j = json(r)
    // 192.0.2.1 is not global: the Well-Known Prefix refuses it (RFC 6052 §3.1), answered with 3/13.
    expect(j.action).toBe('icmp-error')
    const r2 = cli(['--pool6', '64:ff9b::/96', '--wkp-non-global', '--out', out, file])
    expect(json(r2)).toEqual({ action: 'translated', reason: null, packets: 3 })
    expect(readdirSync(out).sort()).toEqual(['0.pkt', '1.pkt', '2.pkt'])
    for (const f of ['0.pkt', '1.pkt', '2.pkt']) {
      const b = new Uint8Array(readFileSync(join(out, f)))
      expect(b.length).toBeLessThanOrEqual(1280)
      expect(b[6]).toBe(44)
    }
  })

  test('Issue 3: a drop prints its reason and writes nothing; --amend-udp-checksum-zero amends', () => {
    const file = join(dir, 'z.bin')
    writeFileSync(
      file,
      buildUdp4({
        src: v4('192.0.2.1'),
        dst: v4('198.51.100.2'),
        srcPort: 1,
        dstPort: 2,
        zeroChecksum: true,
        payload: payload(5),
      }),
    )
    const out = join(dir, 'o4')
    const r = cli(['--pair', '2001:db8::1,192.0.2.1,2001:db8::2,198.51.100.2', '--out', out, file])
    expect(json(r)).toEqual({ action: 'drop', reason: 'nat64-udp-checksum-zero', packets: 0 })
    const r2 = cli([
      '--pair',
      '2001:db8::1,192.0.2.1,2001:db8::2,198.51.100.2',
      '--amend-udp-checksum-zero',
      '--out',
      out,
      file,
    ])
    expect(json(r2).action).toBe('translated')
    const b = new Uint8Array(readFileSync(join(out, '0.pkt')))
    expect(get16(b, 46)).not.toBe(0)
  })

  test('Issue 3: a bad flag value exits 2 naming the field', () => {
    const r = cli(['--pool6', '2001:db8::/33', '-'], new Uint8Array(0))
    expect(r.code).toBe(2)
    expect(r.err).toContain('pool6')
    expect(cli(['--mtu6', '1000', '--pool6', '64:ff9b::/96', '-'], new Uint8Array(0)).err).toContain('mtu6')
  })
})
