/**
 * The Gatehouse client: a sans-IO core (`ClientState`) composing WireGuard, the stub resolver and
 * the control protocol, and the shell around it (`bun run apps/client`). See README.md.
 * @packageDocumentation
 */
export * from './constants.ts'
export {
  CLIENT_DROPS,
  type ClientDrop,
  type ClientEvent,
  ClientState,
  type ClientStateOptions,
  type DnsAsker,
  type DnsReply,
  errorAnswer,
  type NameState,
  type NameStatus,
  statusRcode,
  type TunVerdict,
} from './state.ts'
