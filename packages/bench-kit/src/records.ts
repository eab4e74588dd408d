/**
 * Reading benchmark results: one package's record file, a collection file of many records, or a
 * directory (a repository root) scanned for `bench-results/*.json`. Files in `bench-results/` that
 * are not `BenchRecord`s (iperf, dnsperf and other end-to-end reports) are skipped.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchRecord } from './kit.ts'

/** `format` tag of a collection file. */
export const COLLECTION_FORMAT = 'gatehouse-bench-collection/1'

/** Many packages' records in one file (`bun run bench:collect OUT.json`, `bench:compare --json`). */
export interface BenchCollection {
  format: typeof COLLECTION_FORMAT
  /** ISO 8601, when the collection was written. */
  date: string
  /** Free-form provenance: a git ref, rounds merged, ... */
  source?: Record<string, unknown>
  records: BenchRecord[]
}

/** True for a record `runAndRecord` wrote: a package name and benchmarks with numeric p50s. */
export function isBenchRecord(x: unknown): x is BenchRecord {
  if (typeof x !== 'object' || x === null) return false
  const r = x as Partial<BenchRecord>
  return (
    typeof r.package === 'string' &&
    Array.isArray(r.benchmarks) &&
    r.benchmarks.every((b) => typeof b?.name === 'string' && typeof b?.p50 === 'number')
  )
}

/** True for a collection file's content. */
export function isBenchCollection(x: unknown): x is BenchCollection {
  if (typeof x !== 'object' || x === null) return false
  const c = x as Partial<BenchCollection>
  return c.format === COLLECTION_FORMAT && Array.isArray(c.records) && c.records.every(isBenchRecord)
}

/** The records in parsed JSON: a collection's, a single record, or none. */
export function recordsOf(json: unknown): BenchRecord[] {
  if (isBenchCollection(json)) return json.records
  if (isBenchRecord(json)) return [json]
  return []
}

/** The records in one JSON file (none when it is another kind of report). Throws on unreadable JSON. */
export function readRecordsFile(file: string): BenchRecord[] {
  return recordsOf(JSON.parse(readFileSync(file, 'utf8')))
}

const SKIP_DIRS = new Set(['node_modules', 'bench-results'])

/**
 * Every record in `**\/bench-results/*.json` under `root`, up to `maxDepth` levels below it
 * (`packages/x/bench-results` is depth 2), skipping node_modules and dot-directories
 * (workspace symlinks in node_modules would otherwise count each package twice). Sorted by path.
 */
export function scanRecords(root: string, maxDepth = 3): BenchRecord[] {
  const out: BenchRecord[] = []
  const walk = (dir: string, depth: number) => {
    let entries: import('node:fs').Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue
      const path = join(dir, e.name)
      if (e.name === 'bench-results') {
        const files = readdirSync(path)
          .filter((f) => f.endsWith('.json'))
          .sort()
        for (const f of files) {
          try {
            out.push(...readRecordsFile(join(path, f)))
          } catch {
            // A half-written or foreign file is not a record.
          }
        }
      } else if (!SKIP_DIRS.has(e.name) && depth < maxDepth) walk(path, depth + 1)
    }
  }
  walk(root, 0)
  return out
}

/**
 * Records from a command-line input: a directory is scanned, a file is read (a record or a
 * collection). Throws with the path when the input holds no record at all.
 */
export function loadRecords(input: string): BenchRecord[] {
  const records = statSync(input).isDirectory() ? scanRecords(input) : readRecordsFile(input)
  if (records.length === 0) throw new Error(`${input}: no benchmark records found`)
  return records
}

/** A collection of every record under `root`. */
export function collect(root: string, source?: Record<string, unknown>): BenchCollection {
  return {
    format: COLLECTION_FORMAT,
    date: new Date().toISOString(),
    ...(source ? { source } : {}),
    records: scanRecords(root),
  }
}
