/**
 * Keys in WireGuard's text form: standard base64 of 32 bytes (44 characters with one `=`), as
 * `wg genkey`, `wg pubkey` and `wg setconf` read and write them.
 */
import { clamp, KEY_LEN, publicKeyInto } from './crypto.ts'

/** Parses a base64 key; throws naming `field` when it is not 32 bytes of standard base64. */
export function parseKey(text: string, field = 'key'): Uint8Array {
  const t = text.trim()
  if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(t))
    throw new Error(`${field}: not a base64 WireGuard key`)
  const b = Uint8Array.from(atob(t), (c) => c.charCodeAt(0))
  if (b.length !== KEY_LEN) throw new Error(`${field}: must decode to 32 bytes`)
  return b
}

/** Formats a 32-byte key as base64. */
export function formatKey(key: Uint8Array): string {
  let s = ''
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i])
  return btoa(s)
}

/** A new private key from `random`, clamped as `wg genkey` clamps it (RFC 7748 §5). */
export function generatePrivateKey(random: (b: Uint8Array) => void): Uint8Array {
  const k = new Uint8Array(KEY_LEN)
  random(k)
  return clamp(k)
}

/** The X25519 public key of a private key (`wg pubkey`). */
export function publicKey(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== KEY_LEN) throw new Error('privateKey: must be 32 bytes')
  const out = new Uint8Array(KEY_LEN)
  publicKeyInto(out, privateKey)
  return out
}
