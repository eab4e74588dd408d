import { ipFromText } from '@gatehouse/ip-packet'
import { z } from 'zod'

/**
 * The control protocol that client and gateway speak inside the tunnel, after Firezone's
 * "p2p control protocol": an IP packet whose payload is an 8-byte header followed by a JSON
 * body. Control messages are rare (one per resolved name, per SRV/TXT query, per shutdown),
 * so JSON validated with zod is the right trade: readable in a capture, strict on input.
 *
 * Payload layout (all messages):
 *   0      1        2..3      4..7        8..
 *   type   version  reserved  request id  JSON body (UTF-8)
 */

export const CONTROL_VERSION = 1
export const CONTROL_HEADER_LEN = 8
/** A body above this is refused: 8 proxy IPs and a 253-byte name fit in well under 1 KiB; DNS answers up to 64 KiB. */
export const MAX_CONTROL_BODY_LEN = 65_535

/** Message types, one byte on the wire. */
export const MessageType = {
  /** client -> gateway: domain D of resource R has proxy IPs P. */
  AssignedIps: 1,
  /** gateway -> client: the NAT for (R, D) is active, or why not. */
  DomainStatus: 2,
  /** client -> gateway: a DNS query (SRV, TXT, ...) for a resource name, to resolve at the site. */
  DnsQuery: 3,
  /** gateway -> client: the site's answer to a DnsQuery. */
  DnsAnswer: 4,
  /** either side: I am shutting down; drop my state now rather than at a timeout. */
  Goodbye: 5,
} as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/**
 * Why a domain's NAT is or is not active. Each is a different answer for the client's
 * application: NXDOMAIN stays NXDOMAIN, SERVFAIL and timeouts become SERVFAIL.
 */
export const DOMAIN_STATUSES = [
  'active',
  'nxdomain',
  'no-addresses',
  'servfail',
  'timeout',
  'not-allowed',
] as const
export type DomainStatus = (typeof DOMAIN_STATUSES)[number]

const ipText = z.string().refine((s) => ipFromText(s) !== null, { message: 'not an IP address' })
const domain = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9_*?-]+(\.[a-z0-9_*?-]+)*\.?$/i, { message: 'not a domain name' })
const resourceId = z.string().min(1).max(128)

const assignedIpsBody = z.object({
  resource: resourceId,
  domain,
  proxyIps: z
    .array(ipText)
    .min(1)
    .max(8)
    .refine((ips) => new Set(ips).size === ips.length, { message: 'duplicate proxy IP' }),
})
const domainStatusBody = z.object({ resource: resourceId, domain, status: z.enum(DOMAIN_STATUSES) })
const dnsQueryBody = z.object({ resource: resourceId, query: z.base64() })
const dnsAnswerBody = z.object({ resource: resourceId, answer: z.base64() })
const goodbyeBody = z.object({ reason: z.string().max(200).optional() })

export type ControlMessage =
  | ({ type: typeof MessageType.AssignedIps; requestId: number } & z.infer<typeof assignedIpsBody>)
  | ({ type: typeof MessageType.DomainStatus; requestId: number } & z.infer<typeof domainStatusBody>)
  | ({ type: typeof MessageType.DnsQuery; requestId: number } & z.infer<typeof dnsQueryBody>)
  | ({ type: typeof MessageType.DnsAnswer; requestId: number } & z.infer<typeof dnsAnswerBody>)
  | ({ type: typeof MessageType.Goodbye; requestId: number } & z.infer<typeof goodbyeBody>)

const BODIES: Record<MessageType, z.ZodType> = {
  [MessageType.AssignedIps]: assignedIpsBody,
  [MessageType.DomainStatus]: domainStatusBody,
  [MessageType.DnsQuery]: dnsQueryBody,
  [MessageType.DnsAnswer]: dnsAnswerBody,
  [MessageType.Goodbye]: goodbyeBody,
}

export const CONTROL_DROP_REASONS = [
  'control-truncated',
  'control-bad-version',
  'control-unknown-type',
  'control-too-long',
  'control-bad-json',
  'control-bad-body',
] as const
export type ControlDropReason = (typeof CONTROL_DROP_REASONS)[number]

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Encodes a message as a control payload (header + JSON). Throws on a message that would not decode: a programmer error. */
export function encodeControl(msg: ControlMessage): Uint8Array {
  const { type, requestId, ...body } = msg
  const checked = BODIES[type].safeParse(body)
  if (!checked.success) throw new Error(`control message type ${type}: ${checked.error.issues[0]?.message}`)
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > 0xffffffff) {
    throw new Error(`control message requestId ${requestId} is not a u32`)
  }
  const json = encoder.encode(JSON.stringify(body))
  if (json.length > MAX_CONTROL_BODY_LEN)
    throw new Error(`control message body of ${json.length} bytes is too long`)
  const out = new Uint8Array(CONTROL_HEADER_LEN + json.length)
  out[0] = type
  out[1] = CONTROL_VERSION
  new DataView(out.buffer).setUint32(4, requestId)
  out.set(json, CONTROL_HEADER_LEN)
  return out
}

/** Decodes a control payload; never throws. Unknown types and malformed bodies are drop reasons. */
export function decodeControl(
  buf: Uint8Array,
  off = 0,
  len = buf.length - off,
): ControlMessage | ControlDropReason {
  if (len < CONTROL_HEADER_LEN || off < 0 || off + len > buf.length) return 'control-truncated'
  const type = buf[off]
  if (buf[off + 1] !== CONTROL_VERSION) return 'control-bad-version'
  const schema = BODIES[type as MessageType]
  if (!schema) return 'control-unknown-type'
  if (len - CONTROL_HEADER_LEN > MAX_CONTROL_BODY_LEN) return 'control-too-long'
  const requestId = new DataView(buf.buffer, buf.byteOffset + off, len).getUint32(4)
  let body: unknown
  try {
    body = JSON.parse(decoder.decode(buf.subarray(off + CONTROL_HEADER_LEN, off + len)))
  } catch {
    return 'control-bad-json'
  }
  const checked = schema.safeParse(body)
  if (!checked.success) return 'control-bad-body'
  return { type, requestId, ...(checked.data as object) } as ControlMessage
}
