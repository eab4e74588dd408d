/**
 * The NAT64 end-to-end bench, run for real in quick mode (1 s per measurement, 1 round, with the profile)
 * into a temp directory under the machine-wide bench lock; checks the report's shape, never its figures.
 * Root only, with iperf3, tayga, ping, strace and flock (skipped with the reason printed otherwise).
 */
import { expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { skipReason } from '@gatehouse/netns-kit'
import { readReport } from '../e2e/lib/report.ts'

const SKIP = skipReason(['iperf3', 'tayga', 'ping', 'strace', 'flock'])
if (SKIP) console.warn(`skipping the NAT64 end-to-end bench test: ${SKIP}`)

/**
 * Another bench may hold the machine-wide lock (never in CI, where packages test one at a time): wait for it
 * up to this long. The run itself takes about 15-20 s.
 */
const LOCK_WAIT_S = 300

const METRICS = [
  'TCP single stream',
  'TCP translator CPU',
  'TCP CPU per packet',
  'UDP 64 B delivered',
  'UDP 64 B loss',
  'UDP 64 B CPU per packet',
  'UDP 1400 B delivered',
  'UDP 1400 B loss',
  'UDP 1400 B CPU per packet',
  'ping',
]

test.skipIf(SKIP !== null)(
  'bench:nat64 --quick --profile: ours and TAYGA have every metric, the TCP goal, a chart and where the time goes',
  async () => {
    const out = mkdtempSync(join(tmpdir(), 'gh-n64-test-'))
    try {
      const p = Bun.spawn(
        [
          'flock',
          '-w',
          String(LOCK_WAIT_S),
          '/tmp/gh-bench.lock',
          process.execPath,
          join(import.meta.dir, '..', 'e2e', 'nat64', 'run.ts'),
          '--quick',
          '--profile',
          '--out',
          out,
        ],
        { stdout: 'pipe', stderr: 'pipe' },
      )
      const [stdout, stderr] = await Promise.all([
        new Response(p.stdout).text(),
        new Response(p.stderr).text(),
      ])
      const code = await p.exited
      if (code !== 0)
        console.error(`${stdout}\n${stderr}\n(exit ${code}; flock exits 1 when the lock stayed busy)`)
      expect(code).toBe(0)

      const r = readReport(join(out, 'nat64.json'))
      expect(r.bench).toBe('nat64')
      for (const subject of ['ours', 'TAYGA'])
        for (const metric of METRICS) {
          const m = r.measurements.find((x) => x.subject === subject && x.metric === metric)
          expect(m, `${subject} ${metric}`).toBeDefined()
          expect(Number.isFinite(m!.value), `${subject} ${metric} = ${m!.value}`).toBe(true)
          // A loss may be 0 %; everything else measured must be positive.
          if (metric.endsWith('loss')) expect(m!.value).toBeGreaterThanOrEqual(0)
          else expect(m!.value, `${subject} ${metric}`).toBeGreaterThan(0)
        }
      const g = r.goals.find((x) => x.name === 'NAT64 TCP throughput ours/TAYGA ≥ 1.0')
      expect(g).toBeDefined()
      expect(g!.metric).toBe('TCP single stream')
      expect(Number.isFinite(g!.ratio)).toBe(true)

      expect(readFileSync(join(out, 'nat64.svg'), 'utf8')).toContain('</svg>')
      expect(existsSync(join(out, 'nat64.md'))).toBe(true)

      const ours = r.whereTimeGoes.find((w) => w.process.startsWith('ours'))
      expect(ours).toBeDefined()
      expect(ours!.top.length).toBeGreaterThan(0)
      expect(ours!.top[0].function.length).toBeGreaterThan(0)
      expect(ours!.syscallsPerPacket).toBeGreaterThan(0)
      const tayga = r.whereTimeGoes.find((w) => w.process === 'TAYGA')
      expect(tayga?.syscallsPerPacket).toBeGreaterThan(0)
      // Nothing of the bench's namespaces is left behind.
      const ns = Bun.spawnSync(['ip', 'netns', 'list']).stdout.toString()
      expect(ns).not.toContain(`gh-n64b${p.pid % 100000}-`)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  },
  (LOCK_WAIT_S + 90) * 1000,
)
