/**
 * The client's stub resolver, sans-IO (STYLE.md §4): a query in, an answer or a forward out.
 *
 * Method groups and call order (quinn's):
 * - (A) getters: `drops`, `assignments()`, `resourceByProxyIp*()`;
 * - (B) inputs: `handleQuery(now, bytes, ctx)`, `handleUpstreamResponse(now, token, bytes)`,
 *   `handleTimeout(now)`; each returns (or queues) what to do next;
 * - (C) commands: `addResource`, `removeResource`;
 * - (D) outputs: `pollReply()` (SERVFAILs for timed-out forwards), `pollTimeout()`, `pollEvent()`.
 * After any `handle*` the shell acts on the returned outcome, drains `pollReply`, re-arms its
 * single timer from `pollTimeout`, then drains `pollEvent`.
 *
 * What a query gets (issue 6, MISSION.md "Client, DNS"):
 * - `use-application-dns.net` (Firefox's DoH canary): NXDOMAIN;
 * - A / AAAA for a resource name: the 4 proxy IPs of that family, TTL 1, assigned on the first
 *   such query for the (name, resource) pair (both families at once for a dual-stack resource;
 *   the new assignment is an event); for a resource restricted to the other family, NOERROR
 *   with no records;
 * - PTR for a proxy IP: its name; for an unassigned address inside the proxy prefixes: NXDOMAIN;
 * - HTTPS / SVCB for a resource name: NOERROR with no records, so the application asks A/AAAA
 *   and does not use the real addresses in ipv4hint/ipv6hint (Firezone does the same);
 * - any other type for a resource name: resolved at the resource's site, through the gateway;
 * - everything else: forwarded, with the client's id, to the upstream the queried sentinel
 *   stands for, by UDP, or by TCP when the query came over TCP or the UDP answer was truncated;
 * - malformed: FORMERR; other opcodes: NOTIMP; EDNS version > 0: BADVERS (RFC 6891 §6.1.3).
 * Upstream or site answers that do not arrive within the timeout are answered SERVFAIL.
 * @module
 */
import { ipv4ToText, ipv6ToText } from '@gatehouse/ip-packet'
import { PatternSet } from './pattern.ts'
import { type Assignment, PROXY_IPS_PER_FAMILY, ProxyIpAllocator, type ProxyIpOptions } from './proxy-ips.ts'
import { type Sentinel, SentinelTable, type Upstream } from './sentinels.ts'
import {
  ANSWER_BUF_LEN,
  CLASS_IN,
  MessageView,
  NAME_MAX_WIRE,
  nameToWire,
  RCODE,
  RCODE_BADVERS,
  scanMessage,
  TYPE,
  truncateForUdp,
  WIRE_DROPS,
  writeAddressAnswer,
  writeEmptyAnswer,
  writeFormErr,
  writePtrAnswer,
} from './wire.ts'

/** Which address families a DNS resource is reachable by (MISSION.md: dual, IPv4 only, IPv6 only). */
export type IpStack = 'dual' | 'ipv4' | 'ipv6'

/** A DNS resource: an id and an address pattern (see pattern.ts). */
export interface DnsResource {
  readonly id: string
  readonly address: string
  readonly ipStack?: IpStack
}

export type Transport = 'udp' | 'tcp'

/** Where a query came from. `asker` is opaque to the stub and comes back with the answer. */
export interface QueryContext<A> {
  readonly transport: Transport
  /** The sentinel address the query was sent to (text). */
  readonly sentinel: string
  readonly asker: A
}

/** Why a query or response was not acted on, or was answered with an error; counted in `drops`. */
export const STUB_DROPS = [
  ...WIRE_DROPS,
  'dns-not-a-query',
  'dns-bad-qdcount',
  'dns-bad-opcode',
  'dns-bad-edns-version',
  'stub-unknown-sentinel',
  'stub-too-many-pending',
  'proxy-ips-exhausted',
  'upstream-unknown-token',
  'upstream-not-a-response',
  'upstream-id-mismatch',
  'upstream-question-mismatch',
  'upstream-malformed',
  'upstream-timeout',
] as const
export type StubDrop = (typeof STUB_DROPS)[number]

