import { describe, expect, test } from 'bun:test'
import {
  KEEPALIVE_TIMEOUT_MS,
  REJECT_AFTER_MESSAGES,
  REJECT_AFTER_TIME_MS,
  REKEY_AFTER_TIME_MS,
  REKEY_ATTEMPT_TIME_MS,
  REKEY_TIMEOUT_JITTER_MAX_MS,
  REKEY_TIMEOUT_MS,
} from '../src/index.ts'
import { A_ADDR, deliver, drainEvents, drivePair, icmpEcho, makePair, type Pair } from './helpers.ts'

const PING = icmpEcho('10.0.0.1', '10.0.0.2', 1)
const PONG = icmpEcho('10.0.0.2', '10.0.0.1', 1, 32, 0)

/** A pair with a confirmed session: A initiated, B received data. */
function established(o: Parameters<typeof makePair>[0] = {}): Pair {
  const p = makePair(o)
  p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
  drivePair(p)
  p.a.received.length = 0
  p.b.received.length = 0
  drainEvents(p.a.dev)
  drainEvents(p.b.dev)
  return p
}

/** Captures A's next datagram instead of delivering it. */
function capture(p: Pair): Uint8Array {
  const t = p.a.dev.pollTransmit()
  if (t === null) throw new Error('nothing to capture')
  return t.data.slice(0, t.length)
}

describe('WireGuard paper §5.4: handshake', () => {
  test('§5.2: a pre-shared key on both sides works; a mismatched one fails the response', () => {
    const psk = new Uint8Array(32).fill(7)
    const ok = makePair({ psk })
    ok.a.dev.handlePacket(ok.clock.now, ok.a.peer, PING)
    drivePair(ok)
    expect(ok.b.received).toEqual([PING])

    const bad = makePair({ psk })
    bad.b.peer.handshake.presharedKey.fill(8)
    bad.a.dev.handlePacket(bad.clock.now, bad.a.peer, PING)
    drivePair(bad)
    expect(bad.b.received).toEqual([])
    expect(bad.a.dev.drops['wg-handshake-decrypt-failed']).toBe(1)
  })

  test('§5.4.2: an initiation with a broken MAC1 is dropped before any DH', () => {
    const p = makePair()
    p.a.dev.initiate(p.clock.now, p.a.peer)
    const init = capture(p)
    init[120] ^= 1
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, init)).toBe('wg-bad-mac1')
  })

  test('§5.1: a replayed initiation (same TAI64N) is rejected', () => {
    const p = makePair()
    p.a.dev.initiate(p.clock.now, p.a.peer)
    const init = capture(p)
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, init.slice())).toBe('consumed')
    p.clock.now += 1000
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, init.slice())).toBe('wg-initiation-replay')
  })

  test('wireguard-go: initiations from one peer faster than 50/s are dropped as a flood', () => {
    const p = makePair()
    p.a.dev.initiate(p.clock.now, p.a.peer)
    const i1 = capture(p)
    p.clock.unixEpochOffset += 1000 // later wall clock: a fresh, valid timestamp
    p.a.peer.lastSentHandshake = Number.NEGATIVE_INFINITY
    p.a.dev.initiate(p.clock.now, p.a.peer)
    const i2 = capture(p)
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, i1)).toBe('consumed')
    expect(p.b.dev.handleDatagram(p.clock.now + 5, A_ADDR, i2)).toBe('wg-initiation-flood')
  })

  test('§5.4.5: the responder does not send before key confirmation, then uses the new keypair', () => {
    const p = makePair({ bKnowsA: true })
    p.a.dev.initiate(p.clock.now, p.a.peer)
    deliver(p, p.a, p.b) // initiation → B has `next` only
    expect(p.b.peer.next).not.toBeNull()
    expect(p.b.peer.current).toBeNull()
    expect(p.b.dev.handlePacket(p.clock.now, p.b.peer, PONG)).toBe('staged')
    drivePair(p) // response → A; A's keepalive confirms; B flushes its staged packet
    expect(p.b.peer.current).not.toBeNull()
    expect(p.a.received).toEqual([PONG])
  })

  test('§5.3: under load the responder demands MAC2; the initiator retries with the cookie', () => {
    const p = makePair({ underLoadThreshold: 0 })
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
    deliver(p, p.a, p.b)
    expect(p.b.dev.drops['wg-cookie-required']).toBe(1)
    expect(p.b.dev.stats.cookieRepliesSent).toBe(1)
    drivePair(p, REKEY_TIMEOUT_MS + REKEY_TIMEOUT_JITTER_MAX_MS)
    expect(p.b.received).toEqual([PING])
    expect(p.b.dev.drops['wg-cookie-required']).toBe(1)
  })
})

