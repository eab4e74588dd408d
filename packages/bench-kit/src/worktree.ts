/**
 * `bench:compare --base REF [--head REF]`: measures a git ref against the working tree (or a second
 * ref, in its own worktree) on this machine.
 *
 * The ref is checked out with `git worktree add` into a temporary directory and installed with
 * `bun install --frozen-lockfile`. Then, package by package (each workspace package with a `bench`
 * script in both trees), base and head runs alternate in ABBA order over the rounds (round 1 base
 * then head, round 2 head then base, ...) so that a slow drift of the machine (thermal, another
 * process) falls on both sides alike. Each run writes its record to its own file through
 * `GH_BENCH_OUT`. The worktree and the run files are removed at the end, also on failure, SIGINT
 * or SIGTERM.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { mergeRounds, shortName } from './compare.ts'
import { BENCH_OUT_ENV, type BenchRecord } from './kit.ts'
import { readRecordsFile } from './records.ts'

export type Side = 'base' | 'head'

export interface BaseRunOptions {
  /** Any directory inside the head repository (its working tree is the head side). */
  repo: string
  /** The base git ref (branch, tag, sha). */
  base: string
  /**
   * The head git ref, checked out in a second worktree; when omitted the head is the working tree as
   * it is (uncommitted changes included, and any edit made while the comparison runs).
   */
  head?: string
  /** Rounds per side; each round runs every selected package once per side. */
  rounds: number
  /** Package names (`@gatehouse/nat64`), short names (`nat64`) or directories (`packages/nat64`). */
  filter?: string[]
  /** Run in the base worktree before benchmarking; `null` to skip. Default `bun install --frozen-lockfile`. */
  install?: string[] | null
  /** Run in each package directory for one measurement. Default `bun run bench`. */
  bench?: string[]
  /** Where the children's stdout and stderr go: our stderr (default) or nowhere. */
  childOutput?: 'stderr' | 'ignore'
  /** Progress lines; default to stderr. */
  log?: (line: string) => void
}

export interface Failure {
  package: string
  side: Side
  round: number
  exitCode: number
}

export interface BaseRunResult {
  base: { ref: string; sha: string; records: BenchRecord[]; rounds: BenchRecord[][] }
  head: { ref: string; sha: string; dirty: boolean; records: BenchRecord[]; rounds: BenchRecord[][] }
  rounds: number
  /** Packages measured on both sides, in run order. */
  packages: string[]
  /** Packages with a bench script on one side only, or filtered out. */
  skipped: { package: string; reason: string }[]
  /** Runs that exited non-zero (their round has no record for that side). */
  failures: Failure[]
  /** Runs that exited 0 but left no record (e.g. a bench that needs root and skipped itself). */
  empty: { package: string; side: Side; round: number }[]
  seconds: number
}

interface WorkspacePackage {
  name: string
  /** Relative to the repository root, with `/` separators. */
  dir: string
  hasBench: boolean
}

/** Workspace packages of the repository at `root`, from its package.json `workspaces` globs. */
export function workspacePackages(root: string): WorkspacePackage[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const globs: string[] = Array.isArray(pkg.workspaces) ? pkg.workspaces : (pkg.workspaces?.packages ?? [])
  const out = new Map<string, WorkspacePackage>()
  for (const g of globs) {
    for (const file of new Bun.Glob(`${g.replace(/\/$/, '')}/package.json`).scanSync({ cwd: root })) {
      if (file.split('/').includes('node_modules')) continue
      const p = JSON.parse(readFileSync(join(root, file), 'utf8'))
      const dir = file.slice(0, -'/package.json'.length)
      const name: string = p.name ?? dir
      out.set(name, { name, dir, hasBench: typeof p.scripts?.bench === 'string' })
    }
  }
  return [...out.values()].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0))
}

