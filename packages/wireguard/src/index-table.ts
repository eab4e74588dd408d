/**
 * The index table (wireguard-go's indextable.go): receiver index → a peer's pending handshake or one
 * of its keypairs. Indices are random 32-bit values (paper §5.4.1), so a message's receiver field
 * finds its session in one lookup and reveals nothing about the peer.
 */
import type { Keypair } from './keypair.ts'

/** An index-table entry: a peer's pending handshake (`keypair === null`) or one of its keypairs. */
export interface IndexEntry<P> {
  readonly peer: P
  readonly keypair: Keypair<P> | null
}

/** Receiver index → entry. Indices are drawn from the injected RNG and never 0 (0 = unset here). */
export class IndexTable<P> {
  private readonly map = new Map<number, IndexEntry<P>>()
  private readonly scratch = new Uint8Array(4)
  constructor(private readonly random: (b: Uint8Array) => void) {}

  get(index: number): IndexEntry<P> | undefined {
    return this.map.get(index)
  }

  /** Reserves a fresh random index for `entry`. */
  add(entry: IndexEntry<P>): number {
    for (;;) {
      this.random(this.scratch)
      const i =
        (this.scratch[0] | (this.scratch[1] << 8) | (this.scratch[2] << 16) | (this.scratch[3] << 24)) >>> 0
      if (i !== 0 && !this.map.has(i)) {
        this.map.set(i, entry)
        return i
      }
    }
  }

  /** Points an existing index at a new entry (a handshake index becoming a keypair index). */
  replace(index: number, entry: IndexEntry<P>): void {
    this.map.set(index, entry)
  }

  delete(index: number): void {
    if (index !== 0) this.map.delete(index)
  }

  get size(): number {
    return this.map.size
  }
}
