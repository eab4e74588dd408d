/** The README's comparison example, run on a saved collection and a tree of records. */
import { afterAll, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COLLECTION_FORMAT, compareRecords, loadRecords, markdown, summarize } from '@gatehouse/bench-kit'
import { bench, record } from './fixtures/records.ts'

const dir = mkdtempSync(join(tmpdir(), 'gh-bench-kit-readme-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('README example: a saved collection against the tree, exit code set on a regression', () => {
  const main = [record('@gatehouse/x', [bench('parse udp4 64B', 19, 20, 21)])]
  writeFileSync(
    join(dir, 'main.json'),
    JSON.stringify({ format: COLLECTION_FORMAT, date: 'd', records: main }),
  )
  mkdirSync(join(dir, 'packages/x/bench-results'), { recursive: true })
  writeFileSync(
    join(dir, 'packages/x/bench-results/x.json'),
    JSON.stringify(record('@gatehouse/x', [bench('parse udp4 64B', 29, 30, 31)])),
  )
  const cwd = process.cwd()
  const exitCode = process.exitCode
  try {
    process.chdir(dir)
    const rows = compareRecords(loadRecords('main.json'), loadRecords('.'), 0.1)
    const md = markdown(rows, { title: 'head vs main' })
    expect(md).toContain('| x · parse udp4 64B | 20.0 ns | 30.0 ns | 1.50× | **regression** |')
    if (summarize(rows).slower > 0) process.exitCode = 1
    expect(process.exitCode).toBe(1)
  } finally {
    process.chdir(cwd)
    process.exitCode = exitCode ?? 0
  }
})