test('WireGuard paper §5.3: under load, a source with a valid cookie is rate-limited to a burst of 5, then 20/s', () => {
  const p = makePair({ underLoadThreshold: 0 })
  p.a.dev.initiate(p.clock.now, p.a.peer)
  deliver(p, p.a, p.b) // cookie reply queued at B
  deliver(p, p.b, p.a) // A stores the cookie
  const verdicts: string[] = []
  for (let i = 0; i < 8; i++) {
    p.clock.now += 1 // 8 initiations within 8 ms (flood protection would also apply; the limiter comes first)
    p.clock.unixEpochOffset += 100
    p.a.peer.lastSentHandshake = Number.NEGATIVE_INFINITY
    p.a.dev.initiate(p.clock.now, p.a.peer)
    const t = p.a.dev.pollTransmit()!
    verdicts.push(p.b.dev.handleDatagram(p.clock.now, A_ADDR, t.data.slice(0, t.length)))
    while (p.b.dev.pollTransmit() !== null) {}
  }
  expect(verdicts.filter((v) => v === 'wg-rate-limited').length).toBe(3)
  expect(verdicts[0]).toBe('consumed')
  p.clock.now += 1000
  p.clock.unixEpochOffset += 1000
  p.a.peer.lastSentHandshake = Number.NEGATIVE_INFINITY
  p.a.dev.initiate(p.clock.now, p.a.peer)
  const t = p.a.dev.pollTransmit()!
  expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, t.data.slice(0, t.length))).toBe('consumed')
})

