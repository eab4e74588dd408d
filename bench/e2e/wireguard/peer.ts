/**
 * One end of the end-to-end WireGuard bench: our implementation between a TUN device
 * (@gatehouse/tun) and a UDP socket. Run inside a namespace: `ip netns exec NS bun peer.ts`,
 * config as JSON in env WG_BENCH. Prints "ready", then runs until killed.
 */
import { closeOnSignals, openTun } from '@gatehouse/tun'
import { parseKey, UdpTunnel } from '@gatehouse/wireguard'

interface Config {
  privateKey: string
  peerPublicKey: string
  listenPort: number
  endpoint?: { address: string; port: number }
  dev: string
  tunAddr: string
  peerTunAddr: string
  mtu: number
}
const c = JSON.parse(process.env.WG_BENCH ?? '{}') as Config
closeOnSignals()
const tun = openTun({
  name: c.dev,
  mtu: c.mtu,
  addresses: [`${c.tunAddr}/32`],
  routes: [`${c.peerTunAddr}/32`],
})
const tunnel = await UdpTunnel.open({
  privateKey: parseKey(c.privateKey, 'privateKey'),
  hostname: '0.0.0.0',
  port: c.listenPort,
  onPacket: (buf, off, len) => {
    tun.write(buf, off, len)
  },
})
const peer = tunnel.device.addPeer({
  publicKey: parseKey(c.peerPublicKey, 'peerPublicKey'),
  endpoint: c.endpoint ?? null,
  allowedIps: [`${c.peerTunAddr}/32`],
})
tun.onPackets((buf, off, len) => {
  tunnel.sendPacket(buf, off, len)
})
const report = () => {
  const d = tunnel.device
  const drops = Object.fromEntries(Object.entries(d.drops).filter(([, v]) => v > 0))
  process.stderr.write(`${JSON.stringify({ stats: peer.stats, device: d.stats, drops })}\n`)
}
process.on('SIGUSR1', report)
console.log('ready')
