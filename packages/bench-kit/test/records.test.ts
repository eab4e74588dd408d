import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  COLLECTION_FORMAT,
  collect,
  isBenchRecord,
  loadRecords,
  readRecordsFile,
  scanRecords,
} from '../src/records.ts'
import { bench, record } from './fixtures/records.ts'

const root = mkdtempSync(join(tmpdir(), 'gh-bench-kit-records-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function put(path: string, json: unknown): string {
  const file = join(root, path)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, JSON.stringify(json))
  return file
}

const a = record('@gatehouse/a', [bench('one', 1, 2, 3), bench('two', 10, 20, 30)])
const b = record('@gatehouse/b', [bench('three', 100, 200, 300)])
const c = record('@gatehouse/c', [bench('four', 5, 6, 7)])
put('packages/a/bench-results/a.json', a)
put('packages/b/bench-results/b.json', b)
put('apps/c/bench-results/c.json', c)
// Other reports in bench-results (iperf, dnsperf) are not records and are skipped.
put('packages/b/bench-results/b-iperf.json', { date: 'x', ours: 1, reference: 2 })
writeFileSync(join(root, 'packages/b/bench-results/half-written.json'), '{"package": "@gatehouse/b", "bench')
// A workspace symlink under node_modules must not count a package twice.
mkdirSync(join(root, 'node_modules/@gatehouse'), { recursive: true })
symlinkSync(join(root, 'packages/a'), join(root, 'node_modules/@gatehouse/a'))
// Nor is anything installed under node_modules a result of this repository.
put('node_modules/dep/bench-results/dep.json', record('dep', [bench('x', 1, 2, 3)]))

describe('records', () => {
  test('a directory scan finds every record under bench-results, once, in path order', () => {
    expect(scanRecords(root).map((r) => r.package)).toEqual(['@gatehouse/c', '@gatehouse/a', '@gatehouse/b'])
  })

  test('collect, write, read back: the collection file round-trips to the same records', () => {
    const col = collect(root, { ref: 'test' })
    expect(col.format).toBe(COLLECTION_FORMAT)
    expect(col.source).toEqual({ ref: 'test' })
    const file = put('out/collection.json', col)
    expect(loadRecords(file)).toEqual([c, a, b])
    expect(loadRecords(file)).toEqual(loadRecords(root))
  })

  test('a single record file loads as one record', () => {
    expect(loadRecords(join(root, 'packages/a/bench-results/a.json'))).toEqual([a])
  })

  test('a file or directory without records is an error naming it', () => {
    const other = join(root, 'packages/b/bench-results/b-iperf.json')
    expect(readRecordsFile(other)).toEqual([])
    expect(() => loadRecords(other)).toThrow(other)
    mkdirSync(join(root, 'empty'), { recursive: true })
    expect(() => loadRecords(join(root, 'empty'))).toThrow('no benchmark records')
  })

  test('isBenchRecord wants a package name and benchmarks with numeric p50', () => {
    expect(isBenchRecord(a)).toBe(true)
    expect(isBenchRecord({ package: 'x', benchmarks: [{ name: 'y' }] })).toBe(false)
    expect(isBenchRecord({ benchmarks: [] })).toBe(false)
    expect(isBenchRecord(null)).toBe(false)
  })
})
