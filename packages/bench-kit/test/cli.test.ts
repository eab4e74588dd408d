import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COMPARISON_FORMAT } from '../src/cli.ts'
import { COLLECTION_FORMAT } from '../src/records.ts'
import { bench, record } from './fixtures/records.ts'

const CLI = join(import.meta.dir, '..', 'src', 'cli.ts')
const dir = mkdtempSync(join(tmpdir(), 'gh-bench-kit-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function put(name: string, json: unknown): string {
  const file = join(dir, name)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, JSON.stringify(json))
  return file
}

function cli(...args: string[]) {
  const r = Bun.spawnSync([process.execPath, CLI, ...args], { cwd: dir, stdout: 'pipe', stderr: 'pipe' })
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() }
}

const base = put('base.json', record('@gatehouse/p', [bench('hot', 95, 100, 105), bench('cold', 9, 10, 11)]))
const slower = put(
  'slower.json',
  record('@gatehouse/p', [bench('hot', 140, 150, 160), bench('cold', 9, 10, 11)]),
)
const noisy = put(
  'noisy.json',
  record('@gatehouse/p', [bench('hot', 100, 150, 400), bench('cold', 9, 10, 11)]),
)

describe('bench:compare on files', () => {
  test('a regression prints the table and exits 0 without --fail-on-regression', () => {
    const r = cli('compare', base, slower)
    expect(r.code).toBe(0)
    expect(r.out).toContain('**0 faster, 1 slower, 1 unchanged (1 within noise), 0 new, 0 removed**')
    expect(r.out).toContain('| p · hot | 100 ns | 150 ns | 1.50× | **regression** |')
  })

  test('a regression exits 1 with --fail-on-regression', () => {
    expect(cli('compare', base, slower, '--fail-on-regression').code).toBe(1)
  })

  test('the same ratio within noise, or a faster head, exits 0 with --fail-on-regression', () => {
    expect(cli('compare', base, noisy, '--fail-on-regression').code).toBe(0)
    expect(cli('compare', slower, base, '--fail-on-regression').code).toBe(0)
  })

  test('--threshold moves the line', () => {
    expect(cli('compare', base, slower, '--threshold', '0.6', '--fail-on-regression').code).toBe(0)
    expect(cli('compare', base, slower, '--threshold', 'abc').code).toBe(2)
  })

  test('--out writes the same Markdown, --json the rows and both sides', () => {
    const r = cli('compare', base, slower, '--out', 'o/bench.md', '--json', 'o/bench.json')
    expect(r.code).toBe(0)
    expect(readFileSync(join(dir, 'o/bench.md'), 'utf8')).toBe(r.out)
    const j = JSON.parse(readFileSync(join(dir, 'o/bench.json'), 'utf8'))
    expect(j.format).toBe(COMPARISON_FORMAT)
    expect(j.summary.slower).toBe(1)
    expect(j.rows.map((x: { name: string; verdict: string }) => `${x.name} ${x.verdict}`)).toEqual([
      'hot regression',
      'cold noise',
    ])
    expect(j.baseRecords.format).toBe(COLLECTION_FORMAT)
    expect(j.headRecords.records[0].benchmarks[0].p50).toBe(150)
  })

  test('bad usage and unreadable input exit 2 with a message', () => {
    expect(cli('compare', base).code).toBe(2)
    expect(cli('compare').code).toBe(2)
    expect(cli('nonsense').code).toBe(2)
    expect(cli('compare', base, slower, '--no-such-flag').code).toBe(2)
    const missing = cli('compare', base, join(dir, 'missing.json'))
    expect(missing.code).toBe(2)
    expect(missing.err).toContain('missing.json')
    expect(cli('compare', base, slower, '--rounds', '3').code).toBe(2)
    expect(cli('compare', base, slower, '--head', 'main').code).toBe(2)
  })
})

describe('bench:collect', () => {
  test('collects a tree into one file that compare reads like the tree', () => {
    put('tree/packages/p/bench-results/p.json', record('@gatehouse/p', [bench('hot', 95, 100, 105)]))
    put('tree/apps/q/bench-results/q.json', record('@gatehouse/q', [bench('x', 1, 2, 3)]))
    const r = cli('collect', 'all.json', 'tree')
    expect(r.code).toBe(0)
    const col = JSON.parse(readFileSync(join(dir, 'all.json'), 'utf8'))
    expect(col.format).toBe(COLLECTION_FORMAT)
    expect(col.records.map((x: { package: string }) => x.package)).toEqual(['@gatehouse/q', '@gatehouse/p'])
    const fromFile = cli('compare', 'all.json', 'tree')
    expect(fromFile.code).toBe(0)
    expect(fromFile.out).toContain('**0 faster, 0 slower, 2 unchanged (2 within noise), 0 new, 0 removed**')
    // Against a single record file, the other package shows as removed.
    expect(cli('compare', 'all.json', base).out).toContain('| q · x | 2.00 ns | – |  | removed |')
  })

  test('an empty tree is an error', () => {
    mkdirSync(join(dir, 'nothing'), { recursive: true })
    expect(cli('collect', 'none.json', 'nothing').code).toBe(2)
  })
})
