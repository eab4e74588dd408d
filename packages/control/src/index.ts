/**
 * The control protocol between client and gateway inside the tunnel: which proxy IPs a
 * resource's name has, whether the gateway's NAT for it is active, DNS queries resolved at
 * the site, and goodbyes. See README.md.
 * @packageDocumentation
 */
export {
  CONTROL_DROP_REASONS,
  CONTROL_HEADER_LEN,
  CONTROL_VERSION,
  type ControlDropReason,
  type ControlMessage,
  DOMAIN_STATUSES,
  type DomainStatus,
  decodeControl,
  encodeControl,
  MAX_CONTROL_BODY_LEN,
  MessageType,
} from './messages.ts'
export {
  buildControlPacket,
  CONTROL_ADDRESS,
  CONTROL_NEXT_HEADER,
  CONTROL_PACKET_HEADER_LEN,
  decodeControlPacket,
  isControlPacket,
} from './packet.ts'
