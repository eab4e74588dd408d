import { describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const MAIN = join(import.meta.dir, '..', 'src', 'main.ts')

function run(...args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([process.execPath, MAIN, ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, GATEHOUSE_CONFIG: '' },
  })
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() }
}

describe('bun run apps/client (issue 9: --help, no config explains how to start, a wrong config names the field)', () => {
  test('--help prints the usage and exits 0', () => {
    const r = run('--help')
    expect(r.code).toBe(0)
    expect(r.out).toContain('Usage: bun run apps/client')
    expect(r.out).toContain('--dns-control')
  })

  test('no config: says where a config comes from, exits non-zero', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-cl-main-'))
    try {
      const r = run('--config', join(dir, 'missing.json'))
      expect(r.code).toBe(1)
      expect(r.err).toContain('add-client')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a wrong config names the field and exits 1; so does a bad --dns-control', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-cl-main-'))
    try {
      const file = join(dir, 'c.json')
      writeFileSync(file, JSON.stringify({ name: 'x', privateKey: 'nope', ipv4: '1.2.3.4' }))
      const r = run('--config', file)
      expect(r.code).toBe(1)
      expect(r.err).toContain('privateKey')
      expect(r.err).toContain('ipv6')
      expect(r.err).toContain('gateway')
      const r2 = run('--config', file, '--dns-control', 'systemd')
      expect(r2.err).toContain('dnsControl')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
