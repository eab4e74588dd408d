/** nftables: source NAT (masquerade) of tunnel addresses leaving one interface. */
import { inNs, run } from './command.ts'

export interface MasqueradeOptions {
  /** Table name (an `inet` table; removed with its namespace). */
  table: string
  /** The outgoing interface, e.g. the site-side veth. */
  oif: string
  /** IPv4 sources to masquerade, e.g. `100.64.0.0/11`. */
  v4?: readonly string[]
  /** IPv6 sources to masquerade, e.g. `fd00:2021:1111::/107`. */
  v6?: readonly string[]
}

/** The ruleset text `masquerade` loads (exported for tests and for reading). */
export function masqueradeRules(o: MasqueradeOptions): string {
  const rules = [
    ...(o.v4 ?? []).map((s) => `    ip saddr ${s} oifname "${o.oif}" masquerade`),
    ...(o.v6 ?? []).map((s) => `    ip6 saddr ${s} oifname "${o.oif}" masquerade`),
  ]
  if (rules.length === 0) throw new Error('masquerade: give v4 or v6 source prefixes')
  return `table inet ${o.table} {\n  chain post {\n    type nat hook postrouting priority 100;\n${rules.join('\n')}\n  }\n}\n`
}

/** Loads a masquerade table into namespace `ns` (`nft -f -`). */
export function masquerade(ns: string, o: MasqueradeOptions): void {
  run(inNs(ns, ['nft', '-f', '-']), { stdin: masqueradeRules(o) })
}
