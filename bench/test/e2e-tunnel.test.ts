import { expect, test } from 'bun:test'
import {
  expectChartAndGoals,
  expectComplete,
  expectProfiles,
  runBench,
  smokeSkipReason,
} from './e2e-smoke.ts'

const SKIP = smokeSkipReason(['iperf3', 'wireguard-go', 'wg', 'ping', 'ss', 'strace'])
if (SKIP !== null) console.warn(`skipping the tunnel bench smoke test: ${SKIP}`)

test.skipIf(SKIP !== null)(
  'tunnel bench, quick and profiled: all three pairs measured on every metric, the goal ours/wireguard-go, the chart, where the time goes',
  async () => {
    const { report, svg, md } = await runBench('wireguard', ['--quick', '--profile'])
    expect(report.bench).toBe('wireguard')
    expectComplete(
      report,
      ['ours ↔ ours', 'wireguard-go ↔ wireguard-go', 'ours → wireguard-go'],
      ['TCP single stream', 'CPU per packet, TCP', 'UDP flood 1400 B', 'CPU per packet, UDP', 'ping'],
    )
    expect(report.goals.map((g) => [g.metric, g.ours, g.reference, g.target])).toEqual([
      ['TCP single stream', 'ours ↔ ours', 'wireguard-go ↔ wireguard-go', 1],
    ])
    expectChartAndGoals(report, svg, md)
    expectProfiles(report, 2)
  },
  // The run itself takes about 20 s; the rest is room to wait for the bench lock.
  420_000,
)