/** Send `bytes` back to `asker` over `transport` (the shell adds TCP framing). */
export interface Answer<A> {
  readonly kind: 'answer'
  readonly bytes: Uint8Array
  readonly asker: A
  readonly transport: Transport
}
/** Send `bytes` (the client's query, same id) to `upstream` over `transport`; give the response to `handleUpstreamResponse(token)`. */
export interface Forward {
  readonly kind: 'forward'
  readonly token: number
  readonly upstream: Upstream
  readonly transport: Transport
  readonly bytes: Uint8Array
}
/** Send the query to the gateway of `resourceId`, to be resolved at its site; give the response to `handleUpstreamResponse(token)`. */
export interface ResolveAtSite {
  readonly kind: 'resolve-at-site'
  readonly token: number
  readonly resourceId: string
  readonly name: string
  readonly qtype: number
  readonly bytes: Uint8Array
}
export interface Dropped {
  readonly kind: 'drop'
  readonly reason: StubDrop
}
export type StubOutcome<A> = Answer<A> | Forward | ResolveAtSite | Dropped

/** Control-plane events: each assignment becomes a message to the gateway; exhaustion is logged. */
export type StubEvent =
  | { kind: 'assigned'; name: string; resourceId: string; ipv4: string[]; ipv6: string[] }
  | { kind: 'released'; name: string; resourceId: string; ipv4: string[]; ipv6: string[] }
  | { kind: 'exhausted'; name: string; resourceId: string }

export interface StubOptions {
  /** Sentinels and the upstreams they stand for (see sentinels.ts). */
  sentinels: readonly Sentinel[]
  resources?: readonly DnsResource[]
  /** How long an upstream or the site may take before the asker gets SERVFAIL (default 5000). */
  upstreamTimeoutMs?: number
  /** Forwards waiting at once; more are answered SERVFAIL (default 4096). */
  maxPending?: number
  proxyIps?: ProxyIpOptions
}

/** MISSION.md: resource answers carry TTL 1. */
export const RESOURCE_TTL_S = 1
/** Firefox's DoH canary (https://support.mozilla.org/kb/canary-domain-use-application-dnsnet). */
export const DOH_CANARY = 'use-application-dns.net'
const DEFAULT_TIMEOUT_MS = 5000
const DEFAULT_MAX_PENDING = 4096

interface Resource {
  readonly id: string
  readonly address: string
  readonly v4: boolean
  readonly v6: boolean
}

/** What the stub knows about a name it was asked for: its resource (null: none) and assignment. */
interface Hot {
  readonly res: Resource | null
  a: Assignment | null
}

/** Names remembered in the hot map at most; it is emptied when full and whenever resources change. */
const HOT_NAMES_MAX = 4096

interface Pending<A> {
  readonly token: number
  readonly asker: A
  readonly clientTransport: Transport
  readonly query: Uint8Array
  readonly id: number
  readonly qname: string
  readonly qtype: number
  readonly qclass: number
  readonly udpLimit: number
  readonly upstream: Upstream | null
  transport: Transport
  deadline: number
}

/**
 * The stub resolver. `A` is whatever the shell needs to reach the asker again (a socket address,
 * a TCP connection); the stub never looks inside it.
 */
export class StubResolver<A = unknown> {
  /** Per-reason counters, every key present from the start. */
  readonly drops: Record<StubDrop, number>
  private readonly patterns = new PatternSet<Resource>()
  private readonly resources = new Map<string, Resource>()
  /** Name -> (resource, assignment): skips pattern matching and the assignment lookup for names seen before. */
  private readonly hot = new Map<string, Hot>()
  private readonly proxyIps: ProxyIpAllocator
  private readonly sentinels: SentinelTable
  /** Insertion order is deadline order: every deadline is `now + timeout` with a monotonic `now`. */
  private readonly pending = new Map<number, Pending<A>>()
  private readonly replies: Answer<A>[] = []
  private readonly events: StubEvent[] = []
  private readonly view = new MessageView()
  private readonly respView = new MessageView()
  private readonly out = new Uint8Array(ANSWER_BUF_LEN)
  private readonly nameWire = new Uint8Array(NAME_MAX_WIRE)
  private readonly reverse16 = new Uint8Array(16)
  private readonly timeoutMs: number
  private readonly maxPending: number
  private nextToken = 1

