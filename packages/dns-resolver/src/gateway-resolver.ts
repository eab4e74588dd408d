/**
 * The gateway's resolver, sans-IO: it decides, the shell (io.ts) sends and receives.
 *
 * When a client says "domain D of resource R has proxy IPs P", the gateway resolves D itself
 * (MISSION.md "Gateway, NAT"): A and AAAA, through its upstreams (default: the host's resolvers),
 * by UDP with a retry over TCP when the answer is truncated (RFC 7766 §5), each query with its
 * own random id (RFC 5452 §9.2). The result tells apart what the gateway answers differently:
 * addresses (per family), NXDOMAIN, no records of a family, SERVFAIL (every upstream failed or
 * refused) and timeout (no upstream answered in time). Answers are cached for their TTL
 * (RFC 1035 §3.2.1: the smallest TTL along the CNAME chain; RFC 2308 §5: NXDOMAIN and NODATA for
 * the SOA's minimum), in a bounded LRU; failures are not cached.
 *
 * It also forwards the queries clients resolve at the site (SRV, TXT, ...): the bytes go out with
 * a fresh id and come back with the client's.
 *
 * Method groups: (B) `resolve`, `forward`, `handleResponse`, `handleTimeout`; (D) `pollTransmit`,
 * `pollResult`, `pollTimeout`. After any call the shell drains `pollTransmit`, then `pollResult`,
 * then re-arms its timer from `pollTimeout`.
 * @module
 */
import type { Upstream } from './sentinels.ts'
import type { Transport } from './stub.ts'
import {
  ANSWER_BUF_LEN,
  type DnsMessage,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
  FLAG_RD,
  MessageView,
  NAME_MAX_WIRE,
  nameToWire,
  RCODE,
  scanMessage,
  setId,
  TYPE,
  writeEmptyAnswer,
  writeFormErr,
} from './wire.ts'

/** What one family's lookup came to. */
export type FamilyStatus = 'ok' | 'no-records' | 'nxdomain' | 'servfail' | 'timeout'

/** A name's resolution. `status` sums both families up: 'ok' when either has addresses. */
export interface ResolveResult {
  readonly name: string
  readonly status: FamilyStatus
  readonly a: FamilyStatus
  readonly aaaa: FamilyStatus
  /** Canonical text (ip-packet's), in answer order. */
  readonly ipv4: readonly string[]
  readonly ipv6: readonly string[]
  /** How long this result may be used, in seconds (0 for failures). */
  readonly ttlS: number
}

/** One query to send; give the answer to `handleResponse(txId, bytes)`. */
export interface Transmit {
  readonly txId: number
  readonly upstream: Upstream
  readonly transport: Transport
  readonly bytes: Uint8Array
}

export type GatewayOutput =
  | { readonly kind: 'resolved'; readonly result: ResolveResult }
  | { readonly kind: 'forwarded'; readonly handle: number; readonly bytes: Uint8Array }

export const GATEWAY_DROPS = [
  'gw-unknown-tx',
  'gw-not-a-response',
  'gw-id-mismatch',
  'gw-question-mismatch',
  'gw-malformed-response',
  'gw-upstream-failed',
  'gw-timeout',
  'gw-bad-forward',
  'gw-bad-name',
] as const
export type GatewayDrop = (typeof GATEWAY_DROPS)[number]

export interface GatewayResolverOptions {
  upstreams: readonly Upstream[]
  /** Per attempt (default 2000 ms); an attempt that times out moves on to the next upstream. */
  timeoutMs?: number
  /** Names cached at most (default 1024). */
  cacheSize?: number
  /** TTLs are honoured up to this many seconds (default 86400). */
  maxTtlS?: number
  /** NODATA/NXDOMAIN TTL when the answer has no SOA (default 30 s). */
  negativeTtlS?: number
  /** 32-bit seed for query ids; the shell passes a random one. */
  seed: number
}

interface Tx {
  readonly txId: number
  readonly family: 4 | 6 | 0 // 0: a forwarded query
  readonly name: string
  readonly qtype: number
  readonly id: number
  readonly bytes: Uint8Array
  upstreamIndex: number
  transport: Transport
  deadline: number
  /** forwards: the client's id and bytes. */
  readonly handle: number
  readonly clientId: number
}

