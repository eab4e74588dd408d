/**
 * Known-answer tests for the primitives (paper §5.4 names them; the RFCs give vectors) and for our
 * glue around them: the transport nonce layout and HMAC-BLAKE2s built from two hashes.
 */
import { describe, expect, test } from 'bun:test'
import { blake2s } from '@noble/hashes/blake2.js'
import { hmac as nobleHmac } from '@noble/hashes/hmac.js'
import fc from 'fast-check'
import {
  dhInto,
  hash,
  hmac,
  openInPlace,
  publicKeyInto,
  rawSodium,
  sealInPlace,
  xopenInPlace,
  xsealInPlace,
} from '../src/crypto.ts'

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'))
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const range = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => from + i)
const SUNSCREEN = new TextEncoder().encode(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
)
const AAD = hex('50515253c0c1c2c3c4c5c6c7')

describe('primitives: known answers', () => {
  test('RFC 7693 Appendix B: BLAKE2s-256("abc")', () => {
    expect(toHex(hash(new TextEncoder().encode('abc')))).toBe(
      '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982',
    )
  })

  test('RFC 8439 §2.8.2: ChaCha20-Poly1305 through our libsodium binding', () => {
    const key = range(0x80, 32)
    const nonce = hex('070000004041424344454647')
    const buf = new Uint8Array(SUNSCREEN.length + 16)
    buf.set(SUNSCREEN)
    const n = SUNSCREEN.length
    rawSodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(
      buf,
      buf.subarray(n),
      null,
      buf,
      n,
      AAD,
      AAD.length,
      null,
      nonce,
      key,
    )
    expect(toHex(buf.subarray(0, n))).toBe(
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116',
    )
    expect(toHex(buf.subarray(n))).toBe('1ae10b594f09e26a7e902ecbd0600691')
  })

  test('draft-irtf-cfrg-xchacha §A.3.1: XChaCha20-Poly1305 (cookie replies)', () => {
    const key = range(0x80, 32)
    const nonce = range(0x40, 24)
    const buf = new Uint8Array(SUNSCREEN.length + 16)
    buf.set(SUNSCREEN)
    xsealInPlace(key, nonce, buf, 0, SUNSCREEN.length, AAD)
    expect(toHex(buf.subarray(SUNSCREEN.length))).toBe('c0875924c1c7987947deafd8780acf49')
    expect(toHex(buf.subarray(0, 16))).toBe('bd6d179d3e83d43b9576579493c0e939')
    expect(xopenInPlace(key, nonce, buf, 0, buf.length, AAD)).toBe(true)
    expect(buf.subarray(0, SUNSCREEN.length)).toEqual(SUNSCREEN)
  })

  test('RFC 7748 §6.1: X25519 public keys and the shared secret', () => {
    const a = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
    const b = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')
    const pa = new Uint8Array(32)
    const pb = new Uint8Array(32)
    publicKeyInto(pa, a)
    publicKeyInto(pb, b)
    expect(toHex(pa)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
    expect(toHex(pb)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
    const s1 = new Uint8Array(32)
    const s2 = new Uint8Array(32)
    expect(dhInto(s1, a, pb)).toBe(true)
    expect(dhInto(s2, b, pa)).toBe(true)
    expect(toHex(s1)).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742')
    expect(s2).toEqual(s1)
  })

  test('paper §5.4: a low-order public key gives an all-zero DH result, which is refused', () => {
    expect(dhInto(new Uint8Array(32), range(1, 32), new Uint8Array(32))).toBe(false)
  })
})

describe('our glue', () => {
  test('paper §5.4.6: the transport nonce is 32 zero bits then the 64-bit counter little-endian', () => {
    const key = range(7, 32)
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ maxLength: 64 }),
        (c, m) => {
          const ours = new Uint8Array(m.length + 16)
          ours.set(m)
          sealInPlace(key, c, ours, 0, m.length, null)
          const nonce = new Uint8Array(12)
          new DataView(nonce.buffer).setBigUint64(4, BigInt(c), true)
          const ref = new Uint8Array(m.length + 16)
          ref.set(m)
          rawSodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(
            ref,
            ref.subarray(m.length),
            null,
            ref,
            m.length,
            null,
            0,
            null,
            nonce,
            key,
          )
          expect(ours).toEqual(ref)
          expect(openInPlace(key, c, ours, 0, ours.length, null)).toBe(true)
          expect(ours.subarray(0, m.length)).toEqual(m)
        },
      ),
      { numRuns: 100 },
    )
  })

  test('RFC 2104 HMAC-BLAKE2s from two node:crypto hashes equals @noble/hashes hmac', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        (k, d) => {
          expect(hmac(k, d)).toEqual(nobleHmac(blake2s, k, d))
        },
      ),
      { numRuns: 100 },
    )
  })
})
