import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { do_not_optimize, measure } from 'mitata'
import { BENCH_OUT_ENV, benchmarkFromStats, writeRecord } from '../src/kit.ts'
import { record } from './fixtures/records.ts'

const dir = mkdtempSync(join(tmpdir(), 'gh-bench-kit-kit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('kit', () => {
  test('benchmarkFromStats keeps the quantiles, counts the samples, and takes heap/gc where given', () => {
    const stats = {
      samples: [1, 2, 3, 4],
      ticks: 4096 * 4,
      min: 1,
      max: 4,
      avg: 2.5,
      p25: 1,
      p50: 2,
      p75: 3,
      p99: 4,
    }
    expect(benchmarkFromStats('x', stats)).toEqual({
      name: 'x',
      avg: 2.5,
      p25: 1,
      p50: 2,
      p75: 3,
      p99: 4,
      min: 1,
      max: 4,
      samples: 4,
      ticks: 16384,
      heapBytesPerIter: null,
      gc: null,
    })
    const withHeap = benchmarkFromStats('y', {
      ...stats,
      heap: { avg: 16 },
      gc: { avg: 5, min: 1, max: 9, total: 20 },
    })
    expect(withHeap.heapBytesPerIter).toBe(16)
    expect(withHeap.gc).toEqual({ avg: 5, min: 1, max: 9, total: 20 })
  })

  test('writeRecord writes to bench-results/<name>.json, or to GH_BENCH_OUT when set', () => {
    const saved = process.env[BENCH_OUT_ENV]
    try {
      delete process.env[BENCH_OUT_ENV]
      const a = writeRecord(record('@gatehouse/x', []), join(dir, 'pkg'))
      expect(a).toBe(join(dir, 'pkg', 'bench-results', 'x.json'))
      process.env[BENCH_OUT_ENV] = join(dir, 'elsewhere', 'run-1.json')
      const b = writeRecord(record('@gatehouse/x', []), join(dir, 'pkg'))
      expect(b).toBe(join(dir, 'elsewhere', 'run-1.json'))
      expect(JSON.parse(readFileSync(b, 'utf8')).package).toBe('@gatehouse/x')
    } finally {
      if (saved === undefined) delete process.env[BENCH_OUT_ENV]
      else process.env[BENCH_OUT_ENV] = saved
    }
  })

  test("benchmarkFromStats reads mitata 1.0.34's own stats object (a short measure(), not a timing test)", async () => {
    let heap = 0
    const stats = await measure(() => do_not_optimize([1, 2, 3]), {
      min_cpu_time: 1e6,
      min_samples: 16,
      max_samples: 64,
      batch_samples: 16,
      heap: () => (heap += 8),
    })
    const b = benchmarkFromStats('m', stats)
    expect(Object.values(b).filter((v) => v === undefined)).toEqual([])
    expect(b.p25).toBeLessThanOrEqual(b.p50)
    expect(b.p50).toBeLessThanOrEqual(b.p75)
    expect(b.p75).toBeLessThanOrEqual(b.p99)
    expect(b.min).toBeLessThanOrEqual(b.p25)
    expect(b.p99).toBeLessThanOrEqual(b.max)
    // mitata trims two samples at each end when it has more than 12.
    expect(b.samples).toBe(stats.samples.length)
    expect(b.samples).toBeGreaterThanOrEqual(12)
    expect(b.ticks).toBe(stats.ticks)
    expect(typeof b.heapBytesPerIter).toBe('number')
  })
})
