/**
 * Clean shutdown: on SIGINT/SIGTERM close every device this thread opened
 * (routes, addresses and the device go), then exit with 128 + signal number.
 */
import { openDevices } from './device.ts'

let installed = false

/** Closes every open device. Safe to call more than once. */
export function closeAllDevices(): void {
  for (const t of openDevices()) t.close()
}

/**
 * Installs SIGINT and SIGTERM handlers that close every open device and exit
 * (130 / 143). Idempotent; returns a function that removes the handlers.
 */
export function closeOnSignals(): () => void {
  if (installed) return () => {}
  installed = true
  const onInt = (): void => {
    closeAllDevices()
    process.exit(130)
  }
  const onTerm = (): void => {
    closeAllDevices()
    process.exit(143)
  }
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  return () => {
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onTerm)
    installed = false
  }
}
