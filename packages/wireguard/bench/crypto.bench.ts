/**
 * ChaCha20-Poly1305 on a 1400-byte packet, one summary per direction so ratios come from one run:
 * the raw libsodium call (pointers precomputed), our wrapper, the full device path (issue 8 target:
 * within 1.3x of raw), and for seal sodium-native, the alternative we measured.
 */

import { ptr } from 'bun:ffi'
import { bench, do_not_optimize, summary } from 'mitata'
import sodium from 'sodium-native'
import { openInPlace, rawSodium, sealInPlace } from '../src/crypto.ts'
import { A_ADDR, drivePair, icmpEcho, makePair } from '../test/helpers.ts'

const LEN = 1400
const key = new Uint8Array(32).fill(3)
const nonce = new Uint8Array(12)
const buf = new Uint8Array(2048)
crypto.getRandomValues(buf)

// A sealed 1400-byte box to open: ciphertext ‖ tag, copied into a work buffer before each open
// (opening in place destroys it), for ours and raw alike.
const sealed = new Uint8Array(LEN + 16)
sealed.set(buf.subarray(0, LEN))
rawSodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(
  sealed,
  sealed.subarray(LEN),
  null,
  sealed,
  LEN,
  null,
  0,
  null,
  nonce,
  key,
)
const work = new Uint8Array(LEN + 16)
// The raw baseline gets every pointer precomputed: the cheapest call bun:ffi can make.
const W = ptr(work)
const WT = ptr(work, LEN)
const N = ptr(nonce)
const K = ptr(key)
const c = buf.subarray(16, 16 + LEN)
const mac = buf.subarray(16 + LEN, 32 + LEN)

// Full device paths: encrypt = header, copy into the transmit slot, pad, seal, timers, ring;
// decrypt = index lookup, open in place, replay window, inner IP check, allowed IPs.
const p = makePair()
const ping = icmpEcho('10.0.0.1', '10.0.0.2', 1, LEN - 28)
p.a.dev.handlePacket(p.clock.now, p.a.peer, ping)
drivePair(p)
p.a.dev.handlePacket(p.clock.now, p.a.peer, ping)
const t = p.a.dev.pollTransmit()!
const datagram = t.data.slice(0, t.length)
const rxBuf = new Uint8Array(datagram.length)
const kp = p.b.peer.current!

summary(() => {
  bench('raw libsodium seal 1400B', () => {
    do_not_optimize(
      rawSodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(W, WT, null, W, LEN, null, 0, null, N, K),
    )
  })
  bench('ours sealInPlace 1400B', () => {
    sealInPlace(key, 0, work, 0, LEN, null)
  })
  bench('device handlePacket+pollTransmit 1400B', () => {
    do_not_optimize(p.a.dev.handlePacket(p.clock.now, p.a.peer, ping))
    do_not_optimize(p.a.dev.pollTransmit())
  })
  bench('sodium-native seal 1400B', () => {
    do_not_optimize(
      sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(c, mac, c, null, null, nonce, key),
    )
  })
})

summary(() => {
  bench('raw libsodium open 1400B', () => {
    work.set(sealed)
    do_not_optimize(
      rawSodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(W, null, W, LEN, WT, null, 0, N, K),
    )
  })
  bench('ours openInPlace 1400B', () => {
    work.set(sealed)
    do_not_optimize(openInPlace(key, 0, work, 0, LEN + 16, null))
  })
  bench('device handleDatagram 1400B (copy-in, window reset)', () => {
    rxBuf.set(datagram)
    kp.replay.reset()
    do_not_optimize(p.b.dev.handleDatagram(p.clock.now, A_ADDR, rxBuf))
  })
})