interface FamilyOutcome {
  status: FamilyStatus
  addresses: string[]
  ttlS: number
}

interface Lookup {
  readonly name: string
  a: FamilyOutcome | null
  aaaa: FamilyOutcome | null
}

/** The sans-IO gateway resolver. */
export class GatewayResolver {
  readonly drops: Record<GatewayDrop, number>
  private readonly upstreams: readonly Upstream[]
  private readonly timeoutMs: number
  private readonly cacheSize: number
  private readonly maxTtlS: number
  private readonly negativeTtlS: number
  /** Insertion order is deadline order (constant timeout, monotonic now; re-inserted on retry). */
  private readonly txs = new Map<number, Tx>()
  private readonly lookups = new Map<string, Lookup>()
  private readonly cache = new Map<string, { result: ResolveResult; expiresAt: number }>()
  private readonly transmits: Transmit[] = []
  private readonly outputs: GatewayOutput[] = []
  private readonly view = new MessageView()
  private nextTx = 1
  private nextHandle = 1
  private rng: number

  constructor(opts: GatewayResolverOptions) {
    if (opts.upstreams.length === 0) throw new Error('upstreams: at least one is needed')
    this.drops = Object.fromEntries(GATEWAY_DROPS.map((r) => [r, 0])) as Record<GatewayDrop, number>
    this.upstreams = opts.upstreams
    this.timeoutMs = opts.timeoutMs ?? 2000
    this.cacheSize = opts.cacheSize ?? 1024
    this.maxTtlS = opts.maxTtlS ?? 86400
    this.negativeTtlS = opts.negativeTtlS ?? 30
    this.rng = opts.seed >>> 0 || 0x9e3779b9
  }

  /**
   * Resolves a name's A and AAAA. Returns the cached result when there is a fresh one (or
   * NXDOMAIN at once for a name that is not a valid DNS name); else starts (or joins) a lookup
   * and returns null: the result comes from `pollResult`.
   */
  resolve(now: number, name: string): ResolveResult | null {
    const key = normalise(name)
    if (nameToWire(key, NAME_SCRATCH) < 0) {
      // Names come from clients' control messages: one that cannot exist does not exist.
      this.drops['gw-bad-name']++
      return { name: key, status: 'nxdomain', a: 'nxdomain', aaaa: 'nxdomain', ipv4: [], ipv6: [], ttlS: 0 }
    }
    const hit = this.cache.get(key)
    if (hit !== undefined) {
      if (hit.expiresAt > now) {
        this.cache.delete(key) // LRU: move to the back
        this.cache.set(key, hit)
        return hit.result
      }
      this.cache.delete(key)
    }
    if (this.lookups.has(key)) return null
    this.lookups.set(key, { name: key, a: null, aaaa: null })
    this.send(now, key, 4, TYPE.A, 0, 0, null)
    this.send(now, key, 6, TYPE.AAAA, 0, 0, null)
    return null
  }

  /**
   * Forwards a client's query (resolve at the site). Returns a handle; the answer, with the
   * client's id, comes from `pollResult` as 'forwarded' (FORMERR at once for bytes that are
   * not a query, SERVFAIL when no upstream answers).
   */
  forward(now: number, query: Uint8Array): number {
    const handle = this.nextHandle++
    const v = this.view
    const bad = scanMessage(query, 0, query.length, v)
    if (bad !== null || v.qr || v.qdcount !== 1) {
      this.drops['gw-bad-forward']++
      const out = new Uint8Array(ANSWER_BUF_LEN)
      const len =
        bad === null && !v.qr
          ? writeEmptyAnswer(v, out, RCODE.FORMERR)
          : writeFormErr(query, 0, query.length, out)
      this.outputs.push({ kind: 'forwarded', handle, bytes: out.slice(0, Math.max(len, 0)) })
      return handle
    }
    this.send(now, v.qname, 0, v.qtype, 0, handle, query)
    return handle
  }

