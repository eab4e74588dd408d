/**
 * The gateway's path in namespaces, shared by test/netns.test.ts and bench/iperf.ts: a client
 * namespace `<prefix>c` (wireguard-go as the client, tunnel IPs 100.64.0.2 and fd00:2021:1111::2),
 * the gateway namespace `<prefix>g` (forwarding, nftables masquerade of the clients' tunnel IPs
 * out of `g1`) and a site `<prefix>s` running dnsmasq for the given names:
 *
 *   c0 192.168.N.1 ── g0 192.168.N.2 | g1 10.N.0.1 ── s0 10.N.0.2 (the site, dnsmasq)
 *
 * The gateway itself is the caller's to start (its config differs); `gatewayConfig` gives the
 * common part. Root only; everything belongs to `lab` and goes with it.
 */
import { buildControlPacket, MessageType } from '@gatehouse/control'
import {
  type Lab,
  masquerade,
  startDnsmasq,
  startWireguardGo,
  type WgKeyPair,
  type WgPeer,
  wgKeyPair,
} from '@gatehouse/netns-kit'

export interface GatewayPath {
  lab: Lab
  c: string
  g: string
  s: string
  /** The site host, 10.N.0.2; `siteNet` is 10.N.0.0/24. */
  site: string
  siteNet: string
  gateway: WgKeyPair
  client: WgKeyPair
  /** The client's view of the gateway: replace its config with this peer to start a fresh session. */
  clientPeer: WgPeer
}

/** app.example.test's proxy IPs, as apps/client assigns them: 4 IPv4 and 4 IPv6. */
export const WEB_PROXY_IPS = [
  '100.96.0.1',
  '100.96.0.2',
  '100.96.0.3',
  '100.96.0.4',
  'fd00:2021:1111:8000::1',
  'fd00:2021:1111:8000::2',
  'fd00:2021:1111:8000::3',
  'fd00:2021:1111:8000::4',
]

/** The AssignedIps control packet for `domain` of `resource` (what apps/client sends on the tunnel). */
export function assignedIps(
  requestId: number,
  resource: string,
  domain: string,
  proxyIps: string[],
): Uint8Array {
  return buildControlPacket({ type: MessageType.AssignedIps, requestId, resource, domain, proxyIps })
}

/**
 * Builds the namespaces, links, masquerade and dnsmasq (`names` answered with the site's address)
 * and starts wireguard-go as the client on `clientIf`, peered with the gateway at 192.168.N.2:51820.
 */
export async function buildGatewayPath(
  lab: Lab,
  o: { net: number; clientIf: string; names: string[] },
): Promise<GatewayPath> {
  const [c, g, s] = ['c', 'g', 's'].map((n) => lab.ns(n))
  const site = `10.${o.net}.0.2`
  const siteNet = `10.${o.net}.0.0/24`
  // Links are created inside the namespaces: the host's interfaces are never touched.
  lab.veth(
    { ns: c, dev: 'c0', addrs: [`192.168.${o.net}.1/24`] },
    { ns: g, dev: 'g0', addrs: [`192.168.${o.net}.2/24`] },
  )
  lab.veth({ ns: g, dev: 'g1', addrs: [`10.${o.net}.0.1/24`] }, { ns: s, dev: 's0', addrs: [`${site}/24`] })
  lab.sysctl(g, 'net.ipv4.ip_forward=1')
  // The host masquerades the clients' tunnel IPs towards the site (MISSION.md picture).
  masquerade(g, { table: 'gh_gw', oif: 'g1', v4: ['100.64.0.0/11'] })
  await startDnsmasq(lab, {
    ns: s,
    listen: [site],
    wildcards: Object.fromEntries(o.names.map((n) => [n, site])),
  })

  const gateway = wgKeyPair()
  const client = wgKeyPair()
  const clientPeer: WgPeer = {
    publicKey: gateway.publicKey,
    endpoint: `192.168.${o.net}.2:51820`,
    allowedIps: [
      siteNet,
      '100.64.0.1/32',
      '100.96.0.0/11',
      '::/128',
      'fd00:2021:1111::1/128',
      'fd00:2021:1111:8000::/107',
    ],
  }
  await startWireguardGo(lab, {
    ns: c,
    ifname: o.clientIf,
    privateKey: client.privateKey,
    peers: [clientPeer],
    addrs: ['100.64.0.2/32', 'fd00:2021:1111::2/128'],
    routes: [siteNet, '100.96.0.0/11', 'fd00:2021:1111:8000::/107'],
  })
  return { lab, c, g, s, site, siteNet, gateway, client, clientPeer }
}

/** The gateway config both callers share: listen port, key, upstream DNS, one client with `resources`. */
export function gatewayConfig(
  p: GatewayPath,
  resources: ({ id: string } & Record<string, unknown>)[],
  extra: Record<string, unknown>,
) {
  return {
    listen: '0.0.0.0:51820',
    privateKey: p.gateway.privateKey,
    upstreamDns: [p.site],
    ...extra,
    resources,
    clients: [
      {
        name: 'alice',
        publicKey: p.client.publicKey,
        ipv4: '100.64.0.2',
        ipv6: 'fd00:2021:1111::2',
        resources: resources.map((r) => r.id),
      },
    ],
  }
}