  constructor(opts: StubOptions) {
    this.drops = Object.fromEntries(STUB_DROPS.map((r) => [r, 0])) as Record<StubDrop, number>
    this.sentinels = new SentinelTable(opts.sentinels)
    this.proxyIps = new ProxyIpAllocator(opts.proxyIps)
    this.timeoutMs = opts.upstreamTimeoutMs ?? DEFAULT_TIMEOUT_MS
    this.maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING
    for (const [i, r] of (opts.resources ?? []).entries()) this.addResource(r, `resources[${i}]`)
  }

  // (C) commands --------------------------------------------------------------------------------

  /**
   * Adds or replaces a DNS resource. Throws, naming `field`, on an invalid address pattern.
   * Replacing a resource with a new address releases the proxy IPs of its old names.
   */
  addResource(r: DnsResource, field = 'resource'): void {
    const stack = r.ipStack ?? 'dual'
    if (stack !== 'dual' && stack !== 'ipv4' && stack !== 'ipv6')
      throw new Error(`${field}.ipStack: must be dual, ipv4 or ipv6, got ${JSON.stringify(stack)}`)
    this.hot.clear()
    const old = this.resources.get(r.id)
    if (old !== undefined && old.address !== r.address) this.removeResource(r.id)
    const res: Resource = { id: r.id, address: r.address, v4: stack !== 'ipv6', v6: stack !== 'ipv4' }
    this.patterns.deleteWhere((v) => v.id === r.id)
    this.patterns.set(r.address, res, `${field}.address`)
    this.resources.set(r.id, res)
  }

  /** Removes a resource; its proxy IPs are released (each a 'released' event). */
  removeResource(id: string): void {
    if (!this.resources.delete(id)) return
    this.patterns.deleteWhere((v) => v.id === id)
    this.hot.clear()
    for (const a of this.proxyIps.releaseResource(id)) this.events.push({ kind: 'released', ...describe(a) })
  }

  // (A) getters ---------------------------------------------------------------------------------

  /** Every current (name, resource) assignment. */
  assignments(): IterableIterator<Assignment> {
    return this.proxyIps.all()
  }

  /** The (name, resource) an IPv4 proxy address (u32) was assigned to. Packet path: a Map read. */
  resourceByProxyIpv4(addr: number): Assignment | undefined {
    return this.proxyIps.byIpv4(addr)
  }

  /** The (name, resource) an IPv6 proxy address (16 bytes at `off`) was assigned to. */
  resourceByProxyIpv6(b: Uint8Array, off = 0): Assignment | undefined {
    return this.proxyIps.byIpv6(b, off)
  }

  // (B) inputs ----------------------------------------------------------------------------------

