import { expect, test } from 'bun:test'
import { CpuMeter, cpuSeconds, parseIperf3, parsePing, rssMb } from '../src/index.ts'

// Trimmed from iperf3 3.12 `-J` client output (Debian bookworm).
const tcp = JSON.stringify({
  end: {
    sum_sent: { seconds: 1.0, bytes: 3811573760, bits_per_second: 30481616697.98, retransmits: 7 },
    sum_received: { seconds: 1.00036, bytes: 3811573760, bits_per_second: 30481616697.98 },
  },
})
const udp = JSON.stringify({
  end: {
    sum: { seconds: 2, bits_per_second: 10e6, lost_packets: 100, packets: 20100, lost_percent: 0.4975 },
    sum_received: {
      seconds: 2,
      bits_per_second: 9.9e6,
      lost_packets: 100,
      packets: 20100,
      lost_percent: 0.4975,
    },
  },
})

test('iperf3 TCP: receiver goodput and the sender retransmissions', () => {
  const r = parseIperf3(tcp, '', false)
  expect(r.mbps).toBeCloseTo(30481.6, 1)
  expect(r.retransmits).toBe(7)
  expect(r.udpPps).toBeNull()
})

test('iperf3 UDP: datagrams that arrived per second, and the loss', () => {
  const r = parseIperf3(udp, '', true)
  expect(r.udpPps).toBe(10000)
  expect(r.lossPct).toBeCloseTo(0.4975)
  expect(r.mbps).toBeCloseTo(9.9)
})

test('iperf3 UDP without sum_received (older iperf3): goodput is offered minus lost', () => {
  const old = JSON.parse(udp)
  delete old.end.sum_received
  expect(parseIperf3(JSON.stringify(old), '', true).mbps).toBeCloseTo(10 * (1 - 0.004975), 4)
})

test('iperf3 errors carry its own message', () => {
  expect(() => parseIperf3(JSON.stringify({ error: 'unable to connect to server' }), '', false)).toThrow(
    'iperf3: unable to connect to server',
  )
  expect(() => parseIperf3('', 'iperf3: error - bad port', false)).toThrow('bad port')
})

test('ping summary: counts and round-trip times', () => {
  const r = parsePing(
    '--- 10.0.0.1 ping statistics ---\n3 packets transmitted, 2 received, 33.3333% packet loss, time 111ms\n' +
      'rtt min/avg/max/mdev = 0.039/0.059/0.098/0.027 ms\n',
  )
  expect(r).toEqual({ sent: 3, received: 2, minMs: 0.039, avgMs: 0.059, maxMs: 0.098, mdevMs: 0.027 })
  const none = parsePing('3 packets transmitted, 0 received, 100% packet loss, time 2040ms\n')
  expect(none.received).toBe(0)
  expect(Number.isNaN(none.avgMs)).toBe(true)
  expect(() => parsePing('ping: unknown host')).toThrow('no summary')
})

test('CPU and memory of this process read from /proc', () => {
  const m = new CpuMeter([process.pid])
  const before = cpuSeconds(process.pid)
  let x = 0
  const until = Date.now() + 150
  while (Date.now() < until) x += Math.sqrt(x + 1)
  expect(x).toBeGreaterThan(0)
  expect(cpuSeconds(process.pid)).toBeGreaterThan(before)
  const { cores, seconds } = m.stop()
  expect(seconds).toBeGreaterThan(0.1)
  expect(cores[0]).toBeGreaterThan(0)
  expect(rssMb(process.pid)).toBeGreaterThan(1)
})
