/**
 * DNS over TCP to the sentinels (RFC 7766), served inside the TUN by a minimal TCP responder:
 * sans-IO, like the rest of the core. The sentinels are not local addresses (they are routed
 * into the TUN, so UDP queries reach the core), so no kernel socket can accept these connections;
 * Firezone terminates them with a userspace TCP stack (smoltcp) for the same reason. What DNS
 * needs is small: a passive open, in-order data, acknowledgements, retransmission of what we
 * sent, and a close.
 *
 * What it does (RFC 9293 section numbers):
 * - §3.5 passive open: SYN -> SYN-ACK with an MSS option (§3.7.1); the ISN comes from the
 *   injected random source (§3.4.1 asks for unpredictable ISNs);
 * - §3.10.7.4 data accepted only in order (seq == RCV.NXT); anything else is answered with an
 *   ACK for RCV.NXT and dropped (the peer retransmits); every accepted segment is acknowledged;
 * - §3.8.1 retransmission: everything from SND.UNA is sent again after RTO_MS (go-back-N,
 *   SYN/FIN included), doubling, at most MAX_RETRIES times, then the connection is dropped;
 * - §3.6 close: the peer's FIN is acknowledged; our FIN follows once every query on the
 *   connection is answered; a connection idle for IDLE_MS is reset (RFC 7766 §6.2.3 lets a
 *   server close idle connections);
 * - §3.5.2 RST for segments of unknown connections, and connections dropped on RST.
 * Not done (not needed on a local TUN): window scaling, SACK, timestamps, congestion control,
 * out-of-order reassembly, urgent data. The peer's window is honoured.
 * @module
 */
import { TcpDeframer } from '@gatehouse/dns-resolver'
import {
  buildTcp4,
  buildTcp6,
  type IpPacket,
  L4_TCP,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
} from '@gatehouse/ip-packet'

/** Retransmission timeout of the first retry; doubles per retry. Generous for a local TUN. */
export const RTO_MS = 1_000
export const MAX_RETRIES = 5
/** Connections with no segment for this long are reset. */
export const IDLE_MS = 30_000
/** Connections open at once, at most; more are refused with RST. */
export const MAX_TCP_CONNS = 256
/** Our receive window (no scaling). */
const WINDOW = 65_535
/** RFC 9293 §3.7.1: without an MSS option the peer may only send 536 bytes (IPv4), 1220 (IPv6). */
const DEFAULT_MSS_V4 = 536
const DEFAULT_MSS_V6 = 1220
/** 1280 (the TUN's default MTU, IPv6's minimum) - 40 (IPv6) - 20 (TCP). */
const MAX_SEGMENT = 1220

/** One connection to a sentinel's port 53. */
export interface TcpConn {
  readonly key: string
  readonly family: 4 | 6
  /** The sentinel (4 or 16 bytes) and its text, the application's address and port. */
  readonly local: Uint8Array
  readonly sentinel: string
  readonly remote: Uint8Array
  readonly remotePort: number
  state: 'syn-rcvd' | 'established' | 'closing' | 'closed'
  /** SND.UNA, SND.NXT, RCV.NXT (u32). */
  sndUna: number
  sndNxt: number
  rcvNxt: number
  readonly iss: number
  mss: number
  peerWindow: number
  /** Bytes from SND.UNA on (sent, not yet acknowledged, then unsent). */
  out: Uint8Array
  /** Bytes of `out` already sent once. */
  sent: number
  /** The peer sent FIN. */
  peerFin: boolean
  /** Our FIN is due (after `out`), and whether it was sent. */
  finDue: boolean
  finSent: boolean
  /** Queries handed to the resolver and not yet answered. */
  pending: number
  rtoAt: number
  retries: number
  idleAt: number
  readonly deframer: TcpDeframer
}