describe('WireGuard paper §5.4.6: transport', () => {
  test('a replayed transport message is dropped, the original delivered once', () => {
    const p = established()
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
    const d = capture(p)
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, d.slice())).toBe('forward')
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, d.slice())).toBe('wg-replayed')
  })

  test('a counter older than the 2048-packet window is dropped; reordering inside it is fine', () => {
    const p = established()
    const sent: Uint8Array[] = []
    for (let i = 0; i < 2100; i++) {
      p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
      sent.push(capture(p))
    }
    for (let i = 2099; i >= 1000; i--)
      expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, sent[i])).toBe('forward')
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, sent[0])).toBe('wg-replayed')
  })

  test('a modified ciphertext fails authentication and does not move the window', () => {
    const p = established()
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
    const d = capture(p)
    const bad = d.slice()
    bad[20] ^= 0x80
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, bad)).toBe('wg-decrypt-failed')
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, d)).toBe('forward')
  })

  test('plaintext is padded to 16 bytes; the receiver strips padding by the IP length', () => {
    const p = established()
    const odd = icmpEcho('10.0.0.1', '10.0.0.2', 9, 33) // 61 bytes
    p.a.dev.handlePacket(p.clock.now, p.a.peer, odd)
    const d = capture(p)
    expect(d.length).toBe(16 + 64 + 16)
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, d)).toBe('forward')
    expect(p.b.dev.rx.len).toBe(61)
  })

  test('paper §2 cryptokey routing: an inner source outside the allowed IPs is dropped', () => {
    const p = established()
    p.a.dev.handlePacket(p.clock.now, p.a.peer, icmpEcho('10.9.9.9', '10.0.0.2', 1))
    drivePair(p)
    expect(p.b.received).toEqual([])
    expect(p.b.dev.drops['wg-disallowed-source']).toBe(1)
    expect(p.a.dev.peerForDestination(PING)).toBe(p.a.peer)
  })

  test('IPv6 inner packets travel too; a payload that is not IP is dropped after decryption', () => {
    const p = established()
    const v6 = new Uint8Array(48)
    v6[0] = 0x60
    v6[5] = 8 // payload length 8
    v6[6] = 59 // no next header
    v6[7] = 64
    v6.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 8)
    v6.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 24)
    expect(p.a.dev.peerForDestination(v6)).toBe(p.a.peer)
    p.a.dev.handlePacket(p.clock.now, p.a.peer, v6)
    p.a.dev.handlePacket(p.clock.now, p.a.peer, new Uint8Array(30).fill(0x22))
    drivePair(p)
    expect(p.b.received).toEqual([v6])
    expect(p.b.dev.drops['wg-bad-inner-packet']).toBe(1)
  })

  test('a peer never heard from and without endpoint: packets to it are dropped once, not staged', () => {
    const p = makePair({ bKnowsA: false })
    expect(p.b.dev.handlePacket(p.clock.now, p.b.peer, PONG)).toBe('wg-no-endpoint')
    expect(p.b.peer.staged.length).toBe(0)
    expect(p.b.dev.drops['wg-no-endpoint']).toBe(1)
    expect(p.b.dev.pollTransmit()).toBeNull()
  })

  test('paper §2 roaming: the endpoint follows the last authenticated source only', () => {
    const p = established()
    expect(p.b.peer.endpoint).toEqual(A_ADDR)
    const roamed = { address: '198.51.100.7', port: 4000 }
    const junk = new Uint8Array(48)
    junk[0] = 4
    p.b.dev.handleDatagram(p.clock.now, roamed, junk)
    expect(p.b.peer.endpoint).toEqual(A_ADDR)
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
    expect(p.b.dev.handleDatagram(p.clock.now, roamed, capture(p))).toBe('forward')
    expect(p.b.peer.endpoint).toEqual(roamed)
  })
})

