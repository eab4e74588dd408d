/**
 * Proxy IPs for DNS resources (MISSION.md "Client, DNS"): each (name, resource) pair gets 4 IPv4
 * from 100.96.0.0/11 and 4 IPv6 from fd00:2021:1111:8000::/107, on first A or AAAA query, and
 * keeps them while the resource exists. An address is never handed out twice while in use.
 *
 * Each family is a pool of 2^21 addresses (32 - 11 and 128 - 107 host bits) named by their index
 * inside the prefix. Fresh indexes are handed out in order; released ones go to the back of a
 * FIFO and are reused only once no fresh index is left, so a just-released address (which an
 * application may still have cached) is the last to come back. The IPv4 pool skips the prefix's
 * first and last addresses and the sentinel block 100.100.111.0/24, which lies inside it.
 *
 * Exhaustion is a value ('exhausted'), never a partial assignment.
 * @module
 */

/** 100.96.0.0, the IPv4 proxy prefix (/11). */
export const PROXY_V4_BASE = 0x64600000
/** The IPv6 proxy prefix fd00:2021:1111:8000::/107, as its first 16 bytes. */
export const PROXY_V6_PREFIX = Uint8Array.of(
  0xfd,
  0x00,
  0x20,
  0x21,
  0x11,
  0x11,
  0x80,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
)
/** Host bits of both proxy prefixes: 32 - 11 = 128 - 107 = 21. */
export const PROXY_HOST_BITS = 21
/** Proxy IPs per family per (name, resource). */
export const PROXY_IPS_PER_FAMILY = 4
/** 100.100.111.0, the IPv4 sentinel block (/24) inside the IPv4 proxy prefix. */
const SENTINEL_V4_BASE = 0x64646f00

/** The proxy IPs of one (name, resource) pair. Families the resource does not use stay null. */
export interface Assignment {
  readonly name: string
  readonly resourceId: string
  /** 4 IPv4 addresses as u32, or null. */
  v4: Uint32Array | null
  /** The same 4 IPv4 addresses as 16 bytes, ready for the answer writer. */
  v4Bytes: Uint8Array | null
  /** 4 IPv6 addresses, 16 bytes each (64 bytes), or null. */
  v6: Uint8Array | null
}

/** One family's indexes: fresh ones in order, then released ones, oldest release first. */
class Pool {
  private next = 0
  private freshLeft: number
  private readonly freed: number[] = []
  private freedHead = 0

  /** `skip` marks indexes never handed out; `skipped` is how many of them lie below `size`. */
  constructor(
    size: number,
    private readonly skip: (i: number) => boolean,
    skipped: number,
  ) {
    this.freshLeft = size - skipped
  }

  /** Takes `n` indexes, or returns null (taking none) when fewer are left. */
  take(n: number): number[] | null {
    if (this.available() < n) return null
    const out: number[] = []
    while (out.length < n && this.freshLeft > 0) {
      const i = this.next++
      if (this.skip(i)) continue
      out.push(i)
      this.freshLeft--
    }
    while (out.length < n) out.push(this.freed[this.freedHead++])
    if (this.freedHead > 1024 && this.freedHead * 2 > this.freed.length) {
      this.freed.splice(0, this.freedHead)
      this.freedHead = 0
    }
    return out
  }

  /** Returns an index to the back of the reuse queue. */
  give(i: number): void {
    this.freed.push(i)
  }

  /** Indexes that `take` can still hand out. */
  available(): number {
    return this.freshLeft + this.freed.length - this.freedHead
  }
}

/** Allocation limits; the defaults are the real prefixes. Tests shrink them to reach exhaustion. */
export interface ProxyIpOptions {
  /** How many indexes of each prefix may be used (default 2^21). */
  poolSize?: number
}

/**
 * Hands out and remembers proxy IPs. Lookups by (name, resource) and by address are Map reads.
 */
export class ProxyIpAllocator {
  private readonly v4Pool: Pool
  private readonly v6Pool: Pool
  private readonly byKey = new Map<string, Assignment>()
  private readonly byV4 = new Map<number, Assignment>()
  /** Keyed by the index inside the IPv6 prefix (the last 21 bits). */
  private readonly byV6 = new Map<number, Assignment>()

  constructor(opts: ProxyIpOptions = {}) {
    const size = opts.poolSize ?? 1 << PROXY_HOST_BITS
    if (!(size >= PROXY_IPS_PER_FAMILY && size <= 1 << PROXY_HOST_BITS))
      throw new Error(`poolSize: must be between 4 and 2^21, got ${size}`)
    const last = (1 << PROXY_HOST_BITS) - 1
    const sentinelFirst = SENTINEL_V4_BASE - PROXY_V4_BASE
    const skipped = 1 + (size > last ? 1 : 0) + Math.max(0, Math.min(256, size - sentinelFirst))
    this.v4Pool = new Pool(
      size,
      (i) => i === 0 || i === last || (i >= sentinelFirst && i < sentinelFirst + 256),
      skipped,
    )
    this.v6Pool = new Pool(size, () => false, 0)
  }

