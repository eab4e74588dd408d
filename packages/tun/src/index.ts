/**
 * TUN devices for Linux through `bun:ffi`: open, configure, read and write raw
 * IP packets without blocking the event loop. See README.md.
 * @packageDocumentation
 */
export { openDevices, openTun, Tun, type TunOptions } from './device.ts'
export {
  TunConfigError,
  TunError,
  TunNameTakenError,
  TunPermissionError,
  TunUnavailableError,
  UnsupportedPlatformError,
} from './errors.ts'
export {
  attachQueue,
  DEFAULT_IO,
  type IoMode,
  type PacketHandler,
  type TunCounters,
  TunQueue,
  waitReadable,
} from './queue.ts'
export { closeAllDevices, closeOnSignals } from './signals.ts'