  /** A query from an application, sent to `ctx.sentinel`. */
  handleQuery(now: number, bytes: Uint8Array, ctx: QueryContext<A>): StubOutcome<A> {
    const q = this.view
    const bad = scanMessage(bytes, 0, bytes.length, q)
    if (bad !== null) {
      if (bad === 'dns-short-header') return this.drop(bad)
      if ((bytes[2] & 0x80) !== 0) return this.drop('dns-not-a-query')
      this.drops[bad]++
      return this.answer(ctx, writeFormErr(bytes, 0, bytes.length, this.out))
    }
    if (q.qr) return this.drop('dns-not-a-query')
    if (q.opcode !== 0) {
      this.drops['dns-bad-opcode']++
      return this.answer(ctx, writeEmptyAnswer(q, this.out, RCODE.NOTIMP))
    }
    if (q.qdcount !== 1) {
      this.drops['dns-bad-qdcount']++
      return this.answer(ctx, writeFormErr(bytes, 0, bytes.length, this.out))
    }
    if (q.hasEdns && q.ednsVersion > 0) {
      this.drops['dns-bad-edns-version']++
      return this.answer(ctx, writeEmptyAnswer(q, this.out, RCODE_BADVERS))
    }
    const name = q.qname
    if (name === DOH_CANARY) return this.answer(ctx, writeEmptyAnswer(q, this.out, RCODE.NXDOMAIN))
    if (q.qclass === CLASS_IN) {
      const qtype = q.qtype
      if (qtype === TYPE.PTR) {
        const local = this.answerPtr(q, ctx)
        if (local !== null) return local
      }
      let hot = this.hot.get(name)
      if (hot === undefined) {
        if (this.hot.size >= HOT_NAMES_MAX) this.hot.clear()
        hot = { res: this.patterns.match(name) ?? null, a: null }
        this.hot.set(name, hot)
      }
      const res = hot.res
      if (res !== null) {
        if (qtype === TYPE.A || qtype === TYPE.AAAA) return this.answerAddress(q, ctx, res, qtype, hot)
        if (qtype === TYPE.HTTPS || qtype === TYPE.SVCB)
          return this.answer(ctx, writeEmptyAnswer(q, this.out, RCODE.NOERROR))
        return this.resolveAtSite(now, bytes, ctx, res)
      }
    }
    return this.forward(now, bytes, ctx)
  }

  /**
   * The response to a forward or a resolve-at-site with this `token`. Returns the answer for the
   * asker, a new forward over TCP (the UDP answer was truncated), or a drop (a late response
   * after the timeout, or one that is not the answer to the query: the forward keeps waiting).
   */
  handleUpstreamResponse(now: number, token: number, bytes: Uint8Array): StubOutcome<A> {
    const p = this.pending.get(token)
    if (p === undefined) return this.drop('upstream-unknown-token')
    const r = this.respView
    const bad = scanMessage(bytes, 0, bytes.length, r)
    if (bad !== null) {
      this.pending.delete(token)
      this.drops['upstream-malformed']++
      return this.servfail(p)
    }
    if (!r.qr) return this.drop('upstream-not-a-response')
    if (r.id !== p.id) return this.drop('upstream-id-mismatch')
    if (r.qdcount > 0 && (r.qname !== p.qname || r.qtype !== p.qtype || r.qclass !== p.qclass))
      return this.drop('upstream-question-mismatch')
    if (r.tc && p.transport === 'udp' && p.upstream !== null) {
      // RFC 7766 §5: a truncated UDP answer is retried over TCP.
      p.transport = 'tcp'
      p.deadline = now + this.timeoutMs
      this.pending.delete(token)
      this.pending.set(token, p)
      return { kind: 'forward', token, upstream: p.upstream, transport: 'tcp', bytes: p.query }
    }
    this.pending.delete(token)
    // RFC 1035 §4.2.1 / RFC 6891 §7: over UDP, the asker gets no more than it can take.
    const out = p.clientTransport === 'udp' ? truncateForUdp(bytes, r, p.udpLimit) : bytes
    return { kind: 'answer', bytes: out, asker: p.asker, transport: p.clientTransport }
  }

  /** Expires forwards whose deadline has passed: each asker gets SERVFAIL via `pollReply`. Early calls do nothing. */
  handleTimeout(now: number): void {
    for (const p of this.pending.values()) {
      if (p.deadline > now) break
      this.pending.delete(p.token)
      this.drops['upstream-timeout']++
      this.replies.push(this.servfail(p))
    }
  }

  // (D) outputs ---------------------------------------------------------------------------------

  /** The next answer produced by `handleTimeout`. */
  pollReply(): Answer<A> | null {
    return this.replies.shift() ?? null
  }

  /** The earliest deadline of a waiting forward, or null. */
  pollTimeout(): number | null {
    for (const p of this.pending.values()) return p.deadline
    return null
  }

