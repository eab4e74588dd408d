/**
 * The primitives WireGuard needs (paper §5.4), at native speed where it matters.
 *
 * - ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305: libsodium (Debian `libsodium23`) through
 *   `bun:ffi`, in place and detached so the packet path allocates nothing. Measured faster than
 *   `sodium-native` (see README).
 * - X25519: libsodium `crypto_scalarmult` on raw 32-byte keys.
 * - HASH = BLAKE2s-256: `node:crypto`'s `blake2s256`; HMAC-BLAKE2s is built on it (RFC 2104) because
 *   `createHmac` does not accept BLAKE2s.
 * - MAC = keyed BLAKE2s-128: `@noble/hashes` (node:crypto has no keyed or short BLAKE2s).
 *
 * The AEAD nonce is 32 zero bits then the 64-bit counter little-endian (paper §5.4). Counters are
 * JS numbers, exact below 2^53; the high word is written as `Math.floor(counter / 2^32)`.
 */
import { dlopen, FFIType, type Pointer, ptr } from 'bun:ffi'
import { createHash } from 'node:crypto'
import { blake2s } from '@noble/hashes/blake2.js'

const LIB_CANDIDATES = ['libsodium.so.23', '/usr/lib/x86_64-linux-gnu/libsodium.so.23', 'libsodium.so']

const SYMBOLS = {
  sodium_init: { args: [], returns: FFIType.i32 },
  crypto_aead_chacha20poly1305_ietf_encrypt_detached: {
    args: [
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.u64_fast,
      FFIType.ptr,
      FFIType.u64_fast,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
    ],
    returns: FFIType.i32,
  },
  crypto_aead_chacha20poly1305_ietf_decrypt_detached: {
    args: [
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.u64_fast,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.u64_fast,
      FFIType.ptr,
      FFIType.ptr,
    ],
    returns: FFIType.i32,
  },
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached: {
    args: [
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.u64_fast,
      FFIType.ptr,
      FFIType.u64_fast,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
    ],
    returns: FFIType.i32,
  },
  crypto_aead_xchacha20poly1305_ietf_decrypt_detached: {
    args: [
      FFIType.ptr,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.u64_fast,
      FFIType.ptr,
      FFIType.ptr,
      FFIType.u64_fast,
      FFIType.ptr,
      FFIType.ptr,
    ],
    returns: FFIType.i32,
  },
  crypto_scalarmult: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  crypto_scalarmult_base: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
} as const

function openSodium() {
  let last: unknown
  for (const path of LIB_CANDIDATES) {
    try {
      return dlopen(path, SYMBOLS)
    } catch (e) {
      last = e
    }
  }
  throw new Error(`libsodium not found (install Debian libsodium23): ${String(last)}`)
}

const sodium = openSodium()
if (sodium.symbols.sodium_init() < 0) throw new Error('sodium_init failed')

const encDetached = sodium.symbols.crypto_aead_chacha20poly1305_ietf_encrypt_detached
const decDetached = sodium.symbols.crypto_aead_chacha20poly1305_ietf_decrypt_detached
const xencDetached = sodium.symbols.crypto_aead_xchacha20poly1305_ietf_encrypt_detached
const xdecDetached = sodium.symbols.crypto_aead_xchacha20poly1305_ietf_decrypt_detached

/** The raw libsodium symbols, exported for the side-by-side benchmark only. */
export const rawSodium = sodium.symbols

/** Length of a Poly1305 tag. */
export const TAG_LEN = 16
/** Length of keys, hashes and X25519 values. */
export const KEY_LEN = 32

const NONCE = new Uint8Array(12)
const NONCE_VIEW = new DataView(NONCE.buffer)
const NONCE_PTR = ptr(NONCE)

function setNonce(counter: number): void {
  NONCE_VIEW.setUint32(4, counter >>> 0, true)
  NONCE_VIEW.setUint32(8, Math.floor(counter / 0x1_0000_0000), true)
}

/**
 * AEAD(key, counter, plaintext, ad) in place: encrypts `len` bytes of `buf` at `off` and writes the
 * 16-byte tag right after them (`buf` must have `off + len + 16` bytes). `ad` may be null.
 */
export function sealInPlace(
  key: Uint8Array,
  counter: number,
  buf: Uint8Array,
  off: number,
  len: number,
  ad: Uint8Array | null,
): void {
  setNonce(counter)
  const p = off === 0 ? ptr(buf) : ptr(buf, off)
  encDetached(p, (p + len) as Pointer, null, p, len, ad, ad === null ? 0 : ad.length, null, NONCE_PTR, key)
}

