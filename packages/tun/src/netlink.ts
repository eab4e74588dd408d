/**
 * Link, address and route configuration over rtnetlink (RFC 3549; the message
 * layouts of <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_addr.h>,
 * <linux/if_link.h>), through the FFI `socket`/`sendto`/`recv`: no `ip`
 * process per step, and errors come back as errno values.
 *
 * Every request carries NLM_F_ACK and is answered by an NLMSG_ERROR whose
 * `error` is 0 (done) or a negative errno. All integers are host order
 * (little-endian on x86_64 and aarch64); attributes are 4-byte aligned.
 * Config time only: it allocates freely and runs synchronously.
 */
import { ptr } from 'bun:ffi'
import type { Cidr } from '@gatehouse/ip-packet'
import { errno, libc } from './libc.ts'

const AF_UNSPEC = 0
const AF_INET = 2
const AF_INET6 = 10
const AF_NETLINK = 16
const SOCK_RAW = 3
const SOCK_CLOEXEC = 0o2000000
const NETLINK_ROUTE = 0

// <linux/netlink.h>
const NLMSG_HDRLEN = 16
const NLMSG_ERROR = 2
const NLM_F_REQUEST = 0x1
const NLM_F_ACK = 0x4
const NLM_F_EXCL = 0x200
const NLM_F_CREATE = 0x400
// <linux/rtnetlink.h>
const RTM_NEWLINK = 16
const RTM_NEWADDR = 20
const RTM_DELADDR = 21
const RTM_NEWROUTE = 24
const RTM_DELROUTE = 25
const RT_TABLE_MAIN = 254
const RTPROT_BOOT = 3 // what `ip route add` uses
const RT_SCOPE_UNIVERSE = 0
const RT_SCOPE_LINK = 253
const RTN_UNICAST = 1
const RTA_DST = 1
const RTA_OIF = 4
// <linux/if_link.h>, <linux/if_addr.h>, <net/if.h>
const IFLA_MTU = 4
const IFA_ADDRESS = 1
const IFA_LOCAL = 2
const IFA_F_NODAD = 0x02
const IFF_UP = 0x1

/** One rtnetlink socket, opened in the calling thread's network namespace (open it inside `withNetns`). */
export class Rtnl {
  private seq = 1
  private readonly rx = new Uint8Array(8192)

  private constructor(readonly fd: number) {}

