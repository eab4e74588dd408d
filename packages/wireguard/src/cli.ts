#!/usr/bin/env bun
/**
 * `bun src/cli.ts genkey | bun src/cli.ts pubkey` mirrors `wg genkey | wg pubkey`; `genpsk` mirrors
 * `wg genpsk`. Keys are base64 on one line.
 */
import { formatKey, generatePrivateKey, parseKey, publicKey } from './keys.ts'

const random = (b: Uint8Array) => {
  crypto.getRandomValues(b)
}

async function main(argv: string[]): Promise<number> {
  const cmd = argv[0]
  if (cmd === 'genkey') {
    console.log(formatKey(generatePrivateKey(random)))
    return 0
  }
  if (cmd === 'genpsk') {
    const k = new Uint8Array(32)
    random(k)
    console.log(formatKey(k))
    return 0
  }
  if (cmd === 'pubkey') {
    const input = await Bun.stdin.text()
    try {
      console.log(formatKey(publicKey(parseKey(input, 'private key'))))
      return 0
    } catch (e) {
      console.error(`pubkey: ${(e as Error).message}`)
      return 1
    }
  }
  console.error('usage: cli.ts genkey | genpsk | pubkey < private-key')
  return 2
}

process.exitCode = await main(process.argv.slice(2))
