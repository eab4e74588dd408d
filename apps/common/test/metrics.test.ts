import { expect, test } from 'bun:test'
import { MetricsRegistry, serveMetrics } from '../src/index.ts'

test('Prometheus text: counters with and without labels, read at scrape time', async () => {
  const drops = { 'ipv4-truncated': 0, 'nat-no-session': 0 }
  const reg = new MetricsRegistry()
  reg.counter('gatehouse_drops_total', 'Packets dropped, by reason.', () => drops, 'reason')
  let sessions = 0
  reg.gauge('gatehouse_nat_sessions', 'Live NAT sessions.', () => sessions)
  drops['nat-no-session'] += 3
  sessions = 7
  const server = serveMetrics(reg, { host: '127.0.0.1', port: 0 })
  try {
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text()
    expect(text).toBe(
      [
        '# HELP gatehouse_drops_total Packets dropped, by reason.',
        '# TYPE gatehouse_drops_total counter',
        'gatehouse_drops_total{reason="ipv4-truncated"} 0',
        'gatehouse_drops_total{reason="nat-no-session"} 3',
        '# HELP gatehouse_nat_sessions Live NAT sessions.',
        '# TYPE gatehouse_nat_sessions gauge',
        'gatehouse_nat_sessions 7',
        '',
      ].join('\n'),
    )
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404)
  } finally {
    server.stop(true)
  }
})

test('metrics are served on loopback only', () => {
  expect(() => serveMetrics(new MetricsRegistry(), { host: '0.0.0.0', port: 0 })).toThrow(/not a loopback/)
})

test('invalid and duplicate names are refused', () => {
  const reg = new MetricsRegistry()
  expect(() => reg.counter('bad-name', 'x', () => 0)).toThrow(/valid Prometheus name/)
  reg.counter('ok_total', 'x', () => 0)
  expect(() => reg.counter('ok_total', 'x', () => 0)).toThrow(/registered twice/)
})
