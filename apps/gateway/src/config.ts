import {
  cidrText,
  duplicateIds,
  endpointText,
  featureFlagsConfigSchema,
  ipText,
  ipv4Text,
  ipv6Text,
  logConfigSchema,
  metricsConfigSchema,
  resourceSchema,
  wireguardKey,
} from '@gatehouse/app-common'
import { ipFromText, ipToText, ipv4InPrefix, ipv6InPrefix, parseCidr } from '@gatehouse/ip-packet'
import { TCP_ESTABLISHED_TTL_MS } from '@gatehouse/nat'
import { z } from 'zod'

/** Firezone's client tunnel ranges: clients get one address from each. */
export const DEFAULT_CLIENT_POOL_V4 = '100.64.0.0/11'
export const DEFAULT_CLIENT_POOL_V6 = 'fd00:2021:1111::/107'
/** `nat.idleClientSeconds` by default: 3 h (GatewayState's IDLE_CLIENT_MS; see there). */
export const DEFAULT_IDLE_CLIENT_S = 3 * 60 * 60
/** Shorter would release live TCP sessions of a client that is merely quiet (their lifetime, 2 h 4 min). */
export const MIN_IDLE_CLIENT_S = TCP_ESTABLISHED_TTL_MS / 1000

const clientSchema = z.object({
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, { message: 'not a client name' }),
  publicKey: wireguardKey,
  presharedKey: wireguardKey.optional(),
  ipv4: ipv4Text,
  ipv6: ipv6Text,
  /** Ids of the resources this client may reach. */
  resources: z.array(z.string()).default([]),
})
export type ClientEntry = z.infer<typeof clientSchema>

export const gatewayConfigSchema = z
  .object({
    /** UDP address WireGuard listens on. */
    listen: endpointText.default('0.0.0.0:51820'),
    /** What clients dial; `add-client` writes it into their config. */
    publicEndpoint: endpointText.optional(),
    privateKey: wireguardKey,
    tun: z
      .object({
        name: z.string().min(1).max(15).default('gatehouse-gw'),
        ipv4: ipv4Text.default('100.64.0.1'),
        ipv6: ipv6Text.default('fd00:2021:1111::1'),
        mtu: z.number().int().min(1280).max(65535).default(1280),
      })
      .prefault({}),
    clientPool: z
      .object({
        ipv4: cidrText.default(DEFAULT_CLIENT_POOL_V4),
        ipv6: cidrText.default(DEFAULT_CLIENT_POOL_V6),
      })
      .prefault({}),
    nat: z
      .object({
        /**
         * A client that sent nothing (not even a keepalive) for this long has its per-client state
         * released: name mappings, NAT sessions, pending lookups, held packets. At least the TCP
         * session lifetime, so that nothing live is lost.
         */
        idleClientSeconds: z.number().int().min(MIN_IDLE_CLIENT_S).default(DEFAULT_IDLE_CLIENT_S),
      })
      .prefault({}),
    /** Resolvers for resource names; empty = the host's /etc/resolv.conf. */
    upstreamDns: z.array(ipText).default([]),
    featureFlags: featureFlagsConfigSchema,
    log: logConfigSchema,
    metrics: metricsConfigSchema,
    resources: z.array(resourceSchema).default([]),
    clients: z.array(clientSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    // The flag backend's rules (packages/feature-flags), checked here so the error names our fields.
    const ff = cfg.featureFlags
    if (ff.url !== undefined && !ff.apiKey) {
      ctx.addIssue({
        code: 'custom',
        path: ['featureFlags', 'apiKey'],
        message: 'required when featureFlags.url is set',
      })
    }
    if (ff.timeoutMs >= ff.intervalSeconds * 1000) {
      ctx.addIssue({
        code: 'custom',
        path: ['featureFlags', 'timeoutMs'],
        message: 'must be shorter than featureFlags.intervalSeconds',
      })
    }
    // Shorter, and a healthy backend would flap flags back to their defaults between answers.
    if (ff.graceSeconds * 1000 < ff.intervalSeconds * 1000 + ff.timeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['featureFlags', 'graceSeconds'],
        message: 'must be at least featureFlags.intervalSeconds + featureFlags.timeoutMs',
      })
    }
    for (const message of duplicateIds(cfg.resources, 'resource'))
      ctx.addIssue({ code: 'custom', path: ['resources'], message })
    for (const message of duplicateIds(
      cfg.clients.map((c) => ({ id: c.name })),
      'client',
    )) {
      ctx.addIssue({ code: 'custom', path: ['clients'], message })
    }
    const resourceIds = new Set(cfg.resources.map((r) => r.id))
    const seenKeys = new Set<string>()
    const seenIps = new Set<string>()
    const pool4 = parseCidr(cfg.clientPool.ipv4)
    const pool6 = parseCidr(cfg.clientPool.ipv6)
    cfg.clients.forEach((client, i) => {
      client.resources.forEach((id, j) => {
        if (!resourceIds.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['clients', i, 'resources', j],
            message: `no resource '${id}'`,
          })
        }
      })
      if (seenKeys.has(client.publicKey)) {
        ctx.addIssue({ code: 'custom', path: ['clients', i, 'publicKey'], message: 'used by another client' })
      }
      seenKeys.add(client.publicKey)
      for (const family of ['ipv4', 'ipv6'] as const) {
        const parsed = ipFromText(client[family])
        const canonical = parsed ? ipToText(parsed) : client[family]
        if (seenIps.has(canonical)) {
          ctx.addIssue({ code: 'custom', path: ['clients', i, family], message: 'used by another client' })
        }
        seenIps.add(canonical)
      }
      const a4 = ipFromText(client.ipv4)
      if (pool4?.family === 4 && a4?.family === 4 && !ipv4InPrefix(a4.addr4, pool4.addr4, pool4.prefixLen)) {
        ctx.addIssue({
          code: 'custom',
          path: ['clients', i, 'ipv4'],
          message: `outside clientPool.ipv4 ${cfg.clientPool.ipv4}`,
        })
      }
      const a6 = ipFromText(client.ipv6)
      if (
        pool6?.family === 6 &&
        a6?.family === 6 &&
        !ipv6InPrefix(a6.addr6, 0, pool6.addr6, 0, pool6.prefixLen)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['clients', i, 'ipv6'],
          message: `outside clientPool.ipv6 ${cfg.clientPool.ipv6}`,
        })
      }
    })
  })
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>
