/**
 * The kernel as the oracle: errors built by this package, written into a real
 * TUN device in a network namespace, reach the socket that sent the quoted
 * packet. The kernel checks the IP and ICMP checksums and matches the quote
 * against its sockets, so a wrong byte anywhere shows up as a TIMEOUT.
 *
 * Topology (namespace gh-icmp-<pid>): TUN ghicmp0 with 10.77.0.1/24 and
 * fd77::1/64, opened and configured by test/fixtures/tun-responder.ts through
 * @gatehouse/tun, which answers each packet with the error chosen by its
 * destination's last byte.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

const ROOT = process.getuid?.() === 0
if (!ROOT) console.warn('skipping kernel tests: they need root (network namespace, TUN device)')
const NS = `gh-icmp-${process.pid}`
const TUN = 'ghicmp0'
const PKG = join(import.meta.dir, '..')
let responder: Subprocess<'ignore', 'pipe', 'pipe'> | null = null
let nsCreated = false

function sh(...cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr.toString()}`)
  return r.stdout.toString()
}

function inNs(...cmd: string[]): string {
  const r = Bun.spawnSync(['ip', 'netns', 'exec', NS, ...cmd], { stdout: 'pipe', stderr: 'pipe' })
  return r.stdout.toString() + r.stderr.toString()
}

function client(mode: 'udp' | 'tcp' | 'big', host: string, port = 9999, size = 8, timeout = 3): string {
  return inNs(
    'python3',
    join(PKG, 'test/fixtures/client.py'),
    mode,
    host,
    String(port),
    String(size),
    String(timeout),
  ).trim()
}

/** The namespace's count of ICMP messages dropped for a bad checksum (Linux: Icmp InCsumErrors / Icmp6InCsumErrors). */
function csumErrors(version: 4 | 6): number {
  if (version === 6) {
    const m = inNs('cat', '/proc/net/snmp6').match(/^Icmp6InCsumErrors\s+(\d+)/m)
    if (m === null) throw new Error('no Icmp6InCsumErrors in /proc/net/snmp6')
    return Number(m[1])
  }
  const lines = inNs('cat', '/proc/net/snmp')
    .split('\n')
    .filter((l) => l.startsWith('Icmp: '))
  const names = lines[0].split(/\s+/)
  const values = lines[1].split(/\s+/)
  const i = names.indexOf('InCsumErrors')
  if (i < 0) throw new Error('no Icmp InCsumErrors in /proc/net/snmp')
  return Number(values[i])
}

