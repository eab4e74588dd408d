import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import fc from 'fast-check'
import { formatKey, generatePrivateKey, parseKey, publicKey } from '../src/index.ts'
import { seededRandom } from './helpers.ts'

const HAVE_WG = Bun.which('wg') !== null
if (!HAVE_WG) console.warn('skipping wg(8) agreement tests: wg not installed (scripts/setup.sh)')

function wg(args: string[], input?: string): string {
  const r = Bun.spawnSync(['wg', ...args], {
    stdin: input ? new TextEncoder().encode(input) : undefined,
    stdout: 'pipe',
  })
  return r.stdout.toString().trim()
}

describe('keys: WireGuard base64 text form', () => {
  test('format/parse round trip for any 32 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (k) => {
        const t = formatKey(k)
        expect(t.length).toBe(44)
        expect(parseKey(t)).toEqual(k)
      }),
    )
  })

  test('malformed keys throw naming the field', () => {
    for (const bad of ['', 'abc', `${'A'.repeat(43)}`, `${'A'.repeat(42)}B=`, `${'A'.repeat(44)}`]) {
      expect(() => parseKey(bad, 'PrivateKey')).toThrow(/PrivateKey/)
    }
  })

  test('RFC 7748 §5: generated private keys are clamped as wg genkey clamps them', () => {
    const random = seededRandom(42)
    for (let i = 0; i < 20; i++) {
      const k = generatePrivateKey(random)
      expect(k[0] & 7).toBe(0)
      expect(k[31] & 128).toBe(0)
      expect(k[31] & 64).toBe(64)
    }
  })
})

describe.skipIf(!HAVE_WG)('keys agree with wg(8)', () => {
  test('our pubkey equals `wg pubkey` for random private keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (k) => {
        const text = formatKey(k)
        expect(formatKey(publicKey(k))).toBe(wg(['pubkey'], text))
      }),
      { numRuns: 25 },
    )
  })

  test('`cli.ts genkey | cli.ts pubkey` and `wg pubkey` agree on the same private key', () => {
    const cli = join(import.meta.dir, '..', 'src', 'cli.ts')
    const priv = Bun.spawnSync([process.execPath, cli, 'genkey'], { stdout: 'pipe' }).stdout.toString().trim()
    expect(() => parseKey(priv)).not.toThrow()
    const ours = Bun.spawnSync([process.execPath, cli, 'pubkey'], {
      stdin: new TextEncoder().encode(priv),
      stdout: 'pipe',
    })
    expect(ours.stdout.toString().trim()).toBe(wg(['pubkey'], priv))
    const theirs = wg(['genkey'])
    const ours2 = Bun.spawnSync([process.execPath, cli, 'pubkey'], {
      stdin: new TextEncoder().encode(theirs),
      stdout: 'pipe',
    })
    expect(ours2.stdout.toString().trim()).toBe(wg(['pubkey'], theirs))
  })
})
