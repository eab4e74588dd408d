/**
 * Shared-memory layout between a queue's I/O Worker and the thread that owns
 * the queue. Indices into the control `Int32Array`; every field is accessed
 * with `Atomics` on both sides.
 *
 * Ring (`io: 'ring'`): the Worker is the single producer, the owner the single
 * consumer. `HEAD` and `TAIL` count packets modulo 2^32 (int32 wrap-around is
 * fine: only their difference is used, and it never exceeds the slot count).
 * A slot `i` holds `lens[i]` bytes at `data[i * slotSize]`.
 *
 * Poll (`io: 'poll'`): the Worker only waits for readability; `ARMED` is the
 * owner's request to wait, `READY` a sequence number bumped on each wake-up.
 */
export const HEAD = 0
export const TAIL = 1
/** Set by the consumer just before it sleeps on HEAD; the producer clears it and notifies. */
export const CONSUMER_SLEEPING = 2
/** Set by the producer while it waits on TAIL for a free slot. */
export const PRODUCER_SLEEPING = 3
export const STOP = 4
export const STOPPED = 5
/** Read errors other than EAGAIN/EINTR, counted by the Worker. */
export const RX_ERRORS = 6
export const ARMED = 7
export const READY = 8
export const CTL_WORDS = 16

/** The message that starts an I/O Worker. */
export interface WorkerStart {
  mode: 'ring' | 'poll'
  fd: number
  /** eventfd written by `close()` to wake the Worker out of `poll(2)`. */
  wakeFd: number
  ctl: SharedArrayBuffer
  lens: SharedArrayBuffer
  data: SharedArrayBuffer
  slots: number
  slotSize: number
}
