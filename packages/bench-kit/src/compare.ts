/**
 * Compares two benchmark runs made side by side on one machine (base and head of a pull
 * request): `bun bench/compare.ts BASE_ROOT HEAD_ROOT` reads every
 * `packages/NAME/bench-results/*.json` (and `apps/NAME/...`) under each root and prints a Markdown table of medians and
 * their ratio. Ratios, not absolute figures, are what carry between noisy shared machines.
 */

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchRecord } from './kit.ts'

function load(root: string): Map<string, number> {
  const medians = new Map<string, number>()
  for (const group of ['packages', 'apps']) {
    let names: string[] = []
    try {
      names = readdirSync(join(root, group))
    } catch {
      continue
    }
    for (const name of names) {
      const dir = join(root, group, name, 'bench-results')
      let files: string[] = []
      try {
        files = readdirSync(dir).filter((f) => f.endsWith('.json'))
      } catch {
        continue
      }
      for (const f of files) {
        const rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as BenchRecord
        if (!Array.isArray(rec.benchmarks)) continue
        for (const b of rec.benchmarks) medians.set(`${rec.package} ${b.name}`, b.p50)
      }
    }
  }
  return medians
}

export function compareTable(base: Map<string, number>, head: Map<string, number>): string {
  const rows = ['| benchmark | base p50 (ns) | head p50 (ns) | head/base |', '|---|---:|---:|---:|']
  for (const [key, h] of [...head].sort(([a], [b]) => a.localeCompare(b))) {
    const b = base.get(key)
    const ratio = b === undefined ? 'new' : (h / b).toFixed(2)
    rows.push(`| ${key} | ${b === undefined ? '' : b.toFixed(1)} | ${h.toFixed(1)} | ${ratio} |`)
  }
  return rows.join('\n')
}

if (import.meta.main) {
  const [baseRoot, headRoot] = process.argv.slice(2)
  if (!baseRoot || !headRoot) {
    console.error('usage: bun bench/compare.ts BASE_ROOT HEAD_ROOT')
    process.exit(2)
  }
  console.log(compareTable(load(baseRoot), load(headRoot)))
}