  /** The answer to transmission `txId`. */
  handleResponse(now: number, txId: number, bytes: Uint8Array): void {
    const tx = this.txs.get(txId)
    if (tx === undefined) {
      this.drops['gw-unknown-tx']++
      return
    }
    const v = this.view
    if (scanMessage(bytes, 0, bytes.length, v) !== null) {
      this.drops['gw-malformed-response']++
      this.nextUpstream(now, tx, 'servfail')
      return
    }
    if (!v.qr) {
      this.drops['gw-not-a-response']++
      return
    }
    if (v.id !== tx.id) {
      this.drops['gw-id-mismatch']++ // RFC 5452 §9.1: not the answer to our query; keep waiting
      return
    }
    if (v.qdcount !== 1 || v.qname !== tx.name || v.qtype !== tx.qtype) {
      this.drops['gw-question-mismatch']++
      return
    }
    if (v.tc && tx.transport === 'udp') {
      this.txs.delete(txId)
      this.retransmit(now, tx, tx.upstreamIndex, 'tcp')
      return
    }
    const rcode = v.rcode
    if (tx.family === 0) {
      this.txs.delete(txId)
      if (
        (rcode === RCODE.SERVFAIL || rcode === RCODE.REFUSED) &&
        tx.upstreamIndex + 1 < this.upstreams.length
      ) {
        this.retransmit(now, tx, tx.upstreamIndex + 1, 'udp')
        return
      }
      const out = bytes.slice()
      setId(out, tx.clientId)
      this.outputs.push({ kind: 'forwarded', handle: tx.handle, bytes: out })
      return
    }
    if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN) {
      this.nextUpstream(now, tx, 'servfail')
      return
    }
    const msg = decodeMessage(bytes)
    if (typeof msg === 'string') {
      this.drops['gw-malformed-response']++
      this.nextUpstream(now, tx, 'servfail')
      return
    }
    this.txs.delete(txId)
    this.finish(now, tx, this.interpret(tx, msg))
  }

  /** Expires attempts past their deadline: the next upstream is tried, or the family times out. */
  handleTimeout(now: number): void {
    for (const tx of this.txs.values()) {
      if (tx.deadline > now) break
      this.drops['gw-timeout']++
      this.nextUpstream(now, tx, 'timeout')
    }
  }

  /** The next query to send. */
  pollTransmit(): Transmit | null {
    return this.transmits.shift() ?? null
  }

  /** The next finished resolution or forward. */
  pollResult(): GatewayOutput | null {
    return this.outputs.shift() ?? null
  }

  /** The earliest attempt deadline, or null. */
  pollTimeout(): number | null {
    for (const tx of this.txs.values()) return tx.deadline
    return null
  }

  /** Names in the cache (for tests and metrics). */
  get cachedNames(): number {
    return this.cache.size
  }

  // internals -----------------------------------------------------------------------------------

  private randomId(): number {
    // xorshift32: ids need to be unpredictable to an off-path attacker only as far as the seed is.
    let x = this.rng
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.rng = x >>> 0
    return this.rng & 0xffff
  }

  private send(
    now: number,
    name: string,
    family: 4 | 6 | 0,
    qtype: number,
    upstreamIndex: number,
    handle: number,
    clientQuery: Uint8Array | null,
  ): void {
    const id = this.randomId()
    let bytes: Uint8Array
    let clientId = 0
    if (clientQuery !== null) {
      bytes = clientQuery.slice()
      clientId = (bytes[0] << 8) | bytes[1]
      setId(bytes, id)
    } else
      bytes = encodeMessage({ id, flags: FLAG_RD, questions: [{ name, type: qtype }], ednsUdpSize: 1232 })
    const tx: Tx = {
      txId: this.nextTx++,
      family,
      name,
      qtype,
      id,
      bytes,
      upstreamIndex,
      transport: 'udp',
      deadline: now + this.timeoutMs,
      handle,
      clientId,
    }
    this.txs.set(tx.txId, tx)
    this.transmits.push({ txId: tx.txId, upstream: this.upstreams[upstreamIndex], transport: 'udp', bytes })
  }

  private retransmit(now: number, tx: Tx, upstreamIndex: number, transport: Transport): void {
    const next: Tx = { ...tx, txId: this.nextTx++, upstreamIndex, transport, deadline: now + this.timeoutMs }
    this.txs.set(next.txId, next)
    this.transmits.push({
      txId: next.txId,
      upstream: this.upstreams[upstreamIndex],
      transport,
      bytes: next.bytes,
    })
  }

  /** Tries the next upstream over UDP; when none is left, the attempt ends with `failure`. */
  private nextUpstream(now: number, tx: Tx, failure: 'servfail' | 'timeout'): void {
    this.txs.delete(tx.txId)
    if (tx.upstreamIndex + 1 < this.upstreams.length) {
      this.retransmit(now, tx, tx.upstreamIndex + 1, 'udp')
      return
    }
    this.drops['gw-upstream-failed']++
    if (tx.family === 0) {
      const v = new MessageView()
      const q = tx.bytes.slice()
      setId(q, tx.clientId)
      scanMessage(q, 0, q.length, v)
      const out = new Uint8Array(ANSWER_BUF_LEN)
      const len = writeEmptyAnswer(v, out, RCODE.SERVFAIL)
      this.outputs.push({ kind: 'forwarded', handle: tx.handle, bytes: out.slice(0, len) })
    } else this.finish(now, tx, { status: failure, addresses: [], ttlS: 0 })
  }

  /** RFC 1034 §3.6.2 / RFC 2308: addresses along the CNAME chain, NODATA, NXDOMAIN, with TTLs. */
  private interpret(tx: Tx, msg: DnsMessage): FamilyOutcome {
    const want = tx.family === 4 ? 'A' : 'AAAA'
    const chain = new Set([tx.name])
    let ttl = Number.POSITIVE_INFINITY
    // CNAMEs may come in any order: follow until nothing new (bounded by the answer count).
    for (let round = 0; round < msg.answers.length; round++) {
      let grew = false
      for (const r of msg.answers)
        if (r.type === 'CNAME' && chain.has(r.name) && !chain.has(r.target)) {
          chain.add(r.target)
          ttl = Math.min(ttl, r.ttl)
          grew = true
        }
      if (!grew) break
    }
    const addresses: string[] = []
    for (const r of msg.answers)
      if (r.type === want && chain.has(r.name)) {
        addresses.push((r as Extract<DnsRecord, { type: 'A' | 'AAAA' }>).address)
        ttl = Math.min(ttl, r.ttl)
      }
    if (addresses.length > 0) return { status: 'ok', addresses, ttlS: Math.min(ttl, this.maxTtlS) }
    // RFC 2308 §5: negative answers are cached for min(SOA TTL, SOA MINIMUM).
    let neg = this.negativeTtlS
    for (const r of msg.authorities) if (r.type === 'SOA') neg = Math.min(r.ttl, r.minimum)
    const status: FamilyStatus = msg.rcode === RCODE.NXDOMAIN ? 'nxdomain' : 'no-records'
    return { status, addresses: [], ttlS: Math.min(neg, this.maxTtlS) }
  }

  private finish(now: number, tx: Tx, outcome: FamilyOutcome): void {
    const l = this.lookups.get(tx.name)
    if (l === undefined) return
    if (tx.family === 4) l.a = outcome
    else l.aaaa = outcome
    if (l.a === null || l.aaaa === null) return
    this.lookups.delete(tx.name)
    const a = l.a
    const b = l.aaaa
    const status: FamilyStatus =
      a.status === 'ok' || b.status === 'ok'
        ? 'ok'
        : a.status === 'nxdomain' || b.status === 'nxdomain'
          ? 'nxdomain'
          : a.status === 'servfail' || b.status === 'servfail'
            ? 'servfail'
            : a.status === 'timeout' || b.status === 'timeout'
              ? 'timeout'
              : 'no-records'
    const failed = (s: FamilyStatus) => s === 'servfail' || s === 'timeout'
    const ttlS = failed(a.status) || failed(b.status) ? 0 : Math.min(a.ttlS, b.ttlS)
    const result: ResolveResult = {
      name: l.name,
      status,
      a: a.status,
      aaaa: b.status,
      ipv4: a.addresses,
      ipv6: b.addresses,
      ttlS,
    }
    if (ttlS > 0) {
      this.cache.set(l.name, { result, expiresAt: now + ttlS * 1000 })
      if (this.cache.size > this.cacheSize) {
        const oldest = this.cache.keys().next().value
        if (oldest !== undefined) this.cache.delete(oldest)
      }
    }
    this.outputs.push({ kind: 'resolved', result })
  }
}

const NAME_SCRATCH = new Uint8Array(NAME_MAX_WIRE)

function normalise(name: string): string {
  const n = name.toLowerCase()
  return n.length > 1 && n.endsWith('.') ? n.slice(0, -1) : n
}
