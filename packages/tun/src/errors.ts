/**
 * Typed errors for opening and configuring a TUN device. These are config-time
 * errors: the packet path never throws (a full queue is a `false` and a counter).
 */

/** Base class: every error this package throws on purpose is a `TunError`. */
export class TunError extends Error {
  override name = 'TunError'
}

/** Not root and no `CAP_NET_ADMIN` (TUNSETIFF, setns or rtnetlink answered EPERM/EACCES). */
export class TunPermissionError extends TunError {
  override name = 'TunPermissionError'
  constructor(detail: string) {
    super(`${detail}: run as root or grant CAP_NET_ADMIN`)
  }
}

/** `/dev/net/tun` is missing (no `tun` module, or a container without the device node). */
export class TunUnavailableError extends TunError {
  override name = 'TunUnavailableError'
  constructor(detail: string) {
    super(
      `/dev/net/tun is not available (${detail}): load the tun module or pass the device into the container`,
    )
  }
}

/** A network device with the requested name already exists. */
export class TunNameTakenError extends TunError {
  override name = 'TunNameTakenError'
  constructor(readonly ifname: string) {
    super(`a network device named "${ifname}" already exists`)
  }
}

/** TUN devices through this package exist only on Linux. */
export class UnsupportedPlatformError extends TunError {
  override name = 'UnsupportedPlatformError'
  constructor(readonly platform: string) {
    super(`@gatehouse/tun supports Linux only, not ${platform}`)
  }
}

/** A configuration step (an option, or the kernel refusing an address or route) failed; everything done before it was rolled back. */
export class TunConfigError extends TunError {
  override name = 'TunConfigError'
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`)
  }
}