export class TcpDnsServer {
  /** Segments to write to the TUN, in order. */
  readonly output: Uint8Array[] = []
  readonly stats = { connections: 0, queries: 0, resets: 0, retransmits: 0 }
  private readonly conns = new Map<string, TcpConn>()
  private readonly isn = new Uint8Array(4)

  /**
   * @param random ISNs (RFC 9293 §3.4.1).
   * @param sentinelText the sentinel's text for an address, or null when it is not one of ours (RST).
   * @param onQuery a complete DNS message arrived on `conn`; answer later with `send`.
   */
  constructor(
    private readonly random: (b: Uint8Array) => void,
    private readonly sentinelText: (p: IpPacket) => string | null,
    private readonly onQuery: (now: number, conn: TcpConn, query: Uint8Array) => void,
  ) {}

  /** Connections open now. */
  get size(): number {
    return this.conns.size
  }

  /** A TCP segment to a sentinel's port 53, parsed in `p` (L4_TCP). */
  handleSegment(now: number, p: IpPacket): void {
    if (p.l4 !== L4_TCP) return
    const b = p.buf
    const t = p.l4Off
    const seq = u32at(b, t + 4)
    const ack = u32at(b, t + 8)
    const flags = b[t + 13]
    const window = (b[t + 14] << 8) | b[t + 15]
    const len = p.payloadLen
    const key = connKey(p)
    let c = this.conns.get(key)
    if (flags & TCP_RST) {
      // §3.10.7.2 (simplified): an RST inside the window closes the connection.
      if (c !== undefined && seq === c.rcvNxt) this.conns.delete(key)
      return
    }
    if (c === undefined) {
      if ((flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) {
        this.reset(p, seq, ack, flags, len)
        return
      }
      const sentinel = this.sentinelText(p)
      if (sentinel === null || this.conns.size >= MAX_TCP_CONNS) {
        this.reset(p, seq, ack, flags, len)
        return
      }
      this.random(this.isn)
      const iss = u32at(this.isn, 0)
      const v4 = p.version === 4
      c = {
        key,
        family: v4 ? 4 : 6,
        local: b.slice(p.dstAddrOff, p.dstAddrOff + (v4 ? 4 : 16)),
        sentinel,
        remote: b.slice(p.srcAddrOff, p.srcAddrOff + (v4 ? 4 : 16)),
        remotePort: p.srcPort,
        state: 'syn-rcvd',
        sndUna: iss,
        sndNxt: (iss + 1) >>> 0,
        rcvNxt: (seq + 1) >>> 0,
        iss,
        // Segments no larger than the peer's MSS (or the default) nor the minimum IPv6 MTU allows.
        mss: Math.min(mssOption(b, t) || (v4 ? DEFAULT_MSS_V4 : DEFAULT_MSS_V6), MAX_SEGMENT),
        peerWindow: window,
        out: new Uint8Array(0),
        sent: 0,
        peerFin: false,
        finDue: false,
        finSent: false,
        pending: 0,
        rtoAt: now + RTO_MS,
        retries: 0,
        idleAt: now + IDLE_MS,
        deframer: new TcpDeframer(),
      }
      this.conns.set(key, c)
      this.stats.connections++
      this.emit(c, iss, TCP_SYN | TCP_ACK, EMPTY, true)
      return
    }
    c.idleAt = now + IDLE_MS
    if (flags & TCP_SYN) {
      // A retransmitted SYN: our SYN-ACK was lost.
      if (c.state === 'syn-rcvd') this.emit(c, c.iss, TCP_SYN | TCP_ACK, EMPTY, true)
      return
    }
    if (!(flags & TCP_ACK)) return
    // §3.10.7.4: acceptable ACK advances SND.UNA.
    const acked = (ack - c.sndUna) >>> 0
    const inFlight = (c.sndNxt - c.sndUna) >>> 0
    if (acked > 0 && acked <= inFlight) {
      let n = acked
      if (c.state === 'syn-rcvd' && c.sndUna === c.iss) {
        n-- // the SYN
        c.state = 'established'
      }
      const dataAcked = Math.min(n, c.sent)
      c.out = c.out.subarray(dataAcked)
      c.sent -= dataAcked
      c.sndUna = ack
      c.retries = 0
      c.rtoAt = c.sndUna === c.sndNxt ? Number.POSITIVE_INFINITY : now + RTO_MS
      if (c.finSent && c.sndUna === c.sndNxt && c.peerFin) {
        this.conns.delete(c.key) // both FINs acknowledged
        return
      }
    }
    c.peerWindow = window
    if (c.state === 'syn-rcvd') return
    let needAck = false
    if (len > 0 || flags & TCP_FIN) {
      if (seq !== c.rcvNxt) {
        this.emit(c, c.sndNxt, TCP_ACK, EMPTY, false) // out of order or a duplicate: ACK what we have
        return
      }
      if (len > 0) {
        c.rcvNxt = (c.rcvNxt + len) >>> 0
        needAck = true
        for (const q of c.deframer.push(b.slice(p.payloadOff, p.payloadOff + len))) {
          c.pending++
          this.stats.queries++
          this.onQuery(now, c, q)
        }
      }
      if (flags & TCP_FIN && !c.peerFin) {
        c.peerFin = true
        c.rcvNxt = (c.rcvNxt + 1) >>> 0
        needAck = true
        if (c.pending === 0) c.finDue = true
      }
    }
    if (!this.pump(now, c) && needAck) this.emit(c, c.sndNxt, TCP_ACK, EMPTY, false)
  }

  /** An answer for `conn` (framed here, RFC 1035 §4.2.2). Ignored when the connection is gone. */
  send(now: number, conn: TcpConn, message: Uint8Array): void {
    if (this.conns.get(conn.key) !== conn) return
    conn.pending--
    const framed = new Uint8Array(conn.out.length + 2 + message.length)
    framed.set(conn.out, 0)
    framed[conn.out.length] = message.length >> 8
    framed[conn.out.length + 1] = message.length & 0xff
    framed.set(message, conn.out.length + 2)
    conn.out = framed
    if (conn.peerFin && conn.pending === 0) conn.finDue = true
    this.pump(now, conn)
  }

  /** Retransmissions and idle resets due at `now`. */
  handleTimeout(now: number): void {
    for (const c of this.conns.values()) {
      if (c.idleAt <= now) {
        this.conns.delete(c.key)
        this.stats.resets++
        this.emitTo(c, c.sndNxt, c.rcvNxt, TCP_RST | TCP_ACK, EMPTY)
        continue
      }
      if (c.rtoAt > now) continue
      if (++c.retries > MAX_RETRIES) {
        this.conns.delete(c.key)
        this.stats.resets++
        continue
      }
      this.stats.retransmits++
      // Go back to SND.UNA and send everything again.
      c.rtoAt = now + RTO_MS * 2 ** c.retries
      if (c.state === 'syn-rcvd') {
        this.emit(c, c.iss, TCP_SYN | TCP_ACK, EMPTY, false)
        continue
      }
      c.sndNxt = c.sndUna
      c.sent = 0
      if (c.finSent) {
        c.finSent = false
        c.finDue = true
      }
      this.pump(now, c, true)
    }
  }

  /** The earliest retransmission or idle deadline. */
  pollTimeout(): number | null {
    let m = Number.POSITIVE_INFINITY
    for (const c of this.conns.values()) m = Math.min(m, c.rtoAt, c.idleAt)
    return m === Number.POSITIVE_INFINITY ? null : m
  }

  /** Sends what the window allows of `out`, then our FIN when due. True when anything was sent. */
  private pump(now: number, c: TcpConn, retransmit = false): boolean {
    if (c.state === 'syn-rcvd') return false
    let any = false
    for (;;) {
      const inFlight = (c.sndNxt - c.sndUna) >>> 0
      const room = Math.min(c.out.length - c.sent, c.mss, c.peerWindow - inFlight)
      if (room <= 0) break
      const seg = c.out.subarray(c.sent, c.sent + room)
      this.emit(c, c.sndNxt, TCP_ACK | TCP_PSH, seg, false)
      c.sent += room
      c.sndNxt = (c.sndNxt + room) >>> 0
      any = true
    }
    if (c.finDue && !c.finSent && c.sent === c.out.length) {
      this.emit(c, c.sndNxt, TCP_FIN | TCP_ACK, EMPTY, false)
      c.finSent = true
      c.finDue = false
      c.state = 'closing'
      c.sndNxt = (c.sndNxt + 1) >>> 0
      any = true
    }
    if (any && (c.rtoAt === Number.POSITIVE_INFINITY || retransmit)) c.rtoAt = now + RTO_MS * 2 ** c.retries
    return any
  }

  private emit(c: TcpConn, seq: number, flags: number, payload: Uint8Array, mss: boolean): void {
    this.emitTo(c, seq, c.rcvNxt, flags, payload, mss)
  }

  private emitTo(
    c: TcpConn,
    seq: number,
    ack: number,
    flags: number,
    payload: Uint8Array,
    mss = false,
  ): void {
    const tcp = {
      srcPort: 53,
      dstPort: c.remotePort,
      seq,
      ack,
      flags,
      window: WINDOW,
      payload,
      tcpOptions: mss ? Uint8Array.of(2, 4, c.mss >> 8, c.mss & 0xff) : undefined,
    }
    this.output.push(
      c.family === 4
        ? buildTcp4({ src: u32at(c.local, 0), dst: u32at(c.remote, 0), ttl: 64, ...tcp })
        : buildTcp6({ src: c.local, dst: c.remote, hopLimit: 64, ...tcp }),
    )
  }

  /** §3.10.7.1: RST for a segment of no connection (seq from its ACK, else ACK of its end). */
  private reset(p: IpPacket, seq: number, ack: number, flags: number, len: number): void {
    this.stats.resets++
    const b = p.buf
    const v4 = p.version === 4
    const end = (seq + len + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0)) >>> 0
    const tcp =
      flags & TCP_ACK
        ? { srcPort: p.dstPort, dstPort: p.srcPort, seq: ack, ack: 0, flags: TCP_RST, window: 0 }
        : { srcPort: p.dstPort, dstPort: p.srcPort, seq: 0, ack: end, flags: TCP_RST | TCP_ACK, window: 0 }
    this.output.push(
      v4
        ? buildTcp4({ src: u32at(b, p.dstAddrOff), dst: u32at(b, p.srcAddrOff), ttl: 64, ...tcp })
        : buildTcp6({
            src: b.slice(p.dstAddrOff, p.dstAddrOff + 16),
            dst: b.slice(p.srcAddrOff, p.srcAddrOff + 16),
            hopLimit: 64,
            ...tcp,
          }),
    )
  }
}

const EMPTY = new Uint8Array(0)

function u32at(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0
}

function connKey(p: IpPacket): string {
  const b = p.buf
  const n = p.version === 4 ? 4 : 16
  let k = `${p.srcPort}/`
  for (let i = 0; i < n; i++) k += `${b[p.srcAddrOff + i]}.`
  k += '>'
  for (let i = 0; i < n; i++) k += `${b[p.dstAddrOff + i]}.`
  return k
}

/** The MSS option of a SYN (RFC 9293 §3.2), or 0. */
function mssOption(b: Uint8Array, t: number): number {
  const end = t + ((b[t + 12] >> 4) << 2)
  let o = t + 20
  while (o < end) {
    const kind = b[o]
    if (kind === 0) break
    if (kind === 1) {
      o++
      continue
    }
    const l = b[o + 1]
    if (l < 2 || o + l > end) break
    if (kind === 2 && l === 4) return (b[o + 2] << 8) | b[o + 3]
    o += l
  }
  return 0
}
