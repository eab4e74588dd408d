/**
 * The thin shell: binds a `Device` to a Bun UDP socket and a timer. Everything protocol-related is
 * in the core; this file only moves bytes and time.
 *
 * - IPv4 and IPv6: bind `hostname` `'0.0.0.0'` for IPv4 only, `'::'` for both (IPv4 peers then
 *   appear as `::ffff:a.b.c.d`, and endpoints given as plain IPv4 are sent to in that form).
 * - `now` is `performance.now()`; the wall clock is `Date.now()`; randomness is
 *   `crypto.getRandomValues`.
 * - `onPacket(buf, off, len, peer)` receives each decrypted IP packet, `buf[off..off+len)`, valid only
 *   during the call (it is the datagram buffer, decrypted in place).
 */
import type { udp } from 'bun'
import { Device, type DeviceConfig } from './device.ts'
import type { Peer } from './peer.ts'

export interface UdpTunnelOptions extends Omit<DeviceConfig, 'random' | 'unixMs'> {
  /** Address to bind: '0.0.0.0' (IPv4), '::' (IPv6 and mapped IPv4). Default '::'. */
  hostname?: string
  /** UDP port to bind; 0 picks one. */
  port?: number
  /** Called with each decrypted packet `buf[off..off+len)` (valid during the call only). */
  onPacket: (buf: Uint8Array, off: number, len: number, peer: Peer) => void
  /** Called with each control-plane event (handshake complete/failed, keys zeroed). */
  onEvent?: (event: ReturnType<Device['pollEvent']> & object) => void
}

const random = (b: Uint8Array) => {
  crypto.getRandomValues(b)
}

/** A running tunnel: the core, its socket, and its single timer. */
export class UdpTunnel {
  readonly device: Device
  private socket: udp.Socket<'uint8array'> | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private timerAt = Number.POSITIVE_INFINITY
  private v6 = true
  private readonly from = { address: '', port: 0 }
  /** Socket errors seen (e.g. ECONNREFUSED from an ICMP port unreachable). */
  socketErrors = 0

  private constructor(private readonly options: UdpTunnelOptions) {
    this.device = new Device({ ...options, random, unixMs: () => Date.now() })
  }

  /** Creates the device and binds the socket. */
  static async open(options: UdpTunnelOptions): Promise<UdpTunnel> {
    const t = new UdpTunnel(options)
    const hostname = options.hostname ?? '::'
    t.v6 = hostname.includes(':')
    t.socket = await Bun.udpSocket({
      hostname,
      port: options.port ?? 0,
      binaryType: 'uint8array',
      socket: {
        data: (_s, data, port, address) => t.onDatagram(data, port, address),
        // ICMP errors for our datagrams (port unreachable while the peer restarts, …) surface as
        // socket errors; they are counted, never fatal: the protocol's timers recover.
        error: () => {
          t.socketErrors++
        },
      },
    })
    return t
  }

  /** The bound UDP port. */
  get port(): number {
    return this.socket?.port ?? 0
  }

  /** Encrypts and sends an IP packet to the peer its destination routes to (or `peer`). */
  send(packet: Uint8Array, peer: Peer | null = this.device.peerForDestination(packet)): void {
    if (peer === null) return
    this.device.handlePacket(performance.now(), peer, packet)
    this.flush()
  }

  /**
   * Encrypts and sends `buf[off..off+len)` (the TUN read path, no views made) to `peer`, or to the
   * peer whose allowed IPs hold its destination. False when no peer routes it.
   */
  sendPacket(
    buf: Uint8Array,
    off: number,
    len: number,
    peer: Peer | null = this.device.peerForDestination(buf, off),
  ): boolean {
    if (peer === null) return false
    this.device.handlePacket(performance.now(), peer, buf, off, len)
    this.flush()
    return true
  }

  /** Starts a handshake with `peer` now. */
  initiate(peer: Peer): void {
    this.device.initiate(performance.now(), peer)
    this.flush()
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.socket?.close()
    this.socket = null
  }

  private onDatagram(data: Uint8Array, port: number, address: string): void {
    this.from.address = address
    this.from.port = port
    const v = this.device.handleDatagram(performance.now(), this.from, data)
    if (v === 'forward') {
      const rx = this.device.rx
      this.options.onPacket(data, rx.off, rx.len, rx.peer!)
    }
    this.flushSoon()
  }

  /**
   * Flushes once the current batch of callbacks is done (a microtask), so a burst of TUN reads or
   * datagrams leaves in one `sendMany` (sendmmsg). Transmit slots stay valid until polled, and the
   * ring (TRANSMIT_QUEUE_SIZE) is larger than a TUN read batch.
   */
  private flushSoon(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    queueMicrotask(this.flushTask)
  }
  private flushQueued = false
  private readonly flushTask = () => {
    this.flushQueued = false
    this.flush()
  }
  private readonly batch: (Uint8Array | number | string)[] = []
  private lastMappedFrom = ''
  private lastMappedTo = ''

  private flush(): void {
    const s = this.socket
    if (s === null) return
    const b = this.batch
    for (let t = this.device.pollTransmit(); t !== null; t = this.device.pollTransmit()) {
      let addr = t.to.address
      if (this.v6 && !addr.includes(':')) {
        if (addr !== this.lastMappedFrom) {
          this.lastMappedFrom = addr
          this.lastMappedTo = `::ffff:${addr}`
        }
        addr = this.lastMappedTo
      }
      b.push(t.data.subarray(0, t.length), t.to.port, addr)
    }
    if (b.length === 3) s.send(b[0] as Uint8Array, b[1] as number, b[2] as string)
    else if (b.length > 0) s.sendMany(b)
    b.length = 0
    for (let e = this.device.pollEvent(); e !== null; e = this.device.pollEvent()) this.options.onEvent?.(e)
    this.arm()
  }

  /** Keeps one timer at the earliest deadline; a later deadline waits for the earlier wake-up. */
  private arm(): void {
    const at = this.device.pollTimeout()
    if (at === null || at >= this.timerAt) return
    if (this.timer !== null) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(
      () => {
        this.timer = null
        this.timerAt = Number.POSITIVE_INFINITY
        this.device.handleTimeout(performance.now())
        this.flush()
      },
      Math.max(0, at - performance.now()),
    )
  }
}
