/**
 * Command line of bench-kit (root scripts `bench:compare` and `bench:collect`):
 *
 *   bun packages/bench-kit/src/cli.ts compare BASE HEAD [--threshold 0.1] [--fail-on-regression] [--out F] [--json F]
 *   bun packages/bench-kit/src/cli.ts compare --base REF [--head REF] [--rounds 4] [--filter PKG]... [same options]
 *   bun packages/bench-kit/src/cli.ts collect OUT.json [ROOT]
 *
 * BASE and HEAD are each a record file, a collection file or a directory scanned for
 * `bench-results/*.json`. Exit codes: 0 done, 1 a regression (or a failed head run) with
 * `--fail-on-regression`, 2 bad usage or unreadable input.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import { compareRecords, DEFAULT_THRESHOLD, markdown, type Row, summarize } from './compare.ts'
import type { BenchRecord } from './kit.ts'
import { type BenchCollection, COLLECTION_FORMAT, collect, loadRecords } from './records.ts'
import { compareWithBase, runNotes } from './worktree.ts'

/**
 * Rounds per side for `--base`. Some cases are bimodal from process to process (JSC tier-up), so the
 * noise band takes in every round's p50; with N rounds per side the chance that same-code rounds
 * still fall all on one side is 2 / C(2N, N): 33% for 2, 10% for 3, 2.9% for 4. An A/A run here
 * (ip-packet, 44 cases, main against itself) flagged none with 4 rounds; 2 rounds flagged 6 of 121
 * over all packages. About 20 minutes for every package on this 2-core machine.
 */
export const DEFAULT_ROUNDS = 4

/** `format` tag of the `--json` output of `compare`. */
export const COMPARISON_FORMAT = 'gatehouse-bench-comparison/1'

const USAGE = `usage:
  bench:compare BASE HEAD [options]      BASE/HEAD: a record file, a collection file or a directory
  bench:compare --base REF [options]     measure REF (in a git worktree) against the working tree
  bench:compare --base REF --head REF2   ... against REF2 (in a second worktree) instead
options:
  --threshold X          ratio beyond 1±X flags a change when the p25-p75 ranges do not overlap (default ${DEFAULT_THRESHOLD})
  --fail-on-regression   exit 1 when any benchmark regressed (or, with --base, a head run failed)
  --out FILE             also write the Markdown report to FILE
  --json FILE            also write the merged data (both sides, rows, summary) as JSON
  --rounds N             with --base: rounds per side, interleaved ABBA (default ${DEFAULT_ROUNDS})
  --filter PKG           with --base: only this package (name, short name or directory); repeatable
  --quiet                with --base: do not pass the benchmarks' own output through to stderr
bench:collect OUT.json [ROOT]            gather every bench-results/*.json record under ROOT (default .) into one file`

class UsageError extends Error {}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, text)
}

function sideNote(label: string, records: BenchRecord[]): string | null {
  const r = records[0]
  return r ? `${label}: ${r.cpu}, ${r.bun ? `bun ${r.bun}` : r.runtime}, ${r.date}` : null
}

async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      base: { type: 'string' },
      head: { type: 'string' },
      rounds: { type: 'string' },
      threshold: { type: 'string' },
      filter: { type: 'string', multiple: true },
      out: { type: 'string' },
      json: { type: 'string' },
      'fail-on-regression': { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const threshold = values.threshold === undefined ? DEFAULT_THRESHOLD : Number(values.threshold)
  if (!(threshold > 0 && threshold < 10))
    throw new UsageError(`--threshold ${values.threshold}: want a number in (0, 10)`)

  let base: BenchRecord[]
  let head: BenchRecord[]
  let notes: string[]
  let headFailed = false
  let extra: Record<string, unknown> = {}
  if (values.base !== undefined) {
    if (positionals.length) throw new UsageError('--base takes no BASE/HEAD files')
    const rounds = values.rounds === undefined ? DEFAULT_ROUNDS : Number(values.rounds)
    if (!Number.isInteger(rounds) || rounds < 1)
      throw new UsageError(`--rounds ${values.rounds}: want an integer ≥ 1`)
    const result = await compareWithBase({
      repo: process.cwd(),
      base: values.base,
      head: values.head,
      rounds,
      filter: values.filter?.flatMap((f) => f.split(',')).filter(Boolean),
      childOutput: values.quiet ? 'ignore' : 'stderr',
    })
    base = result.base.records
    head = result.head.records
    notes = runNotes(result)
    headFailed = result.failures.some((f) => f.side === 'head')
    extra = {
      base: { ref: result.base.ref, sha: result.base.sha },
      head: { ref: result.head.ref, sha: result.head.sha, dirty: result.head.dirty },
      rounds: result.rounds,
      packages: result.packages,
      skipped: result.skipped,
      failures: result.failures,
      empty: result.empty,
      seconds: result.seconds,
      perRound: { base: result.base.rounds, head: result.head.rounds },
    }
  } else {
    if (positionals.length !== 2) throw new UsageError('want BASE and HEAD, or --base REF')
    if (values.rounds !== undefined || values.filter !== undefined || values.head !== undefined)
      throw new UsageError('--rounds, --filter and --head go with --base')
    base = loadRecords(positionals[0])
    head = loadRecords(positionals[1])
    notes = [sideNote('base', base), sideNote('head', head)].filter((n): n is string => n !== null)
    if (base[0] && head[0] && base[0].cpu !== head[0].cpu)
      notes.push('⚠ base and head ran on different CPUs: the ratios compare machines as well as code')
  }

  const rows: Row[] = compareRecords(base, head, threshold)
  const report = markdown(rows, { threshold, title: 'Micro benchmarks: head vs base', notes })
  process.stdout.write(report)
  if (values.out) write(values.out, report)
  if (values.json) {
    const side = (records: BenchRecord[]): BenchCollection => ({
      format: COLLECTION_FORMAT,
      date: new Date().toISOString(),
      records,
    })
    write(
      values.json,
      `${JSON.stringify(
        {
          format: COMPARISON_FORMAT,
          threshold,
          summary: summarize(rows),
          ...extra,
          baseRecords: side(base),
          headRecords: side(head),
          rows,
        },
        null,
        2,
      )}\n`,
    )
  }
  const regressed = rows.some((r) => r.verdict === 'regression') || headFailed
  return values['fail-on-regression'] && regressed ? 1 : 0
}

function collectCommand(argv: string[]): number {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} })
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('want OUT.json [ROOT]')
  const [out, root = '.'] = positionals
  const c = collect(root, { root })
  if (c.records.length === 0) throw new Error(`${root}: no bench-results/*.json records found`)
  write(out, `${JSON.stringify(c, null, 2)}\n`)
  console.error(
    `wrote ${out}: ${c.records.length} records, ${c.records.reduce((a, r) => a + r.benchmarks.length, 0)} benchmarks`,
  )
  return 0
}

/** Runs a command (`compare` or `collect`) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  try {
    if (cmd === 'compare') return await compareCommand(rest)
    if (cmd === 'collect') return collectCommand(rest)
    throw new UsageError(cmd === undefined ? 'want a command' : `unknown command ${cmd}`)
  } catch (e) {
    const err = e as Error
    console.error(`bench-kit: ${err.message}`)
    if (e instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      console.error(USAGE)
    return 2
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)))
