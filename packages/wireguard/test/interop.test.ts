/**
 * Interop with a real peer (issue 8): wireguard-go (Debian) configured with `wg setconf` in one
 * namespace, our implementation in the other. Our side has no TUN here: it builds ICMP echo
 * requests itself and answers echo requests, so every exchange is a genuine round trip through the
 * kernel behind wireguard-go.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import {
  GO_PORT,
  GO_TUN_IP,
  GO_V4,
  GO_V6,
  HAVE_WG,
  inNs,
  NS_GO,
  NS_OURS,
  OURS_PORT,
  OURS_V4,
  OurPeer,
  OurTunPeer,
  ROOT,
  setupNamespaces,
  teardownNamespaces,
  WireguardGo,
  wgGenkey,
  wgPubkey,
} from './netns.ts'

const RUN = ROOT && HAVE_WG
if (!ROOT) console.warn('skipping wireguard-go interop: needs root (network namespaces)')
else if (!HAVE_WG)
  console.warn('skipping wireguard-go interop: wireguard-go or wg not installed (scripts/setup.sh)')

const goKey = RUN ? wgGenkey() : ''
const ourKey = RUN ? wgGenkey() : ''
const running: { stop(): Promise<void> }[] = []
async function track<T extends { stop(): Promise<void> }>(p: Promise<T>): Promise<T> {
  const x = await p
  running.push(x)
  return x
}

describe.skipIf(!RUN)('interop with wireguard-go', () => {
  beforeAll(() => setupNamespaces())
  afterEach(async () => {
    for (const x of running.splice(0).reverse()) await x.stop()
  })
  afterAll(async () => {
    for (const x of running.splice(0)) await x.stop()
    teardownNamespaces()
  })

  const go = (extra: { psk?: string; peerEndpoint?: string } = {}) =>
    track(WireguardGo.start({ privateKey: goKey, peerPublicKey: wgPubkey(ourKey), ...extra }))
  const ours = (extra: Partial<Parameters<typeof OurPeer.start>[0]> = {}) =>
    track(OurPeer.start({ privateKey: ourKey, peerPublicKey: wgPubkey(goKey), ...extra }))

  test('paper §5.4: we initiate; ping through wireguard-go and back, small and 1300-byte packets', async () => {
    const g = await go()
    const o = await ours({ endpoint: { address: GO_V4, port: GO_PORT } })
    expect(await o.ping(1)).toBe(true)
    expect(await o.ping(2)).toBe(true)
    expect(await o.ping(3, 3000, 'big')).toBe(true)
    expect(g.show('latest-handshakes')).not.toMatch(/\t0$/m)
    expect(await o.drops()).toEqual({})
  })

  test('paper §5.4: wireguard-go initiates; its pings get our replies, then we send on its session', async () => {
    const g = await go({ peerEndpoint: `${OURS_V4}:${OURS_PORT}` })
    const o = await ours()
    expect(g.ping(3)).toBe(3)
    expect(await o.ping(10)).toBe(true)
    expect(g.show('endpoints')).toContain(`${OURS_V4}:${OURS_PORT}`)
    expect(await o.drops()).toEqual({})
  })

  test.skipIf(!Bun.which('iperf3') || !existsSync(OurTunPeer.script))(
    'issue 8: ping and an iperf3 TCP run through our TUN endpoint and wireguard-go',
    async () => {
      await go()
      await track(
        OurTunPeer.start({
          privateKey: ourKey,
          peerPublicKey: wgPubkey(goKey),
          endpoint: { address: GO_V4, port: GO_PORT },
        }),
      )
      expect(inNs(NS_OURS, ['ping', '-c', '3', '-i', '0.3', '-W', '2', GO_TUN_IP]).out).toMatch(/ 3 received/)
      // One server for both runs (forward, then -R: wireguard-go's side sending into our TUN).
      const server = Bun.spawn(['ip', 'netns', 'exec', NS_GO, 'iperf3', '-s', '-B', GO_TUN_IP], {
        stdout: 'ignore',
        stderr: 'ignore',
      })
      try {
        await Bun.sleep(300)
        for (const dir of [[], ['-R']]) {
          const r = inNs(NS_OURS, ['iperf3', '-c', GO_TUN_IP, '-t', '2', '-J', ...dir])
          const j = JSON.parse(r.out || '{}')
          if (j.error || r.code !== 0) console.error('iperf3', dir, j.error ?? r.out)
          expect(r.code).toBe(0)
          expect(j.end.sum_received.bytes).toBeGreaterThan(1_000_000)
        }
      } finally {
        server.kill()
        await server.exited
      }
    },
    30_000,
  )

  test('paper §5.2: with a pre-shared key on both sides', async () => {
    const psk = wgGenkey()
    await go({ psk })
    const o = await ours({ psk, endpoint: { address: GO_V4, port: GO_PORT } })
    expect(await o.ping(1)).toBe(true)
  })

  test('paper §5.4: IPv6 outer transport', async () => {
    await go()
    const o = await ours({ endpoint: { address: GO_V6, port: GO_PORT } })
    expect(await o.ping(1)).toBe(true)
  })

  test('paper §5.3: under load we answer with a cookie reply and accept wireguard-go’s MAC2 retry', async () => {
    const g = await go({ peerEndpoint: `${OURS_V4}:${OURS_PORT}` })
    const o = await ours({ underLoadThreshold: 0 })
    // First initiation is answered with a cookie; wireguard-go retries after REKEY_TIMEOUT with MAC2.
    expect(g.ping(24)).toBeGreaterThan(0) // 24 × 0.3 s outlasts the ~5.3 s retry
    const d = await o.drops()
    expect(d['wg-cookie-required']).toBeGreaterThan(0)
  }, 30_000)

  test('restart of our side recovers: a new initiation (later TAI64N) replaces the old session', async () => {
    await go({ peerEndpoint: `${OURS_V4}:${OURS_PORT}` })
    const o1 = await ours({ endpoint: { address: GO_V4, port: GO_PORT } })
    expect(await o1.ping(1)).toBe(true)
    await o1.stop()
    const o2 = await ours({ endpoint: { address: GO_V4, port: GO_PORT } })
    expect(await o2.ping(2)).toBe(true)
  })

  test('restart of wireguard-go recovers, whichever side sends first', async () => {
    const g1 = await go({ peerEndpoint: `${OURS_V4}:${OURS_PORT}` })
    const o = await ours({ endpoint: { address: GO_V4, port: GO_PORT } })
    expect(await o.ping(1)).toBe(true)
    await g1.stop()
    running.splice(running.indexOf(g1), 1)
    // wireguard-go forgot the session: it initiates for its own traffic and we respond.
    const g2 = await go({ peerEndpoint: `${OURS_V4}:${OURS_PORT}` })
    expect(g2.ping(3)).toBeGreaterThan(0)
    expect(await o.ping(2)).toBe(true)
    await g2.stop()
    running.splice(running.indexOf(g2), 1)
    // Now we send first into a forgotten session: with no answer within KEEPALIVE + REKEY_TIMEOUT
    // (15 s, paper §6.2) we start a new handshake.
    await go()
    let ok = false
    for (let seq = 3; seq < 30 && !ok; seq++) ok = await o.ping(seq, 1000)
    expect(ok).toBe(true)
  }, 60_000)
})