  /** The assignment of (name, resource), if any. */
  get(name: string, resourceId: string): Assignment | undefined {
    return this.byKey.get(key(name, resourceId))
  }

  /**
   * Returns the assignment of (name, resource), giving it the families asked for that it does
   * not have yet. `changed` tells whether anything new was handed out. 'exhausted' when a pool
   * has fewer than 4 addresses left; nothing is taken then.
   */
  assign(
    name: string,
    resourceId: string,
    wantV4: boolean,
    wantV6: boolean,
  ): { assignment: Assignment; changed: boolean } | 'exhausted' {
    const k = key(name, resourceId)
    let a = this.byKey.get(k)
    const needV4 = wantV4 && (a === undefined || a.v4 === null)
    const needV6 = wantV6 && (a === undefined || a.v6 === null)
    if (!needV4 && !needV6 && a !== undefined) return { assignment: a, changed: false }
    const i4 = needV4 ? this.v4Pool.take(PROXY_IPS_PER_FAMILY) : null
    if (needV4 && i4 === null) return 'exhausted'
    const i6 = needV6 ? this.v6Pool.take(PROXY_IPS_PER_FAMILY) : null
    if (needV6 && i6 === null) {
      if (i4 !== null) for (const i of i4) this.v4Pool.give(i)
      return 'exhausted'
    }
    if (a === undefined) {
      a = { name, resourceId, v4: null, v4Bytes: null, v6: null }
      this.byKey.set(k, a)
    }
    if (i4 !== null) {
      const v4 = new Uint32Array(PROXY_IPS_PER_FAMILY)
      const bytes = new Uint8Array(4 * PROXY_IPS_PER_FAMILY)
      for (let j = 0; j < i4.length; j++) {
        const addr = (PROXY_V4_BASE + i4[j]) >>> 0
        v4[j] = addr
        bytes[4 * j] = addr >>> 24
        bytes[4 * j + 1] = (addr >>> 16) & 0xff
        bytes[4 * j + 2] = (addr >>> 8) & 0xff
        bytes[4 * j + 3] = addr & 0xff
        this.byV4.set(addr, a)
      }
      a.v4 = v4
      a.v4Bytes = bytes
    }
    if (i6 !== null) {
      const v6 = new Uint8Array(16 * PROXY_IPS_PER_FAMILY)
      for (let j = 0; j < i6.length; j++) {
        v6.set(PROXY_V6_PREFIX, 16 * j)
        v6[16 * j + 13] = (i6[j] >> 16) & 0x1f
        v6[16 * j + 14] = (i6[j] >> 8) & 0xff
        v6[16 * j + 15] = i6[j] & 0xff
        this.byV6.set(i6[j], a)
      }
      a.v6 = v6
    }
    return { assignment: a, changed: true }
  }

  /** The assignment an IPv4 proxy address (u32) belongs to. */
  byIpv4(addr: number): Assignment | undefined {
    return this.byV4.get(addr >>> 0)
  }

  /** The assignment an IPv6 proxy address (16 bytes at `off`) belongs to. */
  byIpv6(b: Uint8Array, off = 0): Assignment | undefined {
    for (let i = 0; i < 13; i++) if (b[off + i] !== PROXY_V6_PREFIX[i]) return undefined
    if ((b[off + 13] & 0xe0) !== 0) return undefined
    return this.byV6.get(((b[off + 13] & 0x1f) << 16) | (b[off + 14] << 8) | b[off + 15])
  }

  /** Frees every assignment of a resource (it was removed); returns them. */
  releaseResource(resourceId: string): Assignment[] {
    const out: Assignment[] = []
    for (const [k, a] of this.byKey) {
      if (a.resourceId !== resourceId) continue
      this.byKey.delete(k)
      if (a.v4 !== null)
        for (const addr of a.v4) {
          this.byV4.delete(addr)
          this.v4Pool.give(addr - PROXY_V4_BASE)
        }
      if (a.v6 !== null)
        for (let j = 0; j < PROXY_IPS_PER_FAMILY; j++) {
          const i = ((a.v6[16 * j + 13] & 0x1f) << 16) | (a.v6[16 * j + 14] << 8) | a.v6[16 * j + 15]
          this.byV6.delete(i)
          this.v6Pool.give(i)
        }
      out.push(a)
    }
    return out
  }

  /** Every current assignment. */
  all(): IterableIterator<Assignment> {
    return this.byKey.values()
  }

  /** Addresses of each family still available. */
  available(): { v4: number; v6: number } {
    return { v4: this.v4Pool.available(), v6: this.v6Pool.available() }
  }
}

function key(name: string, resourceId: string): string {
  return `${resourceId}\u0000${name}`
}
