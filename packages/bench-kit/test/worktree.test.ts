/**
 * The `--base` mode for real: a tiny git repository with fake packages whose `bench` scripts write
 * records through GH_BENCH_OUT (no mitata, no timing), a real `git worktree` and a real
 * `bun install --frozen-lockfile`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compareRecords } from '../src/compare.ts'
import { compareWithBase, workspacePackages } from '../src/worktree.ts'

const CLI = join(import.meta.dir, '..', 'src', 'cli.ts')
const top = mkdtempSync(join(tmpdir(), 'gh-bench-kit-wt-'))
const repo = join(top, 'repo')
const fakeLog = join(top, 'runs.log')

/** The fake bench: reads speed.json in its package, logs the run, writes a record (or fails, or sleeps). */
const FAKE_BENCH = `
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
const cfg = JSON.parse(readFileSync('speed.json', 'utf8'))
appendFileSync(process.env.GH_FAKE_LOG, cfg.package + ' ' + cfg.p50 + '\\n')
if (cfg.fail) process.exit(1)
if (cfg.hang) for (let i = 0; i < 200 && existsSync('speed.json'); i++) await Bun.sleep(50)
const p50 = cfg.p50
const record = {
  package: cfg.package, date: new Date().toISOString(), cpu: 'fake cpu', bun: Bun.version, runtime: 'bun',
  arch: 'x64', unit: 'ns',
  benchmarks: [{ name: 'op', avg: p50, p25: p50 * 0.98, p50, p75: p50 * 1.02, p99: p50 * 1.5, min: p50 * 0.9,
    max: p50 * 2, samples: 10, ticks: 100, heapBytesPerIter: null, gc: null }],
}
const out = cfg.legacy ? 'bench-results/' + cfg.package.split('/')[1] + '.json' : process.env.GH_BENCH_OUT
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, JSON.stringify(record))
`

function write(path: string, text: string) {
  mkdirSync(join(repo, path, '..'), { recursive: true })
  writeFileSync(join(repo, path), text)
}

function fakePackage(dir: string, cfg: Record<string, unknown>, bench = true) {
  const name = `@t/${dir.split('/').pop()}`
  write(
    `${dir}/package.json`,
    JSON.stringify({ name, version: '0.0.0', scripts: bench ? { bench: 'bun bench.ts' } : {} }),
  )
  write(`${dir}/bench.ts`, FAKE_BENCH)
  write(`${dir}/speed.json`, JSON.stringify({ package: name, ...cfg }))
}

