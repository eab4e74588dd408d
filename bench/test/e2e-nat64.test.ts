/**
 * The NAT64 end-to-end bench, run for real in quick mode (1 s per measurement, 1 round, with the profile)
 * into a temp directory under the machine-wide bench lock; checks the report's shape, never its figures.
 * Root only, with iperf3, tayga, ping, strace and flock (skipped with the reason printed otherwise).
 */
import { expect, test } from 'bun:test'
import { expectChartAndGoals, expectComplete, runBench, smokeSkipReason } from './e2e-smoke.ts'

const SKIP = smokeSkipReason(['iperf3', 'tayga', 'ping', 'strace'])
if (SKIP) console.warn(`skipping the NAT64 end-to-end bench test: ${SKIP}`)

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
    const { report: r, svg, md } = await runBench('nat64', ['--quick', '--profile'])
    expect(r.bench).toBe('nat64')
    expectComplete(
      r,
      ['ours', 'TAYGA'],
      METRICS.filter((m) => !m.endsWith('loss')),
    )
    // A loss may be 0 %; it must still be there, once, and finite.
    for (const subject of ['ours', 'TAYGA'])
      for (const metric of METRICS.filter((m) => m.endsWith('loss'))) {
        const m = r.measurements.filter((x) => x.subject === subject && x.metric === metric)
        expect(m.length, `${subject} ${metric}`).toBe(1)
        expect(Number.isFinite(m[0].value) && m[0].value >= 0, `${subject} ${metric} = ${m[0].value}`).toBe(
          true,
        )
      }
    const g = r.goals.find((x) => x.name === 'NAT64 TCP throughput ours/TAYGA ≥ 1.0')
    expect(g).toBeDefined()
    expect(g!.metric).toBe('TCP single stream')
    expectChartAndGoals(r, svg, md)

    const ours = r.whereTimeGoes.find((w) => w.process.startsWith('ours'))
    expect(ours).toBeDefined()
    expect(ours!.top.length).toBeGreaterThan(0)
    expect(ours!.top[0].function.length).toBeGreaterThan(0)
    expect(ours!.syscallsPerPacket).toBeGreaterThan(0)
    // TAYGA is traced only (no CPU profile of a C program here): syscalls per packet, no functions.
    const tayga = r.whereTimeGoes.find((w) => w.process === 'TAYGA')
    expect(tayga?.syscallsPerPacket).toBeGreaterThan(0)
    // Nothing of the bench's namespaces is left behind (the bench holds the lock: no other run is live).
    expect(Bun.spawnSync(['ip', 'netns', 'list']).stdout.toString()).not.toContain('gh-n64b')
  },
  // The run itself takes 15-20 s; the rest is room to wait for the bench lock (runBench waits up to 300 s).
  420_000,
)
