import { describe, expect, test } from 'bun:test'
import { MessageType } from '@gatehouse/control'
import {
  decodeMessage,
  encodeMessage,
  FLAG_QR,
  FLAG_RD,
  frameTcp,
  RCODE,
  TYPE,
} from '@gatehouse/dns-resolver'
import {
  buildTcp4,
  buildTcp6,
  ipv4FromText,
  ipv6FromText,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
} from '@gatehouse/ip-packet'
import { MAX_RETRIES, RTO_MS } from '../src/tcp-dns.ts'
import { Bench, CLIENT_TUN4, CLIENT_TUN6 } from './harness.ts'

interface Seg {
  seq: number
  ack: number
  flags: number
  payload: Uint8Array
  mss: number
}

/** A TCP client in the test: builds segments to the sentinel, reads the core's segments back. */
class TcpPeer {
  seq = 1_000_000
  rcvNxt = 0
  received = new Uint8Array(0)
  constructor(
    readonly b: Bench,
    readonly family: 4 | 6 = 4,
    readonly port = 45678,
  ) {}

  send(
    flags: number,
    payload: Uint8Array = new Uint8Array(0),
    opts: { seq?: number; ack?: number } = {},
  ): void {
    const spec = {
      srcPort: this.port,
      dstPort: 53,
      seq: opts.seq ?? this.seq,
      ack: opts.ack ?? this.rcvNxt,
      flags,
      window: 65535,
      payload,
      tcpOptions: flags & TCP_SYN ? Uint8Array.of(2, 4, 0x05, 0xb4) : undefined,
    }
    const p =
      this.family === 4
        ? buildTcp4({ src: ipv4FromText(CLIENT_TUN4)!, dst: ipv4FromText('100.100.111.1')!, ...spec })
        : buildTcp6({
            src: ipv6FromText(CLIENT_TUN6)!,
            dst: ipv6FromText('fd00:2021:1111:8000:100:100:111:1')!,
            ...spec,
          })
    if (opts.seq === undefined)
      this.seq = (this.seq + payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0
    this.b.client.handleTunPacket(this.b.now, p, 0, p.length)
    this.b.drive()
  }

  /** Segments the core wrote to the TUN for us since the last call (removed from the bench's TUN log). */
  take(): Seg[] {
    const out: Seg[] = []
    for (let i = 0; i < this.b.tun.length; i++) {
      const p = this.b.tun[i]
      const v4 = p[0] >> 4 === 4
      const t = v4 ? 20 : 40
      if ((v4 ? p[9] : p[6]) !== 6) continue
      const hl = (p[t + 12] >> 4) * 4
      const u32 = (o: number) => ((p[o] << 24) | (p[o + 1] << 16) | (p[o + 2] << 8) | p[o + 3]) >>> 0
      const mss = hl > 20 && p[t + 20] === 2 ? (p[t + 22] << 8) | p[t + 23] : 0
      out.push({ seq: u32(t + 4), ack: u32(t + 8), flags: p[t + 13], payload: p.slice(t + hl), mss })
      this.b.tun.splice(i--, 1)
    }
    return out
  }

  /** Three-way handshake (RFC 9293 §3.5). */
  open(): Seg {
    this.send(TCP_SYN)
    const [synAck] = this.take()
    expect(synAck.flags).toBe(TCP_SYN | TCP_ACK)
    expect(synAck.ack).toBe(this.seq)
    this.rcvNxt = (synAck.seq + 1) >>> 0
    this.send(TCP_ACK)
    return synAck
  }

  /** Accepts in-order data segments, acknowledging them; returns the DNS messages completed. */
  absorb(segs: Seg[]): Uint8Array[] {
    for (const s of segs) {
      if (s.payload.length > 0 && s.seq === this.rcvNxt) {
        const r = new Uint8Array(this.received.length + s.payload.length)
        r.set(this.received)
        r.set(s.payload, this.received.length)
        this.received = r
        this.rcvNxt = (this.rcvNxt + s.payload.length) >>> 0
      }
      if (s.flags & TCP_FIN && s.seq + s.payload.length === this.rcvNxt) this.rcvNxt = (this.rcvNxt + 1) >>> 0
    }
    const msgs: Uint8Array[] = []
    let p = 0
    while (this.received.length - p >= 2) {
      const n = (this.received[p] << 8) | this.received[p + 1]
      if (this.received.length - p - 2 < n) break
      msgs.push(this.received.slice(p + 2, p + 2 + n))
      p += 2 + n
    }
    this.received = this.received.slice(p)
    return msgs
  }
}

const query = (name: string, type: number, id = 0x3131) =>
  frameTcp(encodeMessage({ id, flags: FLAG_RD, questions: [{ name, type }] }))

describe('DNS over TCP to the sentinels (RFC 7766, RFC 9293), terminated in the core', () => {
  test('handshake with MSS, query for a non-resource forwarded upstream over TCP, answer framed, then FIN both ways', () => {
    const b = new Bench()
    const c = new TcpPeer(b)
    const synAck = c.open()
    expect(synAck.mss).toBeGreaterThan(0)
    expect(synAck.mss).toBeLessThanOrEqual(1220)
    c.send(TCP_ACK | TCP_PSH, query('www.example.org', TYPE.TXT))
    expect(c.take().at(-1)!.ack).toBe(c.seq) // data acknowledged
    const f = b.client.pollDnsForward()!
    expect(f.transport).toBe('tcp') // RFC 7766 §5: asked over TCP, forwarded over TCP
    const q = decodeMessage(f.bytes) as { id: number }
    b.client.handleUpstreamResponse(
      b.now,
      f.token,
      encodeMessage({
        id: q.id,
        flags: FLAG_QR | FLAG_RD,
        questions: [{ name: 'www.example.org', type: TYPE.TXT }],
        answers: [
          {
            name: 'www.example.org',
            ttl: 60,
            type: 'TXT',
            strings: Array.from({ length: 10 }, () => new Uint8Array(200).fill(0x78)),
          },
        ],
      }),
    )
    b.drive()
    const segs = c.take()
    expect(segs.length).toBeGreaterThan(1) // more than one MSS
    for (const s of segs) expect(s.payload.length).toBeLessThanOrEqual(synAck.mss)
    const [m] = c.absorb(segs)
    const a = decodeMessage(m)
    if (typeof a === 'string') throw new Error(a)
    expect(a.id).toBe(0x3131)
    expect(a.answers[0]).toMatchObject({ type: 'TXT' })
    c.send(TCP_ACK)
    // The application closes: our FIN follows (every query answered), and its ACK ends the connection.
    c.send(TCP_FIN | TCP_ACK)
    const fin = c.take()
    expect(fin.some((s) => s.flags & TCP_FIN)).toBe(true)
    c.absorb(fin)
    c.send(TCP_ACK)
    expect(b.client.tcp.size).toBe(0)
  })

  test('a resource name over TCP (IPv6 sentinel) waits for DomainStatus like UDP does', () => {
    const b = new Bench()
    b.gw.statusFor = () => null
    const c = new TcpPeer(b, 6)
    c.open()
    c.send(TCP_ACK | TCP_PSH, query('app.corp.example', TYPE.AAAA))
    expect(c.absorb(c.take())).toEqual([])
    const m = b.gw.control.find((x) => x.type === MessageType.AssignedIps)!
    b.gw.send(b.now, {
      type: 2,
      requestId: m.requestId,
      resource: 'web',
      domain: 'app.corp.example',
      status: 'active',
    })
    b.drive()
    const [ans] = c.absorb(c.take())
    const a = decodeMessage(ans) as { answers: { type: string; ttl: number }[] }
    expect(a.answers.length).toBe(4)
    expect(a.answers.every((r) => r.type === 'AAAA' && r.ttl === 1)).toBe(true)
  })

  test('an answer released later by the gateway status is timed from then: no early retransmission', () => {
    const b = new Bench()
    b.gw.statusFor = () => null
    const c = new TcpPeer(b)
    c.open()
    c.send(TCP_ACK | TCP_PSH, query('app.corp.example', TYPE.A))
    c.take()
    b.now += 1_500 // the status comes late (inside the 2 s wait), with no timer event in between
    const m = b.gw.control.find((x) => x.type === MessageType.AssignedIps)!
    b.gw.send(b.now, {
      type: 2,
      requestId: m.requestId,
      resource: 'web',
      domain: 'app.corp.example',
      status: 'active',
    })
    b.drive()
    expect(c.take().filter((s) => s.payload.length > 0).length).toBe(1)
    b.advanceTo(b.now + RTO_MS - 1)
    expect(b.client.tcp.stats.retransmits).toBe(0)
    b.advanceTo(b.now + 1)
    expect(b.client.tcp.stats.retransmits).toBe(1)
  })

  test('two queries in one segment, and a query split across segments, are each answered', () => {
    const b = new Bench()
    const c = new TcpPeer(b)
    c.open()
    const two = new Uint8Array([
      ...query('use-application-dns.net', TYPE.A, 1),
      ...query('use-application-dns.net', TYPE.A, 2),
    ])
    c.send(TCP_ACK | TCP_PSH, two)
    const q3 = query('use-application-dns.net', TYPE.AAAA, 3)
    c.send(TCP_ACK | TCP_PSH, q3.slice(0, 5))
    c.send(TCP_ACK | TCP_PSH, q3.slice(5))
    const msgs = c.absorb(c.take()).map((m) => decodeMessage(m) as { id: number; rcode: number })
    expect(msgs.map((m) => m.id)).toEqual([1, 2, 3])
    expect(msgs.every((m) => m.rcode === RCODE.NXDOMAIN)).toBe(true)
  })

  test('RFC 9293 §3.8.1: an unacknowledged answer is retransmitted after the RTO; out-of-order data gets a duplicate ACK', () => {
    const b = new Bench()
    const c = new TcpPeer(b)
    c.open()
    c.send(TCP_ACK | TCP_PSH, query('use-application-dns.net', TYPE.A))
    const first = c.take().filter((s) => s.payload.length > 0)
    expect(first.length).toBe(1)
    // Not acknowledged ("lost"): the same bytes come again after RTO_MS.
    b.advanceTo(b.now + RTO_MS)
    const again = c.take().filter((s) => s.payload.length > 0)
    expect(again.length).toBe(1)
    expect(again[0].seq).toBe(first[0].seq)
    expect(again[0].payload).toEqual(first[0].payload)
    expect(b.client.tcp.stats.retransmits).toBe(1)
    // A segment from the future is not accepted: ACK for what we have.
    c.send(TCP_ACK | TCP_PSH, new Uint8Array([0, 1, 2]), { seq: c.seq + 100 })
    const dup = c.take()
    expect(dup.length).toBe(1)
    expect(dup[0].ack).toBe(c.seq)
  })

  test('a peer that never acknowledges is given up after MAX_RETRIES', () => {
    const b = new Bench()
    const c = new TcpPeer(b)
    c.open()
    c.send(TCP_ACK | TCP_PSH, query('use-application-dns.net', TYPE.A))
    b.advanceTo(b.now + RTO_MS * 2 ** (MAX_RETRIES + 2))
    expect(b.client.tcp.size).toBe(0)
  })

  test('RFC 9293 §3.10.7.1: a segment of no connection gets RST; RST closes a connection', () => {
    const b = new Bench()
    const c = new TcpPeer(b)
    c.send(TCP_ACK, new Uint8Array(0), { ack: 12345 })
    const [rst] = c.take()
    expect(rst.flags & TCP_RST).toBeTruthy()
    expect(rst.seq).toBe(12345)
    c.open()
    expect(b.client.tcp.size).toBe(1)
    c.send(TCP_RST)
    expect(b.client.tcp.size).toBe(0)
  })

  test('a lost SYN-ACK: the retransmitted SYN gets the same SYN-ACK', () => {
    const b = new Bench()
    const c = new TcpPeer(b)
    c.send(TCP_SYN)
    const [a] = c.take()
    c.send(TCP_SYN, new Uint8Array(0), { seq: c.seq - 1 })
    const [a2] = c.take()
    expect(a2.seq).toBe(a.seq)
    expect(a2.flags).toBe(TCP_SYN | TCP_ACK)
  })
})
