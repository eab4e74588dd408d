/**
 * The thin I/O shell: one DNS exchange with an upstream over UDP (a connected socket of its
 * own, so the source port is fresh per query, RFC 5452 §9.2) or TCP (RFC 7766, 2-byte framing),
 * and the driver that runs a `GatewayResolver` on real sockets. No decisions are taken here:
 * retries, timeouts and matching answers to queries belong to the sans-IO cores.
 * @module
 */

import { readFileSync } from 'node:fs'
import { GatewayResolver, type GatewayResolverOptions, type ResolveResult } from './gateway-resolver.ts'
import { parseResolvConf, type Upstream } from './sentinels.ts'
import type { Transport } from './stub.ts'
import { frameTcp, TcpDeframer } from './wire.ts'

/** Monotonic milliseconds, the clock every shell gives its core. */
export const monotonicMs = (): number => performance.now()

/**
 * Sends `bytes` to `to` and calls `onReply` with the first message that comes back. The socket
 * closes after the reply, on an error, or after `lingerMs` (the core's own timeout decides what
 * a missing reply means; this only frees the socket).
 */
export function exchange(
  to: Upstream,
  transport: Transport,
  bytes: Uint8Array,
  lingerMs: number,
  onReply: (reply: Uint8Array) => void,
): void {
  if (transport === 'udp') exchangeUdp(to, bytes, lingerMs, onReply)
  else exchangeTcp(to, bytes, lingerMs, onReply)
}

function exchangeUdp(
  to: Upstream,
  bytes: Uint8Array,
  lingerMs: number,
  onReply: (reply: Uint8Array) => void,
): void {
  let done = false
  Bun.udpSocket({
    hostname: to.family === 6 ? '::' : '0.0.0.0',
    binaryType: 'uint8array',
    connect: { hostname: to.address, port: to.port },
    socket: {
      data(sock, data) {
        if (done) return
        done = true
        sock.close()
        onReply(data)
      },
      error() {
        // e.g. ECONNREFUSED from an ICMP port unreachable: nothing will come; the linger timer closes.
        done = true
      },
    },
  }).then(
    (sock) => {
      sock.send(bytes)
      setTimeout(() => {
        done = true
        if (!sock.closed) sock.close()
      }, lingerMs).unref()
    },
    () => {
      done = true
    },
  )
}

function exchangeTcp(
  to: Upstream,
  bytes: Uint8Array,
  lingerMs: number,
  onReply: (reply: Uint8Array) => void,
): void {
  const deframer = new TcpDeframer()
  let done = false
  Bun.connect({
    hostname: to.address,
    port: to.port,
    socket: {
      open(sock) {
        sock.write(frameTcp(bytes))
        setTimeout(() => {
          done = true
          sock.end()
        }, lingerMs).unref()
      },
      data(sock, chunk) {
        if (done) return
        const msgs = deframer.push(chunk)
        if (msgs.length === 0) return
        done = true
        sock.end()
        onReply(msgs[0])
      },
      error(sock) {
        done = true
        sock.end()
      },
    },
  }).catch(() => {
    done = true
  })
}

/**
 * The host's resolvers, from resolv.conf(5). Configuration: throws, naming the file, when it
 * cannot be read or lists no usable nameserver.
 */
export function hostUpstreams(path = '/etc/resolv.conf'): Upstream[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new Error(`${path}: cannot read the host's resolvers: ${(e as Error).message}`)
  }
  const ups = parseResolvConf(text)
  if (ups.length === 0) throw new Error(`${path}: no usable nameserver line`)
  return ups
}

/**
 * Runs a `GatewayResolver` on real sockets: promises in, the core's decisions out. Without
 * `upstreams` it uses the host's resolvers (`hostUpstreams()`).
 */
export class GatewayResolverShell {
  readonly core: GatewayResolver
  private readonly waiting = new Map<string, ((r: ResolveResult) => void)[]>()
  private readonly forwards = new Map<number, (bytes: Uint8Array) => void>()
  private timer: ReturnType<typeof setTimeout> | null = null
  private readonly lingerMs: number

  constructor(
    opts: Omit<GatewayResolverOptions, 'seed' | 'upstreams'> & {
      seed?: number
      upstreams?: readonly Upstream[]
    },
  ) {
    const seed = opts.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]
    this.core = new GatewayResolver({ ...opts, upstreams: opts.upstreams ?? hostUpstreams(), seed })
    this.lingerMs = (opts.timeoutMs ?? 2000) + 100
  }

  /** A and AAAA of `name`. */
  resolve(name: string): Promise<ResolveResult> {
    const hit = this.core.resolve(monotonicMs(), name)
    if (hit !== null) return Promise.resolve(hit)
    const key = name.toLowerCase().replace(/\.$/, '')
    const p = new Promise<ResolveResult>((res) => {
      const list = this.waiting.get(key)
      if (list === undefined) this.waiting.set(key, [res])
      else list.push(res)
    })
    this.drain()
    return p
  }

  /** A client's query resolved at this site; the answer carries the client's id. */
  forward(query: Uint8Array): Promise<Uint8Array> {
    const handle = this.core.forward(monotonicMs(), query)
    const p = new Promise<Uint8Array>((res) => this.forwards.set(handle, res))
    this.drain()
    return p
  }

  /** Stops the timer (outstanding promises stay unresolved). */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  private drain(): void {
    for (let t = this.core.pollTransmit(); t !== null; t = this.core.pollTransmit()) {
      const txId = t.txId
      exchange(t.upstream, t.transport, t.bytes, this.lingerMs, (reply) => {
        this.core.handleResponse(monotonicMs(), txId, reply)
        this.drain()
      })
    }
    for (let o = this.core.pollResult(); o !== null; o = this.core.pollResult()) {
      if (o.kind === 'resolved') {
        const list = this.waiting.get(o.result.name) ?? []
        this.waiting.delete(o.result.name)
        for (const res of list) res(o.result)
      } else {
        this.forwards.get(o.handle)?.(o.bytes)
        this.forwards.delete(o.handle)
      }
    }
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    const deadline = this.core.pollTimeout()
    if (deadline !== null) {
      this.timer = setTimeout(
        () => {
          this.timer = null
          this.core.handleTimeout(monotonicMs())
          this.drain()
        },
        Math.max(0, deadline - monotonicMs()),
      )
    }
  }
}
