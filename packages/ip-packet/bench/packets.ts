/** Bench inputs: one packet per kind, built once outside the measured functions. */
import {
  buildIcmp4Echo,
  buildIcmp6Echo,
  buildTcp4,
  buildTcp6,
  buildUdp4,
  buildUdp6,
  ipv4FromText,
  ipv6FromText,
  TCP_ACK,
} from '../src/index.ts'

const src4 = ipv4FromText('100.64.0.7')!
const dst4 = ipv4FromText('100.96.0.3')!
const src6 = ipv6FromText('fd00:2021:1111::7')!
const dst6 = ipv6FromText('fd00:2021:1111:8000::3')!
/** A payload that makes the whole packet `total` bytes long after `headers` bytes of headers. */
const fill = (total: number, headers: number) => new Uint8Array(total - headers).map((_, i) => i * 7)

export interface BenchPacket {
  name: string
  bytes: Uint8Array
  v6: boolean
}

export const PACKETS: BenchPacket[] = [
  {
    name: 'udp4 64B',
    v6: false,
    bytes: buildUdp4({ src: src4, dst: dst4, srcPort: 40000, dstPort: 53, payload: fill(64, 28) }),
  },
  {
    name: 'udp6 64B',
    v6: true,
    bytes: buildUdp6({ src: src6, dst: dst6, srcPort: 40000, dstPort: 53, payload: fill(64, 48) }),
  },
  {
    name: 'tcp4 64B',
    v6: false,
    bytes: buildTcp4({
      src: src4,
      dst: dst4,
      srcPort: 40000,
      dstPort: 443,
      seq: 1,
      ack: 2,
      flags: TCP_ACK,
      payload: fill(64, 40),
    }),
  },
  {
    name: 'tcp6 64B',
    v6: true,
    bytes: buildTcp6({
      src: src6,
      dst: dst6,
      srcPort: 40000,
      dstPort: 443,
      seq: 1,
      ack: 2,
      flags: TCP_ACK,
      payload: fill(64, 60),
    }),
  },
  {
    name: 'icmp4 64B',
    v6: false,
    bytes: buildIcmp4Echo({ src: src4, dst: dst4, id: 0x1234, seq: 1, payload: fill(64, 28) }),
  },
  {
    name: 'icmp6 64B',
    v6: true,
    bytes: buildIcmp6Echo({ src: src6, dst: dst6, id: 0x1234, seq: 1, payload: fill(64, 48) }),
  },
  {
    name: 'udp4 1200B',
    v6: false,
    bytes: buildUdp4({ src: src4, dst: dst4, srcPort: 40000, dstPort: 443, payload: fill(1200, 28) }),
  },
]

/** Two rewrite targets per family, alternated so that no iteration is a no-op. */
export const NEW_DST4 = [ipv4FromText('192.0.2.10')!, ipv4FromText('100.96.0.3')!]
export const NEW_DST6 = new Uint8Array(32)
ipv6FromText('2001:db8::10', NEW_DST6, 0)
ipv6FromText('fd00:2021:1111:8000::3', NEW_DST6, 16)
