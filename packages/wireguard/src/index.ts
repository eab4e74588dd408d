/**
 * WireGuard (Noise_IKpsk2) interoperable with wireguard-go: a sans-IO device and a thin Bun UDP
 * shell. See README.md.
 * @packageDocumentation
 */
export * from './constants.ts'
export {
  type DatagramVerdict,
  Device,
  type DeviceConfig,
  type PacketVerdict,
  type Received,
  type Transmit,
  type WireGuardEvent,
} from './device.ts'
export { DROP_REASONS, type DropReason } from './drops.ts'
export { formatKey, generatePrivateKey, parseKey, publicKey } from './keys.ts'
export { COOKIE_REPLY_LEN, INITIATION_LEN, RESPONSE_LEN, TRANSPORT_HEADER_LEN } from './messages.ts'
export { CONSTRUCTION, IDENTIFIER } from './noise.ts'
export { type Endpoint, Peer, type PeerConfig, type PeerStats } from './peer.ts'
export { REPLAY_WINDOW, ReplayWindow } from './replay.ts'
export { TIMERS, type TimerName } from './timers.ts'
export { UdpTunnel, type UdpTunnelOptions } from './udp.ts'
