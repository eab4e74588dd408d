/** The README example, run as written. */
import { expect, test } from 'bun:test'
import { Device, type Endpoint, generatePrivateKey, publicKey } from '../src/index.ts'
import { icmpEcho } from './helpers.ts'

test('README example: two devices, one packet, the shell loop', () => {
  const random = (b: Uint8Array) => {
    crypto.getRandomValues(b)
  }
  const unixMs = () => Date.now()
  const ka = generatePrivateKey(random)
  const kb = generatePrivateKey(random)
  const alice = new Device({ privateKey: ka, random, unixMs })
  const bob = new Device({ privateKey: kb, random, unixMs })
  const aliceAddr: Endpoint = { address: '192.0.2.1', port: 51820 }
  const bobAddr: Endpoint = { address: '192.0.2.2', port: 51820 }
  const bobPeer = alice.addPeer({ publicKey: publicKey(kb), endpoint: bobAddr, allowedIps: ['10.0.0.2/32'] })
  bob.addPeer({ publicKey: publicKey(ka), allowedIps: ['10.0.0.1/32'] })

  const packet = icmpEcho('10.0.0.1', '10.0.0.2', 1) // any IPv4/IPv6 packet
  let now = 0 // ms, monotonic
  expect(alice.handlePacket(now, bobPeer, packet)).toBe('staged') // no session yet: handshake starts

  // The shell: move datagrams between the two until none is left (a UDP socket in real life).
  const delivered: Uint8Array[] = []
  for (let moved = true; moved; now += 1) {
    moved = false
    for (const [from, fromAddr, to] of [
      [alice, aliceAddr, bob],
      [bob, bobAddr, alice],
    ] as const) {
      for (let t = from.pollTransmit(); t !== null; t = from.pollTransmit()) {
        moved = true
        const datagram = t.data.slice(0, t.length)
        if (to.handleDatagram(now, fromAddr, datagram) === 'forward')
          delivered.push(datagram.slice(to.rx.off, to.rx.off + to.rx.len))
      }
    }
  }
  expect(delivered).toEqual([packet])
  expect(bob.pollEvent()?.type).toBe('handshake-complete')
  expect(alice.pollTimeout()).not.toBeNull() // keepalive/rekey timers: call handleTimeout then
})