function matches(p: WorkspacePackage, filter: string[]): boolean {
  return filter.some((f) => {
    const d = f.replace(/^\.\//, '').replace(/\/$/, '')
    return f === p.name || f === shortName(p.name) || d === p.dir
  })
}

function git(cwd: string, args: string[]): string {
  const r = Bun.spawnSync(['git', ...args], { cwd, stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.toString().trim()}`)
  return r.stdout.toString().trim()
}

/** Records a run left in `<pkgDir>/bench-results/` since `since` (for runners that ignore GH_BENCH_OUT). */
function recentRecords(pkgDir: string, since: number): BenchRecord[] {
  const dir = join(pkgDir, 'bench-results')
  let files: string[] = []
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'))
  } catch {
    return []
  }
  const out: BenchRecord[] = []
  for (const f of files.sort()) {
    const path = join(dir, f)
    if (statSync(path).mtimeMs < since) continue
    try {
      out.push(...readRecordsFile(path))
    } catch {
      // not a record
    }
  }
  return out
}

/** Runs the base/head comparison; see the module doc. Throws on git or install errors (after cleaning up). */
export async function compareWithBase(opts: BaseRunOptions): Promise<BaseRunResult> {
  const started = performance.now()
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`))
  const rounds = Math.max(1, Math.floor(opts.rounds))
  const root = git(resolve(opts.repo), ['rev-parse', '--show-toplevel'])
  const baseSha = git(root, ['rev-parse', '--verify', `${opts.base}^{commit}`])
  const headSha = git(root, ['rev-parse', '--verify', `${opts.head ?? 'HEAD'}^{commit}`])
  const dirty = opts.head === undefined && git(root, ['status', '--porcelain', '--untracked-files=no']) !== ''
  const benchCmd = opts.bench ?? ['bun', 'run', 'bench']
  const install = opts.install === undefined ? ['bun', 'install', '--frozen-lockfile'] : opts.install
  const childOut = opts.childOutput === 'ignore' ? 'ignore' : 2

  const worktree = mkdtempSync(join(tmpdir(), 'gh-bench-base-'))
  const headTree = opts.head === undefined ? null : mkdtempSync(join(tmpdir(), 'gh-bench-head-'))
  const runsDir = mkdtempSync(join(tmpdir(), 'gh-bench-runs-'))
  let child: ReturnType<typeof Bun.spawn> | null = null
  let cleaned = false
  const cleanup = () => {
    if (cleaned) return
    cleaned = true
    child?.kill()
    for (const tree of headTree ? [worktree, headTree] : [worktree]) {
      Bun.spawnSync(['git', 'worktree', 'remove', '--force', tree], {
        cwd: root,
        stdout: 'ignore',
        stderr: 'ignore',
      })
      rmSync(tree, { recursive: true, force: true })
    }
    Bun.spawnSync(['git', 'worktree', 'prune'], { cwd: root, stdout: 'ignore', stderr: 'ignore' })
    rmSync(runsDir, { recursive: true, force: true })
  }
  const onSignal = (signal: NodeJS.Signals) => {
    log(`bench-compare: ${signal}, removing the worktree ${worktree}${headTree ? ` and ${headTree}` : ''}`)
    cleanup()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const run = async (
    cmd: string[],
    cwd: string,
    env: Record<string, string | undefined>,
  ): Promise<number> => {
    child = Bun.spawn(cmd, { cwd, env, stdin: 'ignore', stdout: childOut, stderr: childOut })
    const code = await child.exited
    child = null
    return code
  }

  try {
    const trees: [Side, string, string, string][] = [['base', opts.base, baseSha, worktree]]
    if (headTree) trees.push(['head', opts.head!, headSha, headTree])
    for (const [side, ref, sha, tree] of trees) {
      log(`bench-compare: ${side} ${ref} (${sha.slice(0, 12)}) in ${tree}`)
      git(root, ['worktree', 'add', '--detach', tree, sha])
      if (install) {
        log(`bench-compare: ${install.join(' ')} (${side})`)
        const code = await run(install, tree, { ...process.env })
        if (code !== 0) throw new Error(`${install.join(' ')} failed in the ${side} worktree (exit ${code})`)
      }
    }
    const headRoot = headTree ?? root

    const baseWs = new Map(workspacePackages(worktree).map((p) => [p.name, p]))
    const headWs = workspacePackages(headRoot)
    const skipped: BaseRunResult['skipped'] = []
    const selected: { name: string; dir: Record<Side, string> }[] = []
    for (const p of headWs) {
      if (!p.hasBench) continue
      if (opts.filter?.length && !matches(p, opts.filter)) continue
      const b = baseWs.get(p.name)
      if (!b?.hasBench) skipped.push({ package: p.name, reason: 'no bench script in base' })
      else selected.push({ name: p.name, dir: { base: join(worktree, b.dir), head: join(headRoot, p.dir) } })
    }
    for (const b of baseWs.values())
      if (b.hasBench && !headWs.some((p) => p.name === b.name && p.hasBench))
        if (!opts.filter?.length || matches(b, opts.filter))
          skipped.push({ package: b.name, reason: 'no bench script in head' })
    if (opts.filter?.length && selected.length === 0)
      throw new Error(
        `--filter ${opts.filter.join(',')}: no package with a bench script in both trees matches`,
      )

    const perRound: Record<Side, BenchRecord[][]> = {
      base: Array.from({ length: rounds }, () => []),
      head: Array.from({ length: rounds }, () => []),
    }
    const failures: Failure[] = []
    const empty: BaseRunResult['empty'] = []
    for (const [i, pkg] of selected.entries()) {
      for (let r = 0; r < rounds; r++) {
        const order: Side[] = r % 2 === 0 ? ['base', 'head'] : ['head', 'base']
        for (const side of order) {
          const out = join(
            runsDir,
            `${side}-${i}-${shortName(pkg.name).replace(/[^\w.-]/g, '_')}-r${r + 1}.json`,
          )
          log(`bench-compare: ${pkg.name} round ${r + 1}/${rounds} ${side}`)
          const since = Date.now() - 1000
          const code = await run(benchCmd, pkg.dir[side], { ...process.env, [BENCH_OUT_ENV]: out })
          if (code !== 0) {
            failures.push({ package: pkg.name, side, round: r + 1, exitCode: code })
            log(`bench-compare: ${pkg.name} ${side} exited ${code}`)
            continue
          }
          let records: BenchRecord[] = []
          try {
            records = readRecordsFile(out)
          } catch {
            records = recentRecords(pkg.dir[side], since)
          }
          if (records.length === 0) empty.push({ package: pkg.name, side, round: r + 1 })
          perRound[side][r].push(...records)
        }
      }
    }
    return {
      base: { ref: opts.base, sha: baseSha, records: mergeRounds(perRound.base), rounds: perRound.base },
      head: {
        ref: opts.head ?? 'working tree',
        sha: headSha,
        dirty,
        records: mergeRounds(perRound.head),
        rounds: perRound.head,
      },
      rounds,
      packages: selected.map((p) => p.name),
      skipped,
      failures,
      empty,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    }
  } finally {
    cleanup()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** Notes for the Markdown report: refs, machine, rounds, and what was skipped or failed. */
export function runNotes(r: BaseRunResult): string[] {
  const rec = r.head.records[0] ?? r.base.records[0]
  const notes = [
    `base \`${r.base.ref}\` ${r.base.sha.slice(0, 12)} vs head ${r.head.ref === 'working tree' ? '' : `\`${r.head.ref}\` `}${r.head.sha.slice(0, 12)}${r.head.dirty ? ' (with uncommitted changes)' : ''}; ${r.rounds === 1 ? '1 round per side' : `${r.rounds} rounds per side, interleaved ABBA, medians of the rounds`}; ${r.seconds} s`,
  ]
  if (rec) notes.push(`${rec.cpu}, ${rec.bun ? `bun ${rec.bun}` : rec.runtime}, ${rec.date.slice(0, 10)}`)
  for (const s of r.skipped) notes.push(`not compared: ${s.package} (${s.reason})`)
  for (const f of r.failures)
    notes.push(`⚠ ${f.package}: ${f.side} run failed in round ${f.round} (exit ${f.exitCode})`)
  const emptyPkgs = [...new Set(r.empty.map((e) => `${e.package} (${e.side})`))]
  if (emptyPkgs.length) notes.push(`no records written by: ${emptyPkgs.join(', ')}`)
  return notes
}
