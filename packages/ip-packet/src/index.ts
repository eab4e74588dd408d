/**
 * Zero-copy views over IPv4/IPv6 packets and their transport headers, the
 * Internet checksum, and a builder. See README.md.
 * @packageDocumentation
 */
export { finish, fold, pseudoV4, pseudoV6, sum, update16, update32 } from './checksum.ts'
