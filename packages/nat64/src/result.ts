/**
 * The translation result: one reusable object, so the packet path allocates nothing.
 *
 * In-place contract (see README "Buffers"):
 * - IPv6 -> IPv4 shrinks: the IPv4 packet ends where the IPv6 packet ended
 *   and starts 20 bytes (plus skipped extension headers) later; `packets[0]`
 *   is the input buffer with `off`/`len` moved.
 * - IPv4 -> IPv6 grows by 20 bytes (28 when a Fragment header is added): the
 *   IPv6 header is written into the headroom before `off`. Leave
 *   `NAT64_HEADROOM` (28) bytes. With less, the payload is moved towards the
 *   end of the buffer when it has that much tailroom; else the drop is
 *   `nat64-no-room`.
 * - Fragmentation (IPv4 DF=0 bigger than the lowest IPv6 MTU; IPv6 fragments
 *   bigger than the IPv4 MTU): the first fragment stays in the input buffer,
 *   the others are written into the caller's `fragmentBuffers`, in order,
 *   as `packets[1..count-1]`.
 * - ICMP errors (translated ones, and those the translator makes itself)
 *   are written into `errorBuf`; `packets[0]` then points at it.
 * Everything in `packets` is valid until the next `translate` with this result.
 */
import { ERROR_BUF_LEN } from './constants.ts'
import type { Nat64DropReason, Nat64ErrorReason } from './reasons.ts'

/** A packet in a buffer: the bytes `buf[off..off+len]`. Mutable and reused. */
export interface PacketBuf {
  buf: Uint8Array
  off: number
  len: number
}

export type TranslateAction = 'translated' | 'icmp-error' | 'drop'

/** A drop reason from this package or, for malformed input, from `@gatehouse/ip-packet`. */
export type TranslateReason = Nat64DropReason | Nat64ErrorReason | (string & {})

/** The reusable result of `translate`. */
export class TranslateResult {
  /** What happened. */
  action: TranslateAction = 'drop'
  /** Why, for 'icmp-error' and 'drop'; null for 'translated'. */
  reason: TranslateReason | null = null
  /**
   * Last IPv4 identification given to a translated packet without a Fragment
   * header and DF=0 (RFC 7915 §5.1; RFC 6864 §4.2): a counter, so the result
   * object is also the translator's only state.
   */
  ident = 0
  /** Number of valid entries in `packets`. */
  count = 0
  /** Output packets; entries past `count` are stale. */
  readonly packets: PacketBuf[]
  /** Scratch for ICMP errors, owned by this result. */
  readonly errorBuf: Uint8Array
  /** Buffers for fragments 2..n, owned by the caller; each should hold the larger MTU. */
  readonly fragmentBuffers: readonly Uint8Array[]

  /**
   * @param fragmentBuffers buffers for extra fragments. A 65535-byte IPv4
   *   datagram becomes up to 53 fragments at 1280; 2 suffice for one
   *   1500-byte packet at any MTU >= 1280.
   */
  constructor(fragmentBuffers: readonly Uint8Array[] = [new Uint8Array(1500), new Uint8Array(1500)]) {
    this.errorBuf = new Uint8Array(ERROR_BUF_LEN)
    this.fragmentBuffers = fragmentBuffers
    this.packets = [{ buf: this.errorBuf, off: 0, len: 0 }]
    for (const b of fragmentBuffers) this.packets.push({ buf: b, off: 0, len: 0 })
  }
}