  /** Opens the socket; -errno on failure. */
  static open(): Rtnl | number {
    const fd = libc().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)
    return fd < 0 ? -errno() : new Rtnl(fd)
  }

  close(): void {
    libc().close(this.fd)
  }

  /** RTM_NEWLINK: set the MTU. 0 or -errno. */
  setMtu(index: number, mtu: number): number {
    const m = this.link(index, 0, 0)
    m.attrU32(IFLA_MTU, mtu)
    return this.call(m)
  }

  /** RTM_NEWLINK: set IFF_UP. 0 or -errno. */
  setUp(index: number): number {
    return this.call(this.link(index, IFF_UP, IFF_UP))
  }

  /** RTM_NEWADDR / RTM_DELADDR, as `ip addr add|del A/L dev X` (IPv6 with `nodad`). 0 or -errno. */
  addr(add: boolean, index: number, a: Cidr): number {
    const m = new Msg(add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_EXCL : 0)
    // struct ifaddrmsg { u8 family, prefixlen, flags, scope; u32 index }
    m.u8(a.family === 4 ? AF_INET : AF_INET6)
    m.u8(a.prefixLen)
    m.u8(a.family === 6 ? IFA_F_NODAD : 0)
    m.u8(RT_SCOPE_UNIVERSE)
    m.u32(index)
    const bytes = addrBytes(a)
    m.attr(IFA_LOCAL, bytes)
    m.attr(IFA_ADDRESS, bytes)
    return this.call(m)
  }

  /** RTM_NEWROUTE / RTM_DELROUTE, as `ip route add|del P/L dev X` in the main table. 0 or -errno. */
  route(add: boolean, index: number, p: Cidr): number {
    const m = new Msg(add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_EXCL : 0)
    // struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags }
    m.u8(p.family === 4 ? AF_INET : AF_INET6)
    m.u8(p.prefixLen)
    m.u8(0)
    m.u8(0)
    m.u8(RT_TABLE_MAIN)
    m.u8(add ? RTPROT_BOOT : 0)
    // iproute2's default: a device route is link-scoped on IPv4, universe on IPv6.
    m.u8(p.family === 4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE)
    m.u8(RTN_UNICAST)
    m.u32(0)
    m.attr(RTA_DST, addrBytes(p))
    m.attrU32(RTA_OIF, index)
    return this.call(m)
  }

  private link(index: number, flags: number, change: number): Msg {
    const m = new Msg(RTM_NEWLINK, 0)
    // struct ifinfomsg { u8 family; u8 pad; u16 type; i32 index; u32 flags; u32 change }
    m.u8(AF_UNSPEC)
    m.u8(0)
    m.u16(0)
    m.u32(index)
    m.u32(flags)
    m.u32(change)
    return m
  }

  /** Sends one request and reads its NLMSG_ERROR acknowledgement: 0 or -errno. */
  private call(m: Msg): number {
    const seq = this.seq++
    const msg = m.finish(seq)
    // struct sockaddr_nl { u16 family; u16 pad; u32 pid = 0 (the kernel); u32 groups }
    const to = new Uint8Array(12)
    to[0] = AF_NETLINK
    const L = libc()
    if (L.sendto(this.fd, ptr(msg), msg.length, 0, ptr(to), 12) < 0) return -errno()
    for (;;) {
      const n = L.recv(this.fd, ptr(this.rx), this.rx.length, 0)
      if (n < 0) return -errno()
      const v = new DataView(this.rx.buffer, 0, n)
      for (let off = 0; off + NLMSG_HDRLEN <= n; ) {
        const len = v.getUint32(off, true)
        const type = v.getUint16(off + 4, true)
        if (len < NLMSG_HDRLEN) break
        if (type === NLMSG_ERROR && v.getUint32(off + 8, true) === seq)
          return v.getInt32(off + NLMSG_HDRLEN, true)
        off += (len + 3) & ~3
      }
    }
  }
}

function addrBytes(a: Cidr): Uint8Array {
  if (a.family === 6) return a.addr6
  return new Uint8Array([a.addr4 >>> 24, (a.addr4 >>> 16) & 0xff, (a.addr4 >>> 8) & 0xff, a.addr4 & 0xff])
}

/** A request under construction: nlmsghdr (filled by `finish`), the family header, then attributes. */
class Msg {
  private readonly b = new Uint8Array(256)
  private readonly v = new DataView(this.b.buffer)
  private n = NLMSG_HDRLEN

  constructor(
    private readonly type: number,
    private readonly flags: number,
  ) {}

  u8(x: number): void {
    this.b[this.n++] = x
  }
  u16(x: number): void {
    this.v.setUint16(this.n, x, true)
    this.n += 2
  }
  u32(x: number): void {
    this.v.setUint32(this.n, x >>> 0, true)
    this.n += 4
  }
  /** struct rtattr { u16 len; u16 type } + payload, padded to 4 bytes. */
  attr(type: number, payload: Uint8Array): void {
    this.v.setUint16(this.n, 4 + payload.length, true)
    this.v.setUint16(this.n + 2, type, true)
    this.b.set(payload, this.n + 4)
    this.n += (4 + payload.length + 3) & ~3
  }
  attrU32(type: number, x: number): void {
    const p = new Uint8Array(4)
    new DataView(p.buffer).setUint32(0, x >>> 0, true)
    this.attr(type, p)
  }
  finish(seq: number): Uint8Array {
    // struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid }
    this.v.setUint32(0, this.n, true)
    this.v.setUint16(4, this.type, true)
    this.v.setUint16(6, NLM_F_REQUEST | NLM_F_ACK | this.flags, true)
    this.v.setUint32(8, seq, true)
    this.v.setUint32(12, 0, true)
    return this.b.subarray(0, this.n)
  }
}
