/**
 * The client's stub resolver and the gateway's resolver. See README.md.
 * @packageDocumentation
 */
export type { DnsMessage, DnsRecord, EncodableRecord, MessageSpec, WireDrop } from './wire.ts'
export {
  decodeMessage,
  encodeMessage,
  frameTcp,
  MessageView,
  RCODE,
  scanMessage,
  TcpDeframer,
  TYPE,
  truncateForUdp,
  WIRE_DROPS,
} from './wire.ts'
