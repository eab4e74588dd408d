import { ipFromText, parseCidr } from '@gatehouse/ip-packet'
import { z } from 'zod'

/**
 * The access model both apps read from configuration: resources (DNS patterns, CIDRs, the
 * Internet resource), their traffic filters and IP stack, and WireGuard keys. The gateway's
 * config holds all of it; `add-client` copies the part a client may use into the client's config.
 */

export const wireguardKey = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, {
  message: 'not a WireGuard key (44 characters of base64, as `wg genkey` prints)',
})

export const ipv4Text = z
  .string()
  .refine((s) => ipFromText(s)?.family === 4, { message: 'not an IPv4 address' })
export const ipv6Text = z
  .string()
  .refine((s) => ipFromText(s)?.family === 6, { message: 'not an IPv6 address' })
export const ipText = z.string().refine((s) => ipFromText(s) !== null, { message: 'not an IP address' })
export const cidrText = z
  .string()
  .refine((s) => parseCidr(s) !== null, { message: 'not a CIDR (address/prefix)' })

/** `host:port`, `[v6]:port`: where a peer or a listener is. */
export const endpointText = z.string().refine(
  (s) => {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s)
    if (!m) return false
    const port = Number(m[3])
    const host = m[1] ?? m[2]
    return port > 0 && port < 65536 && (m[1] === undefined || ipFromText(host)?.family === 6)
  },
  { message: 'not an endpoint (host:port or [ipv6]:port)' },
)

const portRange = z
  .string()
  .regex(/^\d{1,5}(-\d{1,5})?$/, { message: 'not a port or port range (80 or 8000-8080)' })
  .refine(
    (s) => {
      const [lo, hi = lo] = s.split('-').map(Number)
      return lo >= 1 && hi <= 65535 && lo <= hi
    },
    { message: 'port range out of 1-65535 or reversed' },
  )

/** A filter allows traffic; a resource with no filters allows everything (Firezone's semantics). */
export const filterSchema = z.discriminatedUnion('protocol', [
  z.object({ protocol: z.literal('tcp'), ports: z.array(portRange).min(1).optional() }),
  z.object({ protocol: z.literal('udp'), ports: z.array(portRange).min(1).optional() }),
  z.object({ protocol: z.literal('icmp') }),
])
export type Filter = z.infer<typeof filterSchema>

const resourceId = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, { message: 'not a resource id' })

/** A DNS address pattern: labels, `*` (one label), `**` (any number), `?` (one character). */
const dnsPattern = z
  .string()
  .max(253)
  .regex(/^(\*\*|\*|[a-z0-9_?-]*)(\.(\*\*|\*|[a-z0-9_?-]*))*$/i, { message: 'not a DNS address pattern' })
  .refine((s) => s.length > 0 && !s.split('.').some((l) => l.length === 0), { message: 'empty label' })

export const resourceSchema = z.discriminatedUnion('type', [
  z.object({
    id: resourceId,
    type: z.literal('dns'),
    address: dnsPattern,
    /** A resource restricted to one stack answers queries for the other family with NOERROR and no records. */
    ipStack: z.enum(['dual', 'ipv4', 'ipv6']).default('dual'),
    filters: z.array(filterSchema).default([]),
  }),
  z.object({
    id: resourceId,
    type: z.literal('cidr'),
    address: cidrText,
    filters: z.array(filterSchema).default([]),
  }),
  z.object({ id: resourceId, type: z.literal('internet') }),
])
export type Resource = z.infer<typeof resourceSchema>

/** Resource ids must be unique; returns the problems, or [] when fine. */
export function duplicateIds(items: { id: string }[], what: string): string[] {
  const seen = new Set<string>()
  const problems: string[] = []
  for (const { id } of items) {
    if (seen.has(id)) problems.push(`${what} '${id}' is defined twice`)
    seen.add(id)
  }
  return problems
}