beforeAll(async () => {
  if (!ROOT) return
  sh('ip', 'netns', 'add', NS)
  nsCreated = true
  sh('ip', '-n', NS, 'link', 'set', 'lo', 'up')
  responder = Bun.spawn(
    ['ip', 'netns', 'exec', NS, process.execPath, 'test/fixtures/tun-responder.ts', TUN],
    {
      cwd: PKG,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  const reader = responder.stdout.getReader()
  const first = await Promise.race([reader.read(), Bun.sleep(10_000).then(() => null)])
  reader.releaseLock()
  if (
    first === null ||
    first.value === undefined ||
    !new TextDecoder().decode(first.value).includes('ready')
  ) {
    throw new Error('tun-responder did not start')
  }
})

afterAll(() => {
  if (responder !== null) responder.kill(9)
  if (nsCreated) Bun.spawnSync(['ip', 'netns', 'del', NS])
})

describe('kernel delivers ICMPv4 errors built here (RFC 792, RFC 1122 §4.1.3.3)', () => {
  test.skipIf(!ROOT)('3/3 port unreachable: a connected UDP socket gets ECONNREFUSED', () => {
    expect(client('udp', '10.77.0.13')).toBe('ECONNREFUSED')
  })
  test.skipIf(!ROOT)('3/0 network unreachable: UDP gets ENETUNREACH', () => {
    expect(client('udp', '10.77.0.10')).toBe('ENETUNREACH')
  })
  test.skipIf(!ROOT)('3/1 host unreachable: UDP gets EHOSTUNREACH', () => {
    expect(client('udp', '10.77.0.11')).toBe('EHOSTUNREACH')
  })
  test.skipIf(!ROOT)('3/13 administratively prohibited: UDP gets EHOSTUNREACH', () => {
    expect(client('udp', '10.77.0.23')).toBe('EHOSTUNREACH')
  })
  test.skipIf(!ROOT)('Happy Eyeballs: a TCP connect answered with 3/0 fails at once with ENETUNREACH', () => {
    expect(client('tcp', '10.77.0.10', 443)).toBe('ENETUNREACH')
  })
  test.skipIf(!ROOT)('ping prints "Destination Net Unreachable" for 3/0', () => {
    expect(inNs('ping', '-c', '1', '-W', '2', '10.77.0.10')).toContain('Destination Net Unreachable')
  })
  test.skipIf(!ROOT)('11/0 time exceeded: UDP gets EHOSTUNREACH', () => {
    expect(client('udp', '10.77.0.65')).toBe('EHOSTUNREACH')
  })
  test.skipIf(!ROOT)('12/0 parameter problem: UDP gets EPROTO', () => {
    expect(client('udp', '10.77.0.66')).toBe('EPROTO')
  })
  test.skipIf(!ROOT)('RFC 1191: 3/4 fragmentation needed lowers the path MTU to the next-hop MTU', () => {
    expect(client('big', '10.77.0.14', 9999, 1400)).toBe('1200')
    expect(inNs('ip', 'route', 'get', '10.77.0.14')).toMatch(/mtu 1200/)
  })
})

describe('kernel delivers ICMPv6 errors built here (RFC 4443)', () => {
  test.skipIf(!ROOT)('1/4 port unreachable: a connected UDP socket gets ECONNREFUSED', () => {
    expect(client('udp', 'fd77::14')).toBe('ECONNREFUSED')
  })
  test.skipIf(!ROOT)('1/3 address unreachable: UDP gets EHOSTUNREACH', () => {
    expect(client('udp', 'fd77::13')).toBe('EHOSTUNREACH')
  })
  test.skipIf(!ROOT)('1/0 no route: UDP gets ENETUNREACH', () => {
    expect(client('udp', 'fd77::10')).toBe('ENETUNREACH')
  })
  test.skipIf(!ROOT)('1/1 administratively prohibited: UDP gets EACCES', () => {
    expect(client('udp', 'fd77::11')).toBe('EACCES')
  })
  test.skipIf(!ROOT)(
    'Happy Eyeballs: a TCP connect answered with 1/3 fails at once with EHOSTUNREACH',
    () => {
      expect(client('tcp', 'fd77::13', 443)).toBe('EHOSTUNREACH')
    },
  )
  test.skipIf(!ROOT)('ping -6 prints "Destination unreachable: Address unreachable" for 1/3', () => {
    expect(inNs('ping', '-6', '-c', '1', '-W', '2', 'fd77::13')).toContain(
      'Destination unreachable: Address unreachable',
    )
  })
  test.skipIf(!ROOT)(
    'RFC 4443 §3.2 / RFC 8201: Packet Too Big lowers the path MTU for that destination',
    () => {
      expect(client('big', 'fd77::20', 9999, 1400)).toBe('1300')
      expect(inNs('ip', '-6', 'route', 'get', 'fd77::20')).toMatch(/mtu 1300/)
    },
  )
})

describe('quotes whose sum is derived from the transport checksum (src/quote-sum.ts)', () => {
  // The Linux TUN hands the responder complete checksums (no IFF_VNET_HDR), so these take the derived path:
  // a quote cut short with a tail of even or odd length after it, IPv4 (576-byte error) and IPv6 (1280-byte error).
  for (const size of [700, 701]) {
    test.skipIf(!ROOT)(`IPv4 UDP, ${size} bytes of data, quote cut at 548 bytes: ECONNREFUSED`, () => {
      expect(client('udp', '10.77.0.13', 9999, size)).toBe('ECONNREFUSED')
    })
  }
  for (const size of [1400, 1401]) {
    test.skipIf(!ROOT)(
      `IPv6 UDP, ${size} bytes of data, quote cut at 1232 bytes: 1/4 ECONNREFUSED, 1/3 EHOSTUNREACH`,
      () => {
        expect(client('udp', 'fd77::14', 9999, size)).toBe('ECONNREFUSED')
        expect(client('udp', 'fd77::13', 9999, size)).toBe('EHOSTUNREACH')
      },
    )
  }
  // The chosen behaviour for a packet whose transport checksum is wrong (one payload byte changed by the
  // responder): the derived error carries a wrong checksum, and the kernel drops it as one.
  for (const [version, host, full] of [
    [4, '10.77.0.21', '10.77.0.22'],
    [6, 'fd77::15', 'fd77::16'],
  ] as const) {
    test.skipIf(!ROOT)(
      `IPv${version}: about a corrupted packet, the derived error is dropped for its checksum (InCsumErrors + 1); the full sum is delivered`,
      () => {
        const before = csumErrors(version)
        expect(client('udp', host, 9999, 100, 1)).toBe('TIMEOUT')
        expect(csumErrors(version)).toBe(before + 1)
        expect(client('udp', full, 9999, 100)).toBe('ECONNREFUSED')
        expect(csumErrors(version)).toBe(before + 1)
      },
    )
  }
})

describe('kernel delivers errors from the resource side, rewritten back through the NAT (IcmpErrorView)', () => {
  // The responder plays gateway and resource: it NATs the packet (proxy -> 192.0.2.80 / 2001:db8::80,
  // another source port, masqueraded source), has the resource answer port unreachable, then parses that
  // error and rewrites quoted addresses, port and outer addresses back. Only the kernel judges the result.
  test.skipIf(!ROOT)('IPv4 UDP: ECONNREFUSED', () => {
    expect(client('udp', '10.77.0.48')).toBe('ECONNREFUSED')
  })
  test.skipIf(!ROOT)(
    'IPv4 TCP, quote cut 8 bytes into the TCP header (RFC 792): connect() gets ECONNREFUSED',
    () => {
      expect(client('tcp', '10.77.0.48', 443)).toBe('ECONNREFUSED')
    },
  )
  test.skipIf(!ROOT)('IPv6 UDP: ECONNREFUSED', () => {
    expect(client('udp', 'fd77::30')).toBe('ECONNREFUSED')
  })
  test.skipIf(!ROOT)('IPv6 TCP, quote cut 8 bytes into the TCP header: connect() gets ECONNREFUSED', () => {
    expect(client('tcp', 'fd77::30', 443)).toBe('ECONNREFUSED')
  })
  test.skipIf(!ROOT)('ping through the NAT: the echo identifier is restored, ping reports the error', () => {
    expect(inNs('ping', '-c', '1', '-W', '2', '10.77.0.48')).toContain('Destination Port Unreachable')
    expect(inNs('ping', '-6', '-c', '1', '-W', '2', 'fd77::30')).toContain(
      'Destination unreachable: Port unreachable',
    )
  })
})
