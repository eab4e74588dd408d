/** Cases fast-check found (seed and counterexample in the commit that fixed them), replayed as fixed tests. */
import { expect, test } from 'bun:test'
import { fold, IpPacket } from '../src/index.ts'

test('RFC 1071: fold of a sum just below 2^48 (one division left it above 2^32 and >>> truncated it)', () => {
  const x = 281473572885421
  expect(fold(x) % 0xffff).toBe(x % 0xffff)
  expect(fold(x)).toBeLessThanOrEqual(0xffff)
})

test('RFC 4443 §3.1: a quoted IPv6 chain ending in an unknown protocol parses with no ports (seed 1539595107)', () => {
  // ICMPv6 Destination Unreachable quoting fd.. -> .. with Routing -> HIP(139) -> protocol 128, 1 byte of it quoted.
  const b = Uint8Array.from([
    96,
    0,
    0,
    0,
    0,
    97,
    58,
    64,
    ...new Array(32).fill(0),
    1,
    3,
    57,
    111,
    0,
    0,
    0,
    0,
    96,
    0,
    0,
    0,
    0,
    49,
    43,
    0,
    ...new Array(32).fill(0),
    139,
    4,
    ...new Array(38).fill(0),
    128,
    0,
    127,
    188,
    0,
    0,
    0,
    0,
    0,
  ])
  const p = new IpPacket()
  const r = p.reset(b, 0, b.length)
  expect(r).toBeNull()
  expect([p.quote.protocol, p.quote.srcPort, p.quote.dstPort, p.quote.l4Len]).toEqual([128, 0, 0, 1])
  expect(p.quote.l4Off + p.quote.l4Len).toBe(b.length)
})
