import { z } from 'zod'
import { endpointText, ipText, ipv4Text, ipv6Text, resourceSchema, wireguardKey } from './access.ts'

/** Sections both apps' configs share. */

export const featureFlagsConfigSchema = z
  .object({
    /** PostHog-compatible backend; none = offline, every flag at its default. */
    url: z.url().optional(),
    apiKey: z.string().optional(),
    /** The identity flags are evaluated for; defaults to the app's public key. */
    distinctId: z.string().optional(),
    intervalSeconds: z.number().positive().default(300),
    graceSeconds: z.number().nonnegative().default(900),
    timeoutMs: z.number().int().positive().default(5000),
  })
  .prefault({})

export const logConfigSchema = z
  .object({
    dir: z.string().optional(),
    console: z.enum(['human', 'json', 'none']).default('human'),
    level: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  })
  .prefault({})

/** Prometheus text on a loopback `host:port`; none = not served. */
export const metricsConfigSchema = z.object({ listen: endpointText.optional() }).prefault({})

/**
 * A client's configuration: what the gateway's `add-client NAME` prints, plus local choices.
 * Both apps read this one schema so the hand-over cannot drift.
 */
export const clientConfigSchema = z.object({
  name: z.string().min(1),
  privateKey: wireguardKey,
  presharedKey: wireguardKey.optional(),
  /** The client's own tunnel addresses; the gateway accepts only these as sources. */
  ipv4: ipv4Text,
  ipv6: ipv6Text,
  gateway: z.object({
    publicKey: wireguardKey,
    /** host:port the gateway listens on. */
    endpoint: endpointText,
    /** The gateway's tunnel addresses (ICMP errors come from them). */
    ipv4: ipv4Text,
    ipv6: ipv6Text,
  }),
  /** The resources this client may use, as the gateway's config defines them. */
  resources: z.array(resourceSchema).default([]),
  tun: z
    .object({
      name: z.string().min(1).max(15).default('gatehouse'),
      mtu: z.number().int().min(1280).default(1280),
    })
    .prefault({}),
  /** Resolvers the sentinel addresses stand for; empty = the host's /etc/resolv.conf. */
  upstreamDns: z.array(ipText).default([]),
  /** `etc-resolv-conf`: point the host at the sentinels and restore the file on exit. */
  dnsControl: z.enum(['etc-resolv-conf', 'none']).default('etc-resolv-conf'),
  featureFlags: featureFlagsConfigSchema,
  log: logConfigSchema,
  metrics: metricsConfigSchema,
})
export type ClientConfig = z.infer<typeof clientConfigSchema>
