/**
 * The few libc calls this package needs, through `bun:ffi`, opened lazily.
 *
 * `dlopen('libc.so.6')` runs on first use, never at import, so that code
 * importing `@gatehouse/tun` still loads on macOS; the first call there throws
 * {@link UnsupportedPlatformError}. Each thread (the main thread and every
 * Worker) has its own module instance and so its own handle and its own
 * `errno` pointer: `__errno_location()` returns the calling thread's errno,
 * and Bun's FFI calls run on the JS thread that made them, so reading it right
 * after a failing call gives that call's error.
 */
import { dlopen, FFIType, type Pointer, read } from 'bun:ffi'
import { UnsupportedPlatformError } from './errors.ts'

// <fcntl.h>, <poll.h>, <sys/eventfd.h>, <sched.h>, <linux/if_tun.h> (x86_64 and aarch64 share these values).
export const O_RDWR = 0o2
export const O_NONBLOCK = 0o4000
export const O_CLOEXEC = 0o2000000
export const F_GETFL = 3
export const F_SETFL = 4
export const POLLIN = 0x001
export const POLLERR = 0x008
export const POLLHUP = 0x010
export const EFD_CLOEXEC = 0o2000000
export const EFD_NONBLOCK = 0o4000
export const CLONE_NEWNET = 0x40000000
/** _IOW('T', 202, int) */
export const TUNSETIFF = 0x400454ca
export const IFF_TUN = 0x0001
export const IFF_MULTI_QUEUE = 0x0100
export const IFF_NO_PI = 0x1000
/** Fail with EBUSY if any device already has the name (only for the first queue). */
export const IFF_TUN_EXCL = 0x8000
/** `struct ifreq` is 40 bytes on 64-bit Linux: `char ifr_name[16]` then a union whose first member is `short ifr_flags`. */
export const IFREQ_SIZE = 40
export const IFNAMSIZ = 16

// <asm-generic/errno-base.h>, <asm-generic/errno.h>
export const EPERM = 1
export const ENOENT = 2
export const EINTR = 4
export const ENXIO = 6
export const EBADF = 9
export const EAGAIN = 11
export const EACCES = 13
export const EBUSY = 16
export const EEXIST = 17
export const ENODEV = 19
export const EINVAL = 22

const SYMBOLS = {
  open: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  // ssize_t results fit an i32 here: a packet is < 2^31 bytes and -1 stays -1 in the low half.
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
  ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  eventfd: { args: [FFIType.u32, FFIType.i32], returns: FFIType.i32 },
  setns: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  sendto: {
    args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32],
    returns: FFIType.i32,
  },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  if_nametoindex: { args: [FFIType.ptr], returns: FFIType.u32 },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const

type Lib = ReturnType<typeof dlopen<typeof SYMBOLS>>['symbols']

let lib: Lib | null = null
let errnoPtr: Pointer | null = null

/** The libc symbols; throws {@link UnsupportedPlatformError} anywhere but Linux. */
export function libc(): Lib {
  if (lib !== null) return lib
  if (process.platform !== 'linux') throw new UnsupportedPlatformError(process.platform)
  lib = dlopen('libc.so.6', SYMBOLS).symbols
  errnoPtr = lib.__errno_location() as Pointer
  return lib
}

/** The calling thread's errno; meaningful only right after a call that returned -1. */
export function errno(): number {
  if (errnoPtr === null) libc()
  return read.i32(errnoPtr!, 0)
}

/** A NUL-terminated C string for `open(2)` and friends (config time only). */
export function cstr(s: string): Uint8Array {
  return new TextEncoder().encode(`${s}\0`)
}

/** libc's message for an errno value ("File exists"), for error messages. */
export function strerror(e: number): string {
  return `${libc().strerror(e)} (${errnoName(e)})`
}

/** A short name for the common errno values, for error messages. */
export function errnoName(e: number): string {
  switch (e) {
    case EPERM:
      return 'EPERM'
    case ENOENT:
      return 'ENOENT'
    case EINTR:
      return 'EINTR'
    case ENXIO:
      return 'ENXIO'
    case EBADF:
      return 'EBADF'
    case EAGAIN:
      return 'EAGAIN'
    case EACCES:
      return 'EACCES'
    case EBUSY:
      return 'EBUSY'
    case EEXIST:
      return 'EEXIST'
    case ENODEV:
      return 'ENODEV'
    case EINVAL:
      return 'EINVAL'
    default:
      return `errno ${e}`
  }
}