/**
 * Opens `len` bytes of `buf` at `off` (ciphertext then 16-byte tag) in place. True when the tag
 * verified; the plaintext is then the first `len − 16` bytes. False leaves the buffer unspecified.
 */
export function openInPlace(
  key: Uint8Array,
  counter: number,
  buf: Uint8Array,
  off: number,
  len: number,
  ad: Uint8Array | null,
): boolean {
  if (len < TAG_LEN) return false
  setNonce(counter)
  const p = off === 0 ? ptr(buf) : ptr(buf, off)
  const clen = len - TAG_LEN
  return (
    decDetached(p, null, p, clen, (p + clen) as Pointer, ad, ad === null ? 0 : ad.length, NONCE_PTR, key) ===
    0
  )
}

/** XAEAD seal in place (XChaCha20-Poly1305, 24-byte nonce), for cookie replies. */
export function xsealInPlace(
  key: Uint8Array,
  nonce: Uint8Array,
  buf: Uint8Array,
  off: number,
  len: number,
  ad: Uint8Array,
): void {
  const p = ptr(buf, off)
  xencDetached(p, (p + len) as Pointer, null, p, len, ad, ad.length, null, nonce, key)
}

/** XAEAD open in place; true when the tag verified. */
export function xopenInPlace(
  key: Uint8Array,
  nonce: Uint8Array,
  buf: Uint8Array,
  off: number,
  len: number,
  ad: Uint8Array,
): boolean {
  if (len < TAG_LEN) return false
  const p = ptr(buf, off)
  const clen = len - TAG_LEN
  return xdecDetached(p, null, p, clen, (p + clen) as Pointer, ad, ad.length, nonce, key) === 0
}

/** Clamps a 32-byte X25519 private key in place (RFC 7748 §5), as `wg genkey` does. */
export function clamp(priv: Uint8Array): Uint8Array {
  priv[0] &= 248
  priv[31] = (priv[31] & 127) | 64
  return priv
}

/** X25519 public key of `priv` into `out`. */
export function publicKeyInto(out: Uint8Array, priv: Uint8Array): void {
  sodium.symbols.crypto_scalarmult_base(out, priv)
}

/** DH(priv, pub) into `out`; false when the result is all zeros (a low-order point, paper §5.4). */
export function dhInto(out: Uint8Array, priv: Uint8Array, pub: Uint8Array): boolean {
  return sodium.symbols.crypto_scalarmult(out, priv, pub) === 0
}

/** HASH(a ‖ b ‖ c): BLAKE2s-256 of the concatenation. */
export function hash(a: Uint8Array, b?: Uint8Array, c?: Uint8Array): Uint8Array {
  const h = createHash('blake2s256').update(a)
  if (b !== undefined) h.update(b)
  if (c !== undefined) h.update(c)
  const d = h.digest()
  return new Uint8Array(d.buffer, d.byteOffset, d.length)
}

const IPAD = new Uint8Array(64)
const OPAD = new Uint8Array(64)

/** HMAC-BLAKE2s-256 (RFC 2104, 64-byte block) of `data` (and `data2` appended) under `key` (≤ 64 bytes). */
export function hmac(key: Uint8Array, data: Uint8Array, data2?: Uint8Array): Uint8Array {
  IPAD.fill(0x36)
  OPAD.fill(0x5c)
  for (let i = 0; i < key.length; i++) {
    IPAD[i] ^= key[i]
    OPAD[i] ^= key[i]
  }
  const inner = hash(IPAD, data, data2)
  return hash(OPAD, inner)
}

const ONE = Uint8Array.of(1)

/**
 * KDFn(key, input) (paper §5.4): τ0 = HMAC(key, input), τ1 = HMAC(τ0, 0x1),
 * τi = HMAC(τ0, τi−1 ‖ i). Returns τ1..τn.
 */
export function kdf(key: Uint8Array, input: Uint8Array, n: 1 | 2 | 3): Uint8Array[] {
  const t0 = hmac(key, input)
  const t1 = hmac(t0, ONE)
  if (n === 1) return [t1]
  const t2 = hmac(t0, t1, Uint8Array.of(2))
  if (n === 2) return [t1, t2]
  return [t1, t2, hmac(t0, t2, Uint8Array.of(3))]
}

/** MAC(key, data) = keyed BLAKE2s with a 16-byte output (paper §5.4), over `data[0..len)`. */
export function mac(key: Uint8Array, data: Uint8Array, len: number): Uint8Array {
  return blake2s(data.subarray(0, len), { key, dkLen: 16 })
}

/** Constant-time comparison of `len` bytes. */
export function equalBytes(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  let d = 0
  for (let i = 0; i < len; i++) d |= a[aOff + i] ^ b[bOff + i]
  return d === 0
}
