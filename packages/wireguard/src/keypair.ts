/**
 * Transport keypairs and their rotation (paper §5.4.5 and §6.1), and the index table that maps a
 * receiver index to a keypair or a pending handshake (paper §5.4.1: indices are random, 32 bits).
 *
 * A peer holds up to three keypairs: `current` sends; `previous` still receives (packets in flight
 * across a rekey); `next` is the responder's fresh keypair, not used to send until the initiator
 * proves it has it by sending data with it (paper §5.4.5 "key confirmation"), when it is promoted.
 */
import { KEY_LEN } from './crypto.ts'
import { ReplayWindow } from './replay.ts'

/** One direction pair of transport keys, with its counters. */
export class Keypair<P = unknown> {
  readonly sendKey = new Uint8Array(KEY_LEN)
  readonly recvKey = new Uint8Array(KEY_LEN)
  /** Next counter to send (paper: nonce). Exact below 2^53, see replay.ts. */
  sendCounter = 0
  readonly replay = new ReplayWindow()
  constructor(
    readonly peer: P,
    /** `now` when the keys were derived. */
    readonly created: number,
    readonly isInitiator: boolean,
    readonly localIndex: number,
    readonly remoteIndex: number,
  ) {}

  /** Erase the keys (the object stays in place but can no longer authenticate anything). */
  zero(): void {
    this.sendKey.fill(0)
    this.recvKey.fill(0)
  }
}

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
