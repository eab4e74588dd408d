/** dnsmasq as an authoritative-enough DNS server with given records, inside a namespace. */
import type { Lab, Proc } from './lab.ts'
import { isListening } from './wait.ts'

export interface DnsmasqOptions {
  ns: string
  /** Process name in the lab (default `dnsmasq`). */
  name?: string
  /** Addresses to listen on (port 53, `--bind-interfaces`). */
  listen: readonly string[]
  /** `name -> addresses` (A and AAAA, and PTR): `--host-record`. */
  hosts?: Readonly<Record<string, readonly string[]>>
  /** `domain -> address`: the domain and every name below it (`--address=/domain/addr`). */
  wildcards?: Readonly<Record<string, string>>
  /** Domains answered only from local data (NXDOMAIN otherwise): `--local=/domain/`. */
  local?: readonly string[]
  /** Raw extra options (`--srv-host=...`, `--txt-record=...`). */
  extra?: readonly string[]
}

/** The dnsmasq argv for `o` (foreground, no resolv.conf, no /etc/hosts). */
export function dnsmasqArgv(o: DnsmasqOptions, pidFile: string): string[] {
  return [
    'dnsmasq',
    '-k',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    `--pid-file=${pidFile}`,
    ...o.listen.map((a) => `--listen-address=${a}`),
    ...(o.local ?? []).map((d) => `--local=/${d}/`),
    ...Object.entries(o.hosts ?? {}).map(([n, addrs]) => `--host-record=${n},${addrs.join(',')}`),
    ...Object.entries(o.wildcards ?? {}).map(([d, a]) => `--address=/${d}/${a}`),
    ...(o.extra ?? []),
  ]
}

/** Starts dnsmasq in `o.ns` and waits until it listens on UDP port 53 on every `listen` address. */
export function startDnsmasq(lab: Lab, o: DnsmasqOptions): Promise<Proc> {
  const name = o.name ?? 'dnsmasq'
  return lab.start(name, o.ns, dnsmasqArgv(o, `${lab.dir}/${name}.pid`), () =>
    o.listen.every((a) => isListening(o.ns, 53, 'udp', a)),
  )
}
