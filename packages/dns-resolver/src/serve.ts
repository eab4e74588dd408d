/**
 * Serves a `StubResolver` on a UDP and a TCP socket (same address and port), forwarding to
 * upstreams through io.ts. The client app reuses it where it answers DNS on sockets; tests and
 * benchmarks use it on loopback so that `dig` and `dnsperf` can talk to the stub.
 * @module
 */
import { exchange, monotonicMs } from './io.ts'
import type { ResolveAtSite, StubEvent, StubOutcome, StubResolver } from './stub.ts'
import { frameTcp, TcpDeframer } from './wire.ts'

/** How the shell reaches an asker again. */
export type Asker =
  | { readonly kind: 'udp'; readonly address: string; readonly port: number }
  | { readonly kind: 'tcp'; readonly socket: { write(b: Uint8Array): number } }

export interface ServeOptions {
  stub: StubResolver<Asker>
  hostname: string
  /** 0 picks a free port (the same for UDP and TCP). */
  port: number
  /** The sentinel address these sockets stand for. */
  sentinel: string
  /** Sends a resolve-at-site request to the gateway; resolves with its answer (none: the stub times out). */
  resolveAtSite?: (req: ResolveAtSite) => Promise<Uint8Array>
  onEvent?: (e: StubEvent) => void
  /** How long a forward's socket stays open waiting (default 5100 ms, past the stub's timeout). */
  lingerMs?: number
}

export interface StubServer {
  readonly port: number
  close(): void
}

/** Binds UDP and TCP on `hostname:port` and runs the stub on them. */
export async function serveStub(opts: ServeOptions): Promise<StubServer> {
  const { stub } = opts
  const lingerMs = opts.lingerMs ?? 5100
  let timer: ReturnType<typeof setTimeout> | null = null

  const bindUdp = (port: number) =>
    Bun.udpSocket({
      hostname: opts.hostname,
      port,
      binaryType: 'uint8array',
      socket: {
        data(_sock, data, port, address) {
          act(
            stub.handleQuery(monotonicMs(), data, {
              transport: 'udp',
              sentinel: opts.sentinel,
              asker: { kind: 'udp', address, port },
            }),
          )
          after()
        },
      },
    })

  const listenTcp = (port: number) =>
    Bun.listen<{ deframer: TcpDeframer }>({
      hostname: opts.hostname,
      port,
      socket: {
        open(sock) {
          sock.data = { deframer: new TcpDeframer() }
        },
        data(sock, chunk) {
          for (const msg of sock.data.deframer.push(chunk)) {
            act(
              stub.handleQuery(monotonicMs(), msg, {
                transport: 'tcp',
                sentinel: opts.sentinel,
                asker: { kind: 'tcp', socket: sock },
              }),
            )
          }
          after()
        },
      },
    })

  // UDP and TCP share one port. With port 0 the UDP socket picks it; should TCP find it taken,
  // both try again on a fresh one.
  let udp = await bindUdp(opts.port)
  let tcp: ReturnType<typeof listenTcp> | null = null
  for (let attempt = 0; tcp === null; attempt++) {
    try {
      tcp = listenTcp(udp.port)
    } catch (e) {
      udp.close()
      if (opts.port !== 0 || attempt >= 4) throw e
      udp = await bindUdp(0)
    }
  }
  const tcpServer = tcp

  function act(o: StubOutcome<Asker>): void {
    switch (o.kind) {
      case 'answer':
        if (o.asker.kind === 'udp') udp.send(o.bytes, o.asker.port, o.asker.address)
        else o.asker.socket.write(frameTcp(o.bytes))
        return
      case 'forward': {
        const token = o.token
        exchange(o.upstream, o.transport, o.bytes, lingerMs, (reply) => {
          act(stub.handleUpstreamResponse(monotonicMs(), token, reply))
          after()
        })
        return
      }
      case 'resolve-at-site': {
        const token = o.token
        opts.resolveAtSite?.(o).then((reply) => {
          act(stub.handleUpstreamResponse(monotonicMs(), token, reply))
          after()
        })
        return
      }
      case 'drop':
        return
    }
  }

  function after(): void {
    for (let r = stub.pollReply(); r !== null; r = stub.pollReply()) act(r)
    if (timer !== null) clearTimeout(timer)
    timer = null
    const deadline = stub.pollTimeout()
    if (deadline !== null)
      timer = setTimeout(
        () => {
          timer = null
          stub.handleTimeout(monotonicMs())
          after()
        },
        Math.max(0, deadline - monotonicMs()),
      )
    for (let e = stub.pollEvent(); e !== null; e = stub.pollEvent()) opts.onEvent?.(e)
  }

  return {
    port: udp.port,
    close() {
      if (timer !== null) clearTimeout(timer)
      udp.close()
      tcpServer.stop(true)
    },
  }
}
