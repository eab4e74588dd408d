/**
 * Real TUN devices in network namespaces the tests create (gh-tun-*) and remove.
 * Needs root (CI is root); otherwise skipped with the reason printed (see netns.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import {
  closeAllDevices,
  type IoMode,
  openTun,
  type Tun,
  TunConfigError,
  TunNameTakenError,
} from '../src/index.ts'
import {
  addrs,
  CAN_RUN,
  deleteNetns,
  echoReplyFor,
  link,
  makeNetns,
  routes,
  run,
  udpReplyFor,
  until,
} from './netns.ts'

const CHILD = join(import.meta.dir, 'fixtures', 'child.ts')
let ns = ''

beforeAll(() => {
  if (CAN_RUN) ns = makeNetns()
})
afterAll(() => {
  closeAllDevices()
  if (ns !== '') deleteNetns(ns)
})

function open(name: string, io: IoMode = 'ring'): Tun {
  return openTun({
    name,
    mtu: 1400,
    addresses: ['10.99.0.1/24', 'fd00:99::1/64'],
    routes: ['10.98.0.0/16', 'fd00:98::/64'],
    netns: ns,
    io,
  })
}

describe.skipIf(!CAN_RUN)('device lifecycle (issue 7)', () => {
  test('create + configure: MTU, IPv4 and IPv6 addresses, link up, routes; all gone after close', () => {
    const t = open('ghtun0')
    expect(t.name).toBe('ghtun0')
    const l = link(ns, 'ghtun0')
    expect(l?.mtu).toBe(1400)
    expect(l?.flags).toContain('UP')
    expect(addrs(ns, 'ghtun0').sort()).toEqual(['10.99.0.1/24', 'fd00:99::1/64'])
    expect(routes(ns)).toContain('10.98.0.0/16 dev ghtun0')
    expect(routes(ns, '-6')).toContain('fd00:98::/64 dev ghtun0')
    t.close()
    expect(link(ns, 'ghtun0')).toBeNull()
    expect(routes(ns).join()).not.toContain('ghtun0')
    t.close() // idempotent
  })

  test('no name: the kernel picks tunN', () => {
    const t = openTun({ mtu: 1500, addresses: [], routes: [], netns: ns })
    expect(t.name).toMatch(/^tun\d+$/)
    expect(link(ns, t.name)).not.toBeNull()
    t.close()
    expect(link(ns, t.name)).toBeNull()
  })

  test('multiQueue: one descriptor per queue on one device', () => {
    const t = openTun({ name: 'ghtunmq', mtu: 1500, addresses: [], routes: [], netns: ns, multiQueue: 2 })
    expect(t.queues.length).toBe(2)
    expect(t.queues[0].fd).not.toBe(t.queues[1].fd)
    expect(run(['ip', '-n', ns, '-d', 'link', 'show', 'ghtunmq']).out).toContain('multi_queue')
    t.close()
    expect(link(ns, 'ghtunmq')).toBeNull()
  })
})

for (const io of ['ring', 'poll'] as const) {
  describe.skipIf(!CAN_RUN)(`packet I/O, io=${io}`, () => {
    test('RFC 792: ping into the device, read the echo request, write the reply, ping succeeds', async () => {
      const t = open(`ghping${io}`, io)
      const seen: number[] = []
      t.onPackets((buf, off, len) => {
        const p = buf.slice(off, off + len)
        // IPv4, protocol 1 (ICMP), type 8 (echo request) to our peer address.
        if (p[0] >> 4 === 4 && p[9] === 1 && p[20] === 8) {
          seen.push(len)
          expect(t.write(echoReplyFor(p), 0, len)).toBe(true)
        }
      })
      const ping = Bun.spawn(
        ['ip', 'netns', 'exec', ns, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '10.99.0.2'],
        {
          stdout: 'pipe',
        },
      )
      expect(await ping.exited).toBe(0)
      expect(seen).toEqual([84, 84]) // 20 B IP + 8 B ICMP + 56 B default payload
      expect(t.counters.txPackets).toBe(2)
      expect(t.counters.rxPackets).toBeGreaterThanOrEqual(2)
      t.close()
    })

    test('RFC 768: a UDP round trip through the device', async () => {
      const t = open(`ghudp${io}`, io)
      t.onPackets((buf, off, len) => {
        const p = buf.slice(off, off + len)
        if (p[0] >> 4 === 4 && p[9] === 17) t.write(udpReplyFor(p), 0, len)
      })
      const script = `
        const s = require('node:dgram').createSocket('udp4')
        s.on('message', (m) => { console.log(m.toString()); process.exit(0) })
        s.bind(0, '10.99.0.1', () => s.send('hello tun', 7777, '10.99.0.2'))
        setTimeout(() => process.exit(3), 3000)`
      const child = Bun.spawn(['ip', 'netns', 'exec', ns, process.execPath, '-e', script], { stdout: 'pipe' })
      const out = await new Response(child.stdout).text()
      expect(await child.exited).toBe(0)
      expect(out.trim()).toBe('HELLO TUN')
      t.close()
    })

    test('a burst larger than the ring arrives whole and in order (ring wrap-around, batches)', async () => {
      const t = open(`ghburst${io}`, io)
      const N = 1500 // > 256 ring slots and > 512 packets per batch
      let next = 0
      let outOfOrder = 0
      let corrupt = 0
      t.onPackets((buf, off, len) => {
        if (buf[off] >> 4 !== 4 || buf[off + 9] !== 17 || len !== 28 + 64) return
        const p = off + 28
        const seq = (buf[p] << 8) | buf[p + 1]
        if (seq < next) outOfOrder++
        next = seq + 1
        for (let i = 2; i < 64; i++) if (buf[p + i] !== ((seq + i) & 0xff)) corrupt++
      })
      const script = `
        const s = require('node:dgram').createSocket('udp4')
        s.bind(0, '10.99.0.1', async () => {
          for (let seq = 0; seq < ${N}; seq++) {
            const b = Buffer.alloc(64)
            b.writeUInt16BE(seq, 0)
            for (let i = 2; i < 64; i++) b[i] = (seq + i) & 0xff
            s.send(b, 7777, '10.99.0.2')
            if (seq % 100 === 99) await new Promise((r) => setTimeout(r, 2))
          }
          setTimeout(() => process.exit(0), 100)
        })`
      const child = Bun.spawn(['ip', 'netns', 'exec', ns, process.execPath, '-e', script])
      expect(await child.exited).toBe(0)
      await until(() => next === N, 3000, 'the last packet of the burst')
      expect(outOfOrder).toBe(0)
      expect(corrupt).toBe(0)
      // Drops are the kernel's (device queue of 500) and would show as gaps; none are expected at this pace.
      expect(t.counters.rxPackets).toBeGreaterThanOrEqual(N * 0.9)
      t.close()
    })
  })
}

describe.skipIf(!CAN_RUN)('multi-queue', () => {
  test('IFF_MULTI_QUEUE: the kernel spreads flows over the queues, each queue delivers its own', async () => {
    const t = openTun({
      name: 'ghmq2',
      mtu: 1400,
      addresses: ['10.99.0.1/24'],
      routes: [],
      netns: ns,
      multiQueue: 2,
    })
    const udp = [0, 0]
    for (let q = 0; q < 2; q++)
      t.queues[q].onPackets((buf, off) => {
        if (buf[off] >> 4 === 4 && buf[off + 9] === 17) udp[q]++
      })
    // 24 flows (source ports): the chance that a flow hash puts all of them on one queue is 2^-23.
    const script = `
      const dgram = require('node:dgram')
      let left = 24
      for (let i = 0; i < 24; i++) {
        const s = dgram.createSocket('udp4')
        s.bind(0, '10.99.0.1', () => s.send('x', 7777, '10.99.0.2', () => { s.close(); if (--left === 0) process.exit(0) }))
      }`
    const child = Bun.spawn(['ip', 'netns', 'exec', ns, process.execPath, '-e', script])
    expect(await child.exited).toBe(0)
    await until(() => udp[0] + udp[1] >= 24, 3000, '24 datagrams')
    expect(udp[0]).toBeGreaterThan(0)
    expect(udp[1]).toBeGreaterThan(0)
    t.close()
    expect(link(ns, 'ghmq2')).toBeNull()
  })
})

describe.skipIf(!CAN_RUN)('a queue per Worker', () => {
  test('attachQueue: a Worker owns one queue of a single-queue device and answers ping from there', async () => {
    const t = openTun({ name: 'ghwq', mtu: 1400, addresses: ['10.99.0.1/24'], routes: [], netns: ns })
    const w = new Worker(new URL('./fixtures/queue-worker.ts', import.meta.url).href)
    let replied = 0
    let onClosed = (): void => {}
    const closed = new Promise<void>((resolve) => {
      onClosed = resolve
    })
    const ready = new Promise<void>((resolve) => {
      w.onmessage = (ev) => {
        if (ev.data === 'ready') resolve()
        if (ev.data === 'replied') replied++
        if (ev.data === 'closed') onClosed()
      }
    })
    w.postMessage({ fd: t.queues[0].fd, mtu: t.mtu })
    await ready
    const ping = Bun.spawn(
      ['ip', 'netns', 'exec', ns, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '10.99.0.2'],
      {
        stdout: 'ignore',
      },
    )
    expect(await ping.exited).toBe(0)
    expect(replied).toBeGreaterThanOrEqual(2)
    w.postMessage('close')
    await closed
    w.terminate()
    // The attached queue left the descriptor open: the device is still there until the opener closes it.
    expect(link(ns, 'ghwq')).not.toBeNull()
    t.close()
    expect(link(ns, 'ghwq')).toBeNull()
  })
})

describe.skipIf(!CAN_RUN)('MTU', () => {
  test('RFC 791 §2.3: the kernel fragments to the device MTU; a DF packet above it is refused', async () => {
    // IPv4 only: IPv6 needs an MTU of at least 1280 (RFC 8200 §5).
    const t = openTun({ name: 'ghmtu', mtu: 1000, addresses: ['10.99.0.1/24'], routes: [], netns: ns })
    const lens: number[] = []
    t.onPackets((buf, off, len) => {
      if (buf[off] >> 4 === 4 && buf[off + 9] === 1) lens.push(len)
    })
    // 1200 B of ICMP payload without DF: fragments, none above 1000 B.
    run(['ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', '-M', 'dont', '-s', '1200', '10.99.0.2'])
    await until(() => lens.length >= 2, 3000, 'fragments')
    expect(Math.max(...lens)).toBeLessThanOrEqual(1000)
    expect(lens.reduce((a, b) => a + b, 0)).toBe(1200 + 8 + 20 * lens.length)
    // With DF the sender is told the MTU instead (EMSGSIZE); nothing reaches the device.
    const before = lens.length
    const df = run([
      'ip',
      'netns',
      'exec',
      ns,
      'ping',
      '-c',
      '1',
      '-W',
      '1',
      '-M',
      'do',
      '-s',
      '1200',
      '10.99.0.2',
    ])
    expect(df.code).not.toBe(0)
    expect(`${df.out}${df.err}`).toMatch(/mtu ?= ?1000|message too long/i)
    await Bun.sleep(50)
    expect(lens.length).toBe(before)
    t.close()
  })

  test('writes: a packet that is not IPv4/IPv6 is refused and counted, not thrown', () => {
    const t = open('ghbad')
    const junk = new Uint8Array(40) // version nibble 0
    expect(t.write(junk, 0, junk.length)).toBe(false)
    expect(t.counters.txErrors).toBe(1)
    t.close()
  })
})

describe.skipIf(!CAN_RUN)('errors (issue 7)', () => {
  test('name taken by another TUN device: TunNameTakenError, the first keeps working', () => {
    const a = open('ghtaken')
    expect(() => open('ghtaken')).toThrow(TunNameTakenError)
    expect(link(ns, 'ghtaken')).not.toBeNull()
    expect(addrs(ns, 'ghtaken').length).toBe(2)
    a.close()
  })

  test('name taken by a non-TUN device (lo): TunNameTakenError', () => {
    expect(() => openTun({ name: 'lo', mtu: 1500, addresses: [], routes: [], netns: ns })).toThrow(
      TunNameTakenError,
    )
    expect(link(ns, 'lo')?.mtu).toBe(65536)
  })

  test('a failing step rolls back: the error names the field and nothing is left', () => {
    // 10.99.0.0/8 has host bits set: `ip route add` refuses it after the addresses were added.
    let err: unknown
    try {
      openTun({ name: 'ghroll', mtu: 1400, addresses: ['10.95.0.1/24'], routes: ['10.99.0.0/8'], netns: ns })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(TunConfigError)
    expect((err as Error).message).toContain('routes (10.99.0.0/8)')
    expect(link(ns, 'ghroll')).toBeNull()
    expect(routes(ns).join()).not.toContain('10.95.0.0')
  })

  test('without CAP_NET_ADMIN (setpriv drops it): TunPermissionError says what to do', () => {
    const r = run([
      'ip',
      'netns',
      'exec',
      ns,
      'setpriv',
      '--bounding-set=-net_admin',
      '--',
      process.execPath,
      CHILD,
      'open',
      'ghnocap',
    ])
    const res = JSON.parse(r.out)
    expect(res.error).toBe('TunPermissionError')
    expect(res.message).toContain('run as root or grant CAP_NET_ADMIN')
    expect(link(ns, 'ghnocap')).toBeNull()
  })

  test('/dev/net/tun missing (hidden by a tmpfs in a private mount namespace): TunUnavailableError', () => {
    const r = run([
      'ip',
      'netns',
      'exec',
      ns,
      'unshare',
      '--mount',
      '--',
      'sh',
      '-c',
      `mount -t tmpfs none /dev/net && exec "${process.execPath}" "${CHILD}" open ghnodev`,
    ])
    expect(JSON.parse(r.out).error).toBe('TunUnavailableError')
  })

  test('another platform: the module imports without dlopen, openTun throws UnsupportedPlatformError', () => {
    const r = run([process.execPath, CHILD, 'darwin', 'ghmac'])
    const res = JSON.parse(r.out)
    expect(res.error).toBe('UnsupportedPlatformError')
    expect(res.message).toContain('darwin')
  })
})

describe.skipIf(!CAN_RUN)('shutdown (issue 7)', () => {
  for (const [sig, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    test(`${sig}: closeOnSignals removes the device and its routes, exits ${code}`, async () => {
      const child = Bun.spawn(['ip', 'netns', 'exec', ns, process.execPath, CHILD, 'signal', 'ghsig'], {
        stdout: 'pipe',
      })
      const reader = child.stdout.getReader()
      const { value } = await reader.read()
      expect(new TextDecoder().decode(value)).toContain('ready')
      expect(link(ns, 'ghsig')).not.toBeNull()
      expect(routes(ns)).toContain('10.96.0.0/16 dev ghsig')
      child.kill(sig)
      expect(await child.exited).toBe(code)
      expect(link(ns, 'ghsig')).toBeNull()
      expect(routes(ns).join()).not.toContain('10.96.0.0')
    })
  }
})

// Validation runs before libc is opened: no root, no device, any platform.
describe('options (issue 7)', () => {
  test('bad options are refused before anything is created, naming the field', () => {
    expect(() => openTun({ name: 'x'.repeat(16), mtu: 1500, addresses: [], routes: [] })).toThrow(/^name:/)
    expect(() => openTun({ mtu: 20, addresses: [], routes: [] })).toThrow(/^mtu:/)
    expect(() => openTun({ mtu: 1000, addresses: ['fd00::1/64'], routes: [] })).toThrow(/^mtu:.*1280/)
    expect(() => openTun({ mtu: 1500, addresses: ['10.0.0.1'], routes: [] })).toThrow(/^addresses:/)
    expect(() => openTun({ mtu: 1500, addresses: [], routes: ['x/8'] })).toThrow(/^routes:/)
    expect(() => openTun({ mtu: 1500, addresses: [], routes: [], netns: 'gh-tun-none' })).toThrow(/^netns:/)
  })
})
