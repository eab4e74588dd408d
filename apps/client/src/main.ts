/**
 * `bun run apps/client [--config PATH] [--dns-control etc-resolv-conf|none]`: the Gatehouse client.
 * `--help` prints the usage.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  type ClientConfig,
  clientConfigSchema,
  createLogger,
  gitVersion,
  loadConfig,
  runMain,
  splitFlags,
} from '@gatehouse/app-common'
import { runClient } from './run.ts'

const DEFAULT_CONFIG = 'client.json'
const REPO_ROOT = join(import.meta.dir, '..', '..', '..')

export const USAGE = `Gatehouse client: DNS resources get proxy IPs, traffic goes to the gateway over WireGuard.

Usage: bun run apps/client [--config PATH] [options]

Options:
  --config PATH              client config (default: $GATEHOUSE_CONFIG, else ./${DEFAULT_CONFIG}); it is
                             what the gateway's add-client prints
  --dns-control MODE         etc-resolv-conf (default): point /etc/resolv.conf at the sentinel DNS
                             addresses and restore it on exit, on SIGTERM and after a crash;
                             none: leave the host's DNS alone (use dig @100.100.111.1)
  --resolv-conf PATH         the resolv.conf to read upstreams from and rewrite (default /etc/resolv.conf)
  --<field>=<value>          override any config field, e.g. --tun.name=gh0 --log.console=json
                             (also GATEHOUSE_<FIELD>, path joined by "__": GATEHOUSE_TUN__NAME=gh0)
  --help                     this text

Needs root (or CAP_NET_ADMIN) for the TUN device and its routes. SIGTERM/SIGINT: Goodbye to the
gateway, remove the TUN device and its routes, restore /etc/resolv.conf.

First steps (on the gateway host, then here):
  bun run apps/gateway add-client laptop --resources web --config gw.json > laptop.json
  sudo bun run apps/client --config laptop.json
`

export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const { flags, positional } = splitFlags(argv)
  if (flags.help !== undefined || flags.h !== undefined || positional[0] === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  if (positional.length > 0) {
    process.stderr.write(`unexpected argument '${positional[0]}'\n\n${USAGE}`)
    return 2
  }
  const file = flags.config ?? env.GATEHOUSE_CONFIG ?? DEFAULT_CONFIG
  const resolvConfPath = flags['resolv-conf']
  const rest = { ...flags }
  delete rest.config
  delete rest['resolv-conf']
  if (rest['dns-control'] !== undefined) {
    rest.dnsControl = rest['dns-control']
    delete rest['dns-control']
  }
  if (!existsSync(file)) {
    process.stderr.write(
      `No client config at ${file}.\n\nA client's config is printed by the gateway:\n  bun run apps/gateway add-client NAME --resources ID,ID --config gw.json > ${file}\nthen:\n  sudo bun run apps/client --config ${file}\n\n(--config PATH or GATEHOUSE_CONFIG choose the file; see --help.)\n`,
    )
    return 1
  }
  const config: ClientConfig = loadConfig(clientConfigSchema, { file, env, flags: rest })
  const log = createLogger(
    { app: 'client', dir: config.log.dir, console: config.log.console, level: config.log.level },
    gitVersion(REPO_ROOT),
  )
  log.info('config loaded', { file })
  const client = await runClient({ config, log, resolvConfPath })
  let stopping = false
  const stop = async (reason: string, code: number) => {
    if (stopping) return
    stopping = true
    log.info('shutting down', { reason })
    await client.stop()
    log.info('stopped')
    process.exit(code)
  }
  process.once('SIGTERM', () => void stop('SIGTERM', 128 + 15))
  process.once('SIGINT', () => void stop('SIGINT', 128 + 2))
  // A crash still puts resolv.conf back and removes the TUN (a SIGKILL is repaired at the next start).
  process.on('uncaughtException', (e) => {
    log.error('uncaught exception', { error: e, stack: (e as Error).stack })
    void stop('crash', 1)
  })
  process.on('unhandledRejection', (e) => {
    log.error('unhandled rejection', { error: e, stack: (e as Error)?.stack })
    void stop('crash', 1)
  })
  return -1 // keep running
}

if (import.meta.main) {
  runMain('client', main)
}