function sh(cwd: string, ...cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { cwd, stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`)
  return r.stdout.toString().trim()
}

function worktrees(): string[] {
  return sh(repo, 'git', 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
}

function logged(): string[] {
  if (!existsSync(fakeLog)) return []
  const lines = readFileSync(fakeLog, 'utf8').trim().split('\n')
  rmSync(fakeLog)
  return lines
}

let baseSha = ''
const savedLog = process.env.GH_FAKE_LOG

beforeAll(() => {
  process.env.GH_FAKE_LOG = fakeLog
  write(
    'package.json',
    JSON.stringify({ name: 'fake-root', private: true, workspaces: ['packages/*', 'apps/*'] }),
  )
  fakePackage('packages/fast', { p50: 100 })
  fakePackage('packages/legacy', { p50: 50, legacy: true })
  fakePackage('packages/broken', { p50: 10 })
  fakePackage('apps/nobench', { p50: 1 }, false)
  sh(repo, 'git', 'init', '-q')
  sh(repo, 'bun', 'install')
  write('.gitignore', 'node_modules/\nbench-results/\n')
  sh(repo, 'git', 'add', '-A')
  sh(
    repo,
    'git',
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@t',
    '-c',
    'commit.gpgsign=false',
    'commit',
    '-q',
    '-m',
    'base',
  )
  baseSha = sh(repo, 'git', 'rev-parse', 'HEAD')
  // The head side is the working tree, uncommitted: fast gets 1.5x slower, broken fails, a new package.
  fakePackage('packages/fast', { p50: 150 })
  fakePackage('packages/broken', { p50: 10, fail: true })
  fakePackage('packages/added', { p50: 7 })
})

afterAll(() => {
  if (savedLog === undefined) delete process.env.GH_FAKE_LOG
  else process.env.GH_FAKE_LOG = savedLog
  rmSync(top, { recursive: true, force: true })
})

describe('bench:compare --base (git worktree)', () => {
  test('workspace packages and their bench scripts come from the workspaces globs', () => {
    expect(workspacePackages(repo).map((p) => [p.dir, p.name, p.hasBench])).toEqual([
      ['apps/nobench', '@t/nobench', false],
      ['packages/added', '@t/added', true],
      ['packages/broken', '@t/broken', true],
      ['packages/fast', '@t/fast', true],
      ['packages/legacy', '@t/legacy', true],
    ])
  })

  test('runs base and head interleaved ABBA, merges the rounds, and removes the worktree', async () => {
    const lines: string[] = []
    const r = await compareWithBase({
      repo,
      base: 'HEAD',
      rounds: 3,
      childOutput: 'ignore',
      log: (l) => lines.push(l),
    })
    expect(r.base.sha).toBe(baseSha)
    expect(r.head.dirty).toBe(true)
    expect(r.packages).toEqual(['@t/broken', '@t/fast', '@t/legacy'])
    expect(r.skipped).toEqual([{ package: '@t/added', reason: 'no bench script in base' }])
    // Round 1: base then head; round 2: head then base; round 3: base then head.
    expect(logged()).toEqual([
      ...['@t/broken 10', '@t/broken 10', '@t/broken 10', '@t/broken 10', '@t/broken 10', '@t/broken 10'],
      ...['@t/fast 100', '@t/fast 150', '@t/fast 150', '@t/fast 100', '@t/fast 100', '@t/fast 150'],
      ...['@t/legacy 50', '@t/legacy 50', '@t/legacy 50', '@t/legacy 50', '@t/legacy 50', '@t/legacy 50'],
    ])
    expect(r.failures).toEqual(
      [1, 2, 3].map((round) => ({ package: '@t/broken', side: 'head', round, exitCode: 1 })),
    )
    expect(r.empty).toEqual([])
    // Three records per side per package, one a round; legacy's came from its bench-results/ (no GH_BENCH_OUT).
    expect(r.base.rounds.map((round) => round.map((x) => x.package))).toEqual(
      [1, 2, 3].map(() => ['@t/broken', '@t/fast', '@t/legacy']),
    )
    expect(r.head.records.find((x) => x.package === '@t/fast')?.rounds).toBe(3)
    const rows = compareRecords(r.base.records, r.head.records)
    expect(rows.map((x) => `${x.package} ${x.name} ${x.verdict}`)).toEqual([
      '@t/fast op regression',
      '@t/broken op removed',
      '@t/legacy op noise',
    ])
    expect(rows[0].ratio).toBeCloseTo(1.5)
    // The worktree is gone, from git and from disk.
    const wt = lines.find((l) => l.includes(' in '))!.split(' in ')[1]
    expect(existsSync(wt)).toBe(false)
    expect(worktrees()).toEqual([`worktree ${repo}`])
  })

  test('--head REF: a second worktree instead of the working tree (its uncommitted changes left out)', async () => {
    const lines: string[] = []
    const r = await compareWithBase({
      repo,
      base: baseSha,
      head: 'HEAD',
      rounds: 1,
      childOutput: 'ignore',
      log: (l) => lines.push(l),
    })
    expect(r.head).toMatchObject({ ref: 'HEAD', sha: baseSha, dirty: false })
    expect(r.packages).toEqual(['@t/broken', '@t/fast', '@t/legacy'])
    expect(r.skipped).toEqual([])
    expect(r.failures).toEqual([])
    expect(logged()).toEqual([
      '@t/broken 10',
      '@t/broken 10',
      '@t/fast 100',
      '@t/fast 100',
      '@t/legacy 50',
      '@t/legacy 50',
    ])
    expect(compareRecords(r.base.records, r.head.records).map((x) => x.verdict)).toEqual([
      'noise',
      'noise',
      'noise',
    ])
    const trees = lines.filter((l) => l.includes(' in ')).map((l) => l.split(' in ')[1])
    expect(trees.length).toBe(2)
    for (const t of trees) expect(existsSync(t)).toBe(false)
    expect(worktrees()).toEqual([`worktree ${repo}`])
  })

  test('--filter keeps one package; a filter matching nothing is an error', async () => {
    const r = await compareWithBase({
      repo,
      base: baseSha,
      rounds: 1,
      filter: ['fast'],
      childOutput: 'ignore',
      log: () => {},
    })
    expect(r.packages).toEqual(['@t/fast'])
    expect(logged()).toEqual(['@t/fast 100', '@t/fast 150'])
    await expect(
      compareWithBase({
        repo,
        base: baseSha,
        rounds: 1,
        filter: ['nope'],
        childOutput: 'ignore',
        log: () => {},
      }),
    ).rejects.toThrow('--filter nope')
    expect(worktrees()).toEqual([`worktree ${repo}`])
  })

  test('a bad ref or a failing install is an error and leaves no worktree', async () => {
    await expect(compareWithBase({ repo, base: 'no-such-ref', rounds: 1, log: () => {} })).rejects.toThrow(
      'no-such-ref',
    )
    const lines: string[] = []
    await expect(
      compareWithBase({
        repo,
        base: 'HEAD',
        rounds: 1,
        install: ['false'],
        childOutput: 'ignore',
        log: (l) => lines.push(l),
      }),
    ).rejects.toThrow('failed in the base worktree')
    const wt = lines.find((l) => l.includes(' in '))!.split(' in ')[1]
    expect(existsSync(wt)).toBe(false)
    expect(worktrees()).toEqual([`worktree ${repo}`])
    expect(logged()).toEqual([])
  })

  test('the CLI: --base with --fail-on-regression exits 1 and writes --out and --json', () => {
    const r = Bun.spawnSync(
      [
        process.execPath,
        CLI,
        'compare',
        '--base',
        'HEAD',
        '--rounds',
        '1',
        '--filter',
        'packages/fast',
        '--quiet',
        '--fail-on-regression',
        '--out',
        join(top, 'r.md'),
        '--json',
        join(top, 'r.json'),
      ],
      { cwd: join(repo, 'packages'), stdout: 'pipe', stderr: 'pipe', env: { ...process.env } },
    )
    expect(r.exitCode).toBe(1)
    const md = r.stdout.toString()
    expect(md).toContain('| fast · op | 100 ns | 150 ns | 1.50× | **regression** |')
    // Filtered out, so not listed as skipped either.
    expect(md).not.toContain('@t/added')
    expect(readFileSync(join(top, 'r.md'), 'utf8')).toBe(md)
    const j = JSON.parse(readFileSync(join(top, 'r.json'), 'utf8'))
    expect(j.base.sha).toBe(baseSha)
    expect(j.perRound.head[0][0].benchmarks[0].p50).toBe(150)
    expect(logged()).toEqual(['@t/fast 100', '@t/fast 150'])
    expect(worktrees()).toEqual([`worktree ${repo}`])
  })

  test('SIGINT during a run stops the bench and removes the worktree (exit 130)', async () => {
    fakePackage('packages/fast', { p50: 150, hang: true })
    logged()
    try {
      const p = Bun.spawn(
        [process.execPath, CLI, 'compare', '--base', 'HEAD', '--rounds', '1', '--filter', 'fast'],
        {
          cwd: repo,
          stdout: 'ignore',
          stderr: 'pipe',
          env: { ...process.env },
        },
      )
      // Wait (bounded) until the head run (which hangs) has started, then interrupt.
      let seen: string[] = []
      for (let i = 0; i < 400 && !seen.includes('@t/fast 150'); i++) {
        await Bun.sleep(50)
        seen = [...seen, ...logged()]
      }
      expect(seen).toEqual(['@t/fast 100', '@t/fast 150'])
      p.kill('SIGINT')
      expect(await p.exited).toBe(130)
      const err = await new Response(p.stderr).text()
      const wt = err
        .split('\n')
        .find((l) => l.includes(' in '))!
        .split(' in ')[1]
      expect(existsSync(wt)).toBe(false)
      expect(worktrees()).toEqual([`worktree ${repo}`])
    } finally {
      fakePackage('packages/fast', { p50: 150 })
    }
  })
})
