/** wireguard-go + `wg setconf` as a reference WireGuard peer inside a namespace. */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run } from './command.ts'
import { addAddr, type Lab, type Proc } from './lab.ts'
import { linkExists } from './wait.ts'

export interface WgKeyPair {
  privateKey: string
  publicKey: string
}

/** A fresh key pair from `wg genkey` / `wg pubkey`. */
export function wgKeyPair(): WgKeyPair {
  const privateKey = run(['wg', 'genkey']).trim()
  return { privateKey, publicKey: wgPublicKey(privateKey) }
}

/** The public key of `privateKey` (`wg pubkey`). */
export function wgPublicKey(privateKey: string): string {
  return run(['wg', 'pubkey'], { stdin: privateKey }).trim()
}

export interface WgPeer {
  publicKey: string
  /** `host:port`, when this side initiates. */
  endpoint?: string
  allowedIps: readonly string[]
  persistentKeepalive?: number
}

export interface WgInterface {
  privateKey: string
  listenPort?: number
  peers: readonly WgPeer[]
}

/** The `wg setconf` file for `c`. */
export function wgConfig(c: WgInterface): string {
  const lines = ['[Interface]', `PrivateKey = ${c.privateKey}`]
  if (c.listenPort !== undefined) lines.push(`ListenPort = ${c.listenPort}`)
  for (const p of c.peers) {
    lines.push('', '[Peer]', `PublicKey = ${p.publicKey}`, `AllowedIPs = ${p.allowedIps.join(', ')}`)
    if (p.endpoint !== undefined) lines.push(`Endpoint = ${p.endpoint}`)
    if (p.persistentKeepalive !== undefined) lines.push(`PersistentKeepalive = ${p.persistentKeepalive}`)
  }
  return `${lines.join('\n')}\n`
}

export interface WireguardGoOptions extends WgInterface {
  ns: string
  ifname: string
  /** Addresses on the interface (`100.64.0.2/32`, `fd00::2/128`). */
  addrs?: readonly string[]
  /** Routes through the interface. */
  routes?: readonly string[]
  mtu?: number
}

/**
 * Starts `wireguard-go -f <ifname>` in `ns` as a process of `lab`, waits for its interface,
 * loads the generated config with `wg setconf`, adds addresses, brings it up and adds routes.
 */
export async function startWireguardGo(lab: Lab, o: WireguardGoOptions): Promise<Proc> {
  // Ready when both its interface and its UAPI socket (what `wg` talks to) exist. The socket path
  // is per interface name and not per namespace: keep names unique across concurrent runs.
  const sock = `/var/run/wireguard/${o.ifname}.sock`
  const p = await lab.start(
    `wireguard-go-${o.ifname}`,
    o.ns,
    ['wireguard-go', '-f', o.ifname],
    () => linkExists(o.ns, o.ifname) && existsSync(sock),
  )
  setWgConfig(lab, o.ns, o.ifname, o)
  for (const a of o.addrs ?? []) addAddr(o.ns, o.ifname, a)
  run(['ip', '-n', o.ns, 'link', 'set', o.ifname, ...(o.mtu ? ['mtu', String(o.mtu)] : []), 'up'])
  for (const r of o.routes ?? []) run(['ip', '-n', o.ns, 'route', 'add', r, 'dev', o.ifname])
  return p
}

/** Replaces the WireGuard configuration of `ifname` in `ns` (`wg setconf`; the key file is mode 0600). */
export function setWgConfig(lab: Lab, ns: string, ifname: string, c: WgInterface): void {
  const file = join(lab.dir, `${ifname}.conf`)
  writeFileSync(file, wgConfig(c), { mode: 0o600 })
  lab.sh(ns, 'wg', 'setconf', ifname, file)
}
