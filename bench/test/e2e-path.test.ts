import { expect, test } from 'bun:test'
import { missingTools } from '@gatehouse/demo'
import {
  expectChartAndGoals,
  expectComplete,
  expectProfiles,
  runBench,
  smokeSkipReason,
} from './e2e-smoke.ts'

const SKIP = smokeSkipReason([...missingTools(), 'iperf3', 'strace'])
if (SKIP !== null) console.warn(`skipping the full-path bench smoke test: ${SKIP}`)

test.skipIf(SKIP !== null)(
  'full-path bench, quick and profiled: three paths on every metric, gateway RSS with NAT sessions, both goals, the chart, where the time goes',
  async () => {
    const { report, svg, md } = await runBench('path', ['--quick', '--profile', '--sessions=1000'])
    expect(report.bench).toBe('path')
    expectComplete(
      report,
      ['ours, same family', 'ours, NAT64', 'wireguard-go alone'],
      ['TCP single stream', 'CPU per packet', 'ping'],
    )
    expectComplete(report, ['ours, idle', 'ours, 1000 NAT sessions', 'wireguard-go alone'], ['gateway RSS'])
    expect(report.goals.map((g) => [g.ours, g.reference, g.target])).toEqual([
      ['ours, same family', 'wireguard-go alone', 0.8],
      ['ours, NAT64', 'wireguard-go alone', 0.8],
    ])
    expectChartAndGoals(report, svg, md)
    expectProfiles(report, 2)
  },
  // The run itself takes 20-40 s (two topologies); the rest is room to wait for the bench lock.
  420_000,
)
