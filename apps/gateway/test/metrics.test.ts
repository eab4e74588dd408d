import { describe, expect, test } from 'bun:test'
import { buildUdp4, ipv4FromText } from '@gatehouse/ip-packet'
import { registerMetrics } from '../src/run.ts'
import { Bench } from './harness.ts'

describe('issue 9: counters served as Prometheus text', () => {
  test('drops by reason, ICMP errors by kind, sessions, translated packets', () => {
    const b = new Bench({ a: {}, aaaa: {} }, [
      { name: 'alice', ipv4: '100.64.0.2', ipv6: 'fd00:2021:1111::2', resources: ['lan'] },
    ])
    b.connect('alice')
    const v4 = (s: string) => ipv4FromText(s)!
    b.send('alice', buildUdp4({ src: v4('100.64.0.9'), dst: v4('10.0.0.7'), srcPort: 1, dstPort: 2 })) // spoofed
    b.send('alice', buildUdp4({ src: v4('100.64.0.2'), dst: v4('100.96.9.9'), srcPort: 1, dstPort: 2 })) // unmapped
    const text = registerMetrics(b.gateway, { udpSendFailed: 3 }).render()
    expect(text).toContain('gatehouse_drops_total{reason="spoofed-source"} 1')
    expect(text).toContain('gatehouse_drops_total{reason="udp-send-failed"} 3')
    expect(text).toContain('gatehouse_drops_total{reason="wg-unknown-peer"} 0')
    expect(text).toContain('gatehouse_icmp_errors_sent_total{kind="v4-net-unreachable"} 1')
    expect(text).toContain('gatehouse_nat_verdicts_total{verdict="outbound-unreachable"} 1')
    expect(text).toContain('gatehouse_nat_sessions{protocol="udp"} 0')
    expect(text).toContain('gatehouse_packets_translated_total 0')
    expect(text).toContain('# TYPE gatehouse_nat_sessions gauge')
    // Every drop reason appears exactly once (no label collides across the layers).
    const reasons = text.split('\n').filter((l) => l.startsWith('gatehouse_drops_total{'))
    expect(new Set(reasons.map((l) => l.split('"')[1])).size).toBe(reasons.length)
  })
})