describe('WireGuard paper §6: timers', () => {
  test('§6.2: the initiator rekeys after REKEY_AFTER_TIME; the old keypair still receives', () => {
    const p = established()
    const first = p.a.peer.current!
    p.b.dev.handlePacket(p.clock.now, p.b.peer, PONG)
    const inflight = p.b.dev.pollTransmit()!.data.slice()
    p.clock.now += REKEY_AFTER_TIME_MS + 1
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING) // sent on the old keypair, then triggers a handshake
    drivePair(p)
    expect(p.a.peer.current).not.toBe(first)
    expect(p.a.peer.previous).toBe(first)
    expect(p.b.received.length).toBe(1)
    const len = 16 + 64 + 16
    expect(p.a.dev.handleDatagram(p.clock.now, p.b.addr, inflight.subarray(0, len))).toBe('forward')
  })

  test('§6.2: the responder never rekeys by time; the initiator does so before REJECT_AFTER_TIME when receiving', () => {
    const p = established()
    const first = p.a.peer.current!
    p.clock.now += REJECT_AFTER_TIME_MS - KEEPALIVE_TIMEOUT_MS - REKEY_TIMEOUT_MS + 1
    p.b.dev.handlePacket(p.clock.now, p.b.peer, PONG)
    drivePair(p)
    expect(p.a.received).toEqual([PONG])
    expect(p.a.peer.current).not.toBe(first)
  })

  test('§6.1: a keypair at REJECT_AFTER_MESSAGES sends no more; the packet waits for a fresh handshake', () => {
    const p = established()
    const old = p.a.peer.current!
    old.sendCounter = REJECT_AFTER_MESSAGES
    p.clock.now += REKEY_TIMEOUT_MS // past the one-initiation-per-REKEY_TIMEOUT limit
    expect(p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)).toBe('staged')
    drivePair(p)
    expect(p.a.peer.current).not.toBe(old)
    expect(p.b.received).toEqual([PING])
  })

  test('§6.1: nothing is accepted on a keypair older than REJECT_AFTER_TIME', () => {
    const p = established()
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
    const d = capture(p)
    p.clock.now += REJECT_AFTER_TIME_MS
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, d)).toBe('wg-keypair-expired')
  })

  test('§6.3: a passive keepalive follows received data after KEEPALIVE_TIMEOUT', () => {
    const p = established()
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
    deliver(p, p.a, p.b)
    const before = p.b.dev.stats.keepalivesSent
    drivePair(p, KEEPALIVE_TIMEOUT_MS)
    expect(p.b.dev.stats.keepalivesSent).toBe(before + 1)
    expect(p.a.dev.stats.keepalivesReceived).toBeGreaterThan(0)
  })

  test('§6.4: handshakes are retransmitted every REKEY_TIMEOUT + jitter and given up after REKEY_ATTEMPT_TIME', () => {
    const p = makePair()
    p.lose = () => true
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
    const start = p.clock.now
    drivePair(p, REKEY_ATTEMPT_TIME_MS + 4 * REKEY_TIMEOUT_MS)
    const ev = drainEvents(p.a.dev)
    expect(ev).toContain('handshake-failed')
    expect(p.a.dev.stats.handshakesInitiated).toBeGreaterThanOrEqual(REKEY_ATTEMPT_TIME_MS / REKEY_TIMEOUT_MS)
    expect(p.a.dev.stats.handshakesInitiated).toBeLessThanOrEqual(
      REKEY_ATTEMPT_TIME_MS / REKEY_TIMEOUT_MS + 2,
    )
    expect(p.a.dev.drops['wg-handshake-timeout']).toBe(1)
    expect(p.clock.now - start).toBeGreaterThanOrEqual(REKEY_ATTEMPT_TIME_MS)
  })

  test("retryHandshake: an unanswered initiation is re-sent at the caller's pace, and the session forms at once", () => {
    const p = makePair()
    p.lose = () => true // the responder is away
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
    deliver(p, p.a, p.b)
    expect(p.a.dev.stats.handshakesInitiated).toBe(1)
    expect(p.a.dev.retryHandshake(p.clock.now + 5, p.a.peer)).toBe(false) // within HANDSHAKE_INITIATION_RATE
    p.lose = null // back
    p.clock.now += 250
    expect(p.a.dev.retryHandshake(p.clock.now, p.a.peer)).toBe(true)
    expect(p.a.dev.stats.handshakesInitiated).toBe(2)
    const t0 = p.clock.now
    drivePair(p)
    expect(p.b.received).toEqual([PING]) // the staged packet, long before REKEY_TIMEOUT
    expect(p.clock.now - t0).toBeLessThan(REKEY_TIMEOUT_MS)
    expect(drainEvents(p.a.dev)).toContain('handshake-complete')
    // Nothing in flight any more: nothing to retry.
    expect(p.a.dev.retryHandshake(p.clock.now + 1_000, p.a.peer)).toBe(false)
  })

  test('retryHandshake: false without a handshake of ours in flight; retries do not shorten REKEY_ATTEMPT_TIME', () => {
    const fresh = makePair()
    expect(fresh.a.dev.retryHandshake(fresh.clock.now, fresh.a.peer)).toBe(false) // none started
    const p = makePair()
    p.lose = () => true
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
    const start = p.clock.now
    for (let i = 0; i < 20; i++) {
      p.clock.now += 100
      expect(p.a.dev.retryHandshake(p.clock.now, p.a.peer)).toBe(true)
      deliver(p, p.a, p.b)
    }
    drivePair(p, REKEY_ATTEMPT_TIME_MS + 4 * REKEY_TIMEOUT_MS)
    expect(drainEvents(p.a.dev)).toContain('handshake-failed')
    // The attempt still lasted REKEY_ATTEMPT_TIME of timer retransmissions after the fast ones.
    expect(p.clock.now - start).toBeGreaterThanOrEqual(REKEY_ATTEMPT_TIME_MS)
    expect(p.a.dev.retryHandshake(p.clock.now, p.a.peer)).toBe(false) // given up
  })

  test('stats.lastReceived: set by authenticated handshakes, data and keepalives only', () => {
    const p = makePair()
    expect(p.b.peer.stats.lastReceived).toBe(Number.NEGATIVE_INFINITY)
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
    deliver(p, p.a, p.b) // initiation
    expect(p.b.peer.stats.lastReceived).toBe(p.clock.now)
    p.clock.now += 10
    deliver(p, p.b, p.a) // response
    expect(p.a.peer.stats.lastReceived).toBe(p.clock.now)
    p.clock.now += 10
    deliver(p, p.a, p.b) // data
    expect(p.b.peer.stats.lastReceived).toBe(p.clock.now)
    const dataAt = p.clock.now
    p.clock.now += 10
    p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
    const forged = capture(p)
    forged[forged.length - 1] ^= 1
    expect(p.b.dev.handleDatagram(p.clock.now, A_ADDR, forged)).toBe('wg-decrypt-failed')
    expect(p.b.peer.stats.lastReceived).toBe(dataAt)
    // B's passive keepalive (KEEPALIVE_TIMEOUT after the data) reaches A.
    const heard = p.a.peer.stats.lastReceived
    const kas = p.a.dev.stats.keepalivesReceived
    drivePair(p, KEEPALIVE_TIMEOUT_MS + 1)
    expect(p.a.dev.stats.keepalivesReceived).toBe(kas + 1)
    expect(p.a.peer.stats.lastReceived).toBe(dataAt + KEEPALIVE_TIMEOUT_MS)
    expect(heard).toBeLessThan(dataAt)
  })

  test('§6.5: persistent keepalive sends on schedule even when idle', () => {
    const p = established({ persistentKeepaliveS: 25 })
    const before = p.a.dev.stats.keepalivesSent
    drivePair(p, 100_000)
    expect(p.a.dev.stats.keepalivesSent - before).toBeGreaterThanOrEqual(3)
  })

  test('paper §5.4.5 rotation: after many rekeys, also simultaneous ones, at most 4 indices per peer remain', () => {
    const p = established({ bKnowsA: true })
    for (let round = 0; round < 30; round++) {
      p.clock.now += REKEY_TIMEOUT_MS + 1 + (round % 7) * 9_000
      p.clock.unixEpochOffset += 50
      if (round % 3 === 0) {
        // Both sides initiate at the same moment.
        p.a.dev.initiate(p.clock.now, p.a.peer)
        p.b.dev.initiate(p.clock.now, p.b.peer)
      }
      p.a.dev.handlePacket(p.clock.now, p.a.peer, PING)
      p.b.dev.handlePacket(p.clock.now, p.b.peer, PONG)
      drivePair(p, 20_000)
      expect(p.a.dev.indexCount).toBeLessThanOrEqual(4)
      expect(p.b.dev.indexCount).toBeLessThanOrEqual(4)
    }
    expect(p.a.peer.stats.handshakes + p.b.peer.stats.handshakes).toBeGreaterThan(10)
    expect(p.a.received.length).toBe(30)
    expect(p.b.received.length).toBe(30)
  })

  test('keys are erased after 3 × REJECT_AFTER_TIME without a new session', () => {
    const p = established()
    drivePair(p, 3 * REJECT_AFTER_TIME_MS + 1)
    expect(p.a.peer.current).toBeNull()
    expect(p.b.peer.current).toBeNull()
    expect(drainEvents(p.a.dev)).toContain('keys-zeroed')
  })
})
