/**
 * Transport keypairs and their rotation (paper §5.4.5 and §6.1).
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
