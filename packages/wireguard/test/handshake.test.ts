import { describe, expect, test } from 'bun:test'
import { drainEvents, drivePair, icmpEcho, makePair } from './helpers.ts'

describe('WireGuard paper §5.4: handshake between our initiator and our responder', () => {
  test('§5.4.2–§5.4.5: initiation, response, first data confirms the session both ways', () => {
    const p = makePair()
    const ping = icmpEcho('10.0.0.1', '10.0.0.2', 1)
    expect(p.a.dev.handlePacket(p.clock.now, p.a.peer, ping)).toBe('staged')
    drivePair(p)
    expect(p.b.received.length).toBe(1)
    expect(p.b.received[0]).toEqual(ping)
    expect(drainEvents(p.a.dev)).toContain('handshake-complete')
    expect(drainEvents(p.b.dev)).toContain('handshake-complete')
    const pong = icmpEcho('10.0.0.2', '10.0.0.1', 1, 32, 0)
    expect(p.b.dev.handlePacket(p.clock.now, p.b.peer, pong)).toBe('queued')
    drivePair(p)
    expect(p.a.received).toEqual([pong])
    expect(p.b.peer.endpoint).toEqual(p.a.addr)
  })
})