  /** The next control-plane event. */
  pollEvent(): StubEvent | null {
    return this.events.shift() ?? null
  }

  /** Forwards waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size
  }

  // internals -----------------------------------------------------------------------------------

  private drop(reason: StubDrop): Dropped {
    this.drops[reason]++
    return { kind: 'drop', reason }
  }

  private answer(ctx: QueryContext<A>, len: number): Answer<A> {
    return { kind: 'answer', bytes: this.out.slice(0, len), asker: ctx.asker, transport: ctx.transport }
  }

  private answerAddress(
    q: MessageView,
    ctx: QueryContext<A>,
    res: Resource,
    qtype: number,
    hot: Hot,
  ): Answer<A> {
    const v4 = qtype === TYPE.A
    // MISSION.md: a resource restricted to one stack answers the other family NOERROR, no records.
    if (v4 ? !res.v4 : !res.v6) return this.answer(ctx, writeEmptyAnswer(q, this.out, RCODE.NOERROR))
    let a = hot.a ?? this.proxyIps.get(q.qname, res.id)
    if (a === undefined || (res.v4 && a.v4 === null) || (res.v6 && a.v6 === null)) {
      const got = this.proxyIps.assign(q.qname, res.id, res.v4, res.v6)
      if (got === 'exhausted') {
        this.drops['proxy-ips-exhausted']++
        this.events.push({ kind: 'exhausted', name: q.qname, resourceId: res.id })
        return this.answer(ctx, writeEmptyAnswer(q, this.out, RCODE.SERVFAIL))
      }
      a = got.assignment
      if (got.changed) this.events.push({ kind: 'assigned', ...describe(a) })
    }
    hot.a = a
    const addrs = v4 ? a.v4Bytes! : a.v6!
    return this.answer(
      ctx,
      writeAddressAnswer(q, this.out, v4 ? TYPE.A : TYPE.AAAA, addrs, PROXY_IPS_PER_FAMILY, RESOURCE_TTL_S),
    )
  }

  /** PTR for a proxy IP: its name; for an unassigned proxy-prefix address: NXDOMAIN; else null (not ours). */
  private answerPtr(q: MessageView, ctx: QueryContext<A>): Answer<A> | null {
    const name = q.qname
    let a: Assignment | undefined
    if (name.endsWith('.in-addr.arpa')) {
      const addr = parseReverseV4(name)
      if (addr === null || addr >>> 21 !== 0x64600000 >>> 21) return null
      a = this.proxyIps.byIpv4(addr)
    } else if (name.endsWith('.ip6.arpa')) {
      if (!parseReverseV6(name, this.reverse16)) return null
      const b = this.reverse16
      // inside fd00:2021:1111:8000::/107?
      if (
        b[0] !== 0xfd ||
        b[1] !== 0 ||
        b[2] !== 0x20 ||
        b[3] !== 0x21 ||
        b[4] !== 0x11 ||
        b[5] !== 0x11 ||
        b[6] !== 0x80 ||
        b[7] !== 0 ||
        b[8] !== 0 ||
        b[9] !== 0 ||
        b[10] !== 0 ||
        b[11] !== 0 ||
        b[12] !== 0 ||
        (b[13] & 0xe0) !== 0
      )
        return null
      a = this.proxyIps.byIpv6(b)
    } else return null
    if (a === undefined) return this.answer(ctx, writeEmptyAnswer(q, this.out, RCODE.NXDOMAIN))
    const len = nameToWire(a.name, this.nameWire)
    if (len < 0) return this.answer(ctx, writeEmptyAnswer(q, this.out, RCODE.SERVFAIL))
    return this.answer(ctx, writePtrAnswer(q, this.out, this.nameWire, len, RESOURCE_TTL_S))
  }

