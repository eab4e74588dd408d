#!/usr/bin/env bun
/**
 * Translate one raw IP packet: how a person debugs a packet and how a
 * conformance suite drives the translator.
 *
 *   bun packages/nat64/cli.ts --pool6 64:ff9b::/96 --out /tmp/o packet.bin
 *   cat packet.bin | bun packages/nat64/cli.ts --eamt 192.0.2.0/24=2001:db8:2::/120 --out /tmp/o
 *
 * Writes each resulting packet to OUTDIR/0.pkt, OUTDIR/1.pkt, ... and prints
 * one JSON line: {"action":"translated"|"icmp-error"|"drop","reason":...,"packets":N}.
 * Exit status 0 whatever the action; 2 on a usage or configuration error.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  type AddressMapper,
  EamtMapper,
  NAT64_HEADROOM,
  PairMapper,
  Rfc6052Mapper,
  Rfc6791Pool,
  TranslateResult,
  Translator,
} from './src/index.ts'

const USAGE = `usage: cli.ts [options] [FILE|-]
  mapper (one of; --eamt may repeat and combine with --pool6):
    --pool6 PREFIX            RFC 6052 prefix, e.g. 64:ff9b::/96
    --eamt V4PREFIX=V6PREFIX  RFC 7757 entry, e.g. 192.0.2.0/24=2001:db8:2::/120
    --no-hairpinning          RFC 7757 §4.2 hairpinning off
    --wkp-non-global          let 64:ff9b::/96 carry non-global IPv4 (RFC 6052 §3.1 says no)
    --pair A6,A4,B6,B4        fixed pair: A6<->A4 and B6<->B4 (what the gateway uses)
  options:
    --pool6791v4 PREFIX       RFC 6791 IPv4 pool for untranslatable ICMPv6 error sources
    --pool6791v6 PREFIX       the same for ICMPv4 errors (IPv6 pool)
    --lowest-ipv6-mtu N       default 1280
    --mtu4 N  --mtu6 N        default 1500
    --amend-udp-checksum-zero compute zero IPv4 UDP checksums instead of dropping
    --decrement-ttl           decrement TTL/hop limit, answer Time Exceeded at zero
    --reset-traffic-class     IPv6 traffic class 0 instead of the IPv4 TOS (RFC 7915 §4.1)
    --tos N                   IPv4 TOS N instead of the IPv6 traffic class (RFC 7915 §5.1)
    --no-errors               drop untranslatable packets instead of answering with ICMP
    --error-source4 ADDR  --error-source6 ADDR
    --out DIR                 where N.pkt go (default .)
`

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}`)
  process.exit(2)
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n)) fail(`--${name}: not an integer: ${v}`)
  return n
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse()
  } catch (e) {
    fail((e as Error).message)
  }
  const { values: a, positionals } = parsed
  if (a.help) {
    process.stdout.write(USAGE)
    return
  }
  let mapper: AddressMapper
  let result: TranslateResult
  let translator: Translator
  try {
    const pool6 = a.pool6
      ? new Rfc6052Mapper(a.pool6, undefined, { wkpGlobalOnly: !a['wkp-non-global'] })
      : undefined
    if (a.pair) {
      const parts = a.pair.split(',')
      if (parts.length !== 4) fail('--pair: expected A6,A4,B6,B4')
      mapper = new PairMapper(parts[0], parts[1], parts[2], parts[3])
    } else if (a.eamt && a.eamt.length > 0) {
      mapper = new EamtMapper(a.eamt, { pool6, hairpinning: !a['no-hairpinning'] })
    } else if (pool6) {
      mapper = pool6
    } else {
      fail('one of --pool6, --eamt or --pair is required')
    }
    const pool6791 =
      a.pool6791v4 || a.pool6791v6 ? new Rfc6791Pool(a.pool6791v4 ?? null, a.pool6791v6 ?? null) : null
    // Room for a 65535-byte IPv4 datagram cut into 1280-byte IPv6 fragments.
    result = new TranslateResult(Array.from({ length: 64 }, () => new Uint8Array(65536)))
    translator = new Translator(
      mapper,
      {
        lowestIpv6Mtu: int(a['lowest-ipv6-mtu'], 'lowest-ipv6-mtu'),
        mtu4: int(a.mtu4, 'mtu4'),
        mtu6: int(a.mtu6, 'mtu6'),
        amendUdpChecksumZero: a['amend-udp-checksum-zero'],
        decrementTtl: a['decrement-ttl'],
        resetTrafficClass: a['reset-traffic-class'],
        tos: int(a.tos, 'tos') ?? null,
        errorOnUntranslatable: !a['no-errors'],
        errorSource4: a['error-source4'] ?? null,
        errorSource6: a['error-source6'] ?? null,
        pool6791,
      },
      result,
    )
  } catch (e) {
    fail((e as Error).message)
  }

  const input = positionals[0] ?? '-'
  const bytes =
    input === '-' ? new Uint8Array(await Bun.stdin.arrayBuffer()) : new Uint8Array(readFileSync(input))
  const buf = new Uint8Array(NAT64_HEADROOM + bytes.length)
  buf.set(bytes, NAT64_HEADROOM)
  const r = translator.translate({ buf, off: NAT64_HEADROOM, len: bytes.length })
  const out = a.out ?? '.'
  if (r.count > 0) mkdirSync(out, { recursive: true })
  for (let i = 0; i < r.count; i++) {
    const p = r.packets[i]
    writeFileSync(join(out, `${i}.pkt`), p.buf.subarray(p.off, p.off + p.len))
  }
  process.stdout.write(`${JSON.stringify({ action: r.action, reason: r.reason, packets: r.count })}\n`)
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      pool6: { type: 'string' },
      eamt: { type: 'string', multiple: true },
      'no-hairpinning': { type: 'boolean' },
      'wkp-non-global': { type: 'boolean' },
      pair: { type: 'string' },
      pool6791v4: { type: 'string' },
      pool6791v6: { type: 'string' },
      'lowest-ipv6-mtu': { type: 'string' },
      mtu4: { type: 'string' },
      mtu6: { type: 'string' },
      'amend-udp-checksum-zero': { type: 'boolean' },
      'decrement-ttl': { type: 'boolean' },
      'reset-traffic-class': { type: 'boolean' },
      tos: { type: 'string' },
      'no-errors': { type: 'boolean' },
      'error-source4': { type: 'string' },
      'error-source6': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

await main()