  private addPending(
    now: number,
    bytes: Uint8Array,
    ctx: QueryContext<A>,
    upstream: Upstream | null,
  ): Pending<A> | null {
    if (this.pending.size >= this.maxPending) return null
    const q = this.view
    const token = this.nextToken
    this.nextToken = this.nextToken >= 0x7fffffff ? 1 : this.nextToken + 1
    const p: Pending<A> = {
      token,
      asker: ctx.asker,
      clientTransport: ctx.transport,
      query: bytes.slice(),
      id: q.id,
      qname: q.qname,
      qtype: q.qtype,
      qclass: q.qclass,
      udpLimit: q.udpLimit,
      upstream,
      transport: ctx.transport,
      deadline: now + this.timeoutMs,
    }
    this.pending.set(token, p)
    return p
  }

  private forward(now: number, bytes: Uint8Array, ctx: QueryContext<A>): StubOutcome<A> {
    const upstream = this.sentinels.upstream(ctx.sentinel)
    if (upstream === undefined) {
      this.drops['stub-unknown-sentinel']++
      return this.answer(ctx, writeEmptyAnswer(this.view, this.out, RCODE.REFUSED))
    }
    const p = this.addPending(now, bytes, ctx, upstream)
    if (p === null) {
      this.drops['stub-too-many-pending']++
      return this.answer(ctx, writeEmptyAnswer(this.view, this.out, RCODE.SERVFAIL))
    }
    return { kind: 'forward', token: p.token, upstream, transport: p.transport, bytes: p.query }
  }

  private resolveAtSite(now: number, bytes: Uint8Array, ctx: QueryContext<A>, res: Resource): StubOutcome<A> {
    const p = this.addPending(now, bytes, ctx, null)
    if (p === null) {
      this.drops['stub-too-many-pending']++
      return this.answer(ctx, writeEmptyAnswer(this.view, this.out, RCODE.SERVFAIL))
    }
    return {
      kind: 'resolve-at-site',
      token: p.token,
      resourceId: res.id,
      name: p.qname,
      qtype: p.qtype,
      bytes: p.query,
    }
  }

  private servfail(p: Pending<A>): Answer<A> {
    const v = new MessageView()
    // The stored query scanned once already; scanning it again cannot fail.
    scanMessage(p.query, 0, p.query.length, v)
    const out = new Uint8Array(ANSWER_BUF_LEN)
    const len = writeEmptyAnswer(v, out, RCODE.SERVFAIL)
    return { kind: 'answer', bytes: out.slice(0, len), asker: p.asker, transport: p.clientTransport }
  }
}

function describe(a: Assignment): { name: string; resourceId: string; ipv4: string[]; ipv6: string[] } {
  const ipv4 = a.v4 === null ? [] : Array.from(a.v4, ipv4ToText)
  const ipv6: string[] = []
  if (a.v6 !== null) for (let j = 0; j < PROXY_IPS_PER_FAMILY; j++) ipv6.push(ipv6ToText(a.v6, 16 * j))
  return { name: a.name, resourceId: a.resourceId, ipv4, ipv6 }
}

/** `d.c.b.a.in-addr.arpa` -> a.b.c.d as u32 (RFC 1035 §3.5), or null. */
export function parseReverseV4(name: string): number | null {
  const parts = name.split('.')
  if (parts.length !== 6) return null
  let addr = 0
  for (let i = 3; i >= 0; i--) {
    const s = parts[i]
    if (!/^(0|[1-9][0-9]{0,2})$/.test(s)) return null
    const n = Number(s)
    if (n > 255) return null
    addr = addr * 256 + n
  }
  return addr >>> 0
}

/** 32 nibble labels then `ip6.arpa` -> 16 bytes in `out` (RFC 3596 §2.5); false when not that. */
export function parseReverseV6(name: string, out: Uint8Array): boolean {
  // 32 x "h." + "ip6.arpa"
  if (name.length !== 64 + 8 || !name.endsWith('ip6.arpa')) return false
  for (let i = 0; i < 32; i++) {
    const c = name.charCodeAt(2 * i)
    if (name.charCodeAt(2 * i + 1) !== 0x2e) return false
    const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1
    if (v < 0) return false
    const byte = 15 - (i >> 1)
    if ((i & 1) === 0) out[byte] = v
    else out[byte] |= v << 4
  }
  return true
}
