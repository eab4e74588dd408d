/**
 * `bun run apps/gateway [command]`: `init`, `add-client`, `run` (default). `--help` on each.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger, gitVersion, loadConfig, runMain, splitFlags } from '@gatehouse/app-common'
import { addClient, initConfig } from './commands.ts'
import { gatewayConfigSchema } from './config.ts'
import { installProfilerSignal } from './profile.ts'
import { runGateway } from './run.ts'

const DEFAULT_CONFIG = 'gateway.json'
const REPO_ROOT = join(import.meta.dir, '..', '..', '..')

const USAGE: Record<string, string> = {
  main: `Gatehouse gateway: WireGuard in, NAT/NAT64 and access control, TUN out.

Usage: bun run apps/gateway [command] [options]

Commands:
  run          start the gateway (default)
  init         write a new config with fresh keys
  add-client   add a client to the config and print its config

Options for every command:
  --config PATH   config file (default: $GATEHOUSE_CONFIG, else ./${DEFAULT_CONFIG})
  --help          this text, or a command's: bun run apps/gateway <command> --help

First steps:
  bun run apps/gateway init --config gw.json
  bun run apps/gateway add-client laptop --config gw.json > laptop.json
  sudo bun run apps/gateway run --config gw.json
`,
  run: `Usage: bun run apps/gateway run [--config PATH] [--feature NAME=BOOL] [--<field>=<value> ...]

Starts the gateway: the UDP listener (WireGuard), the TUN device with the gateway's tunnel IPs,
the site resolver, the feature-flag poller and (when metrics.listen is set) Prometheus on loopback.
Needs root (or CAP_NET_ADMIN) for the TUN device. SIGTERM/SIGINT: Goodbye to every client, drain,
remove the TUN device.

Every config field can be overridden:
  --tun.name=gw0                       flag (dotted path)
  GATEHOUSE_TUN__NAME=gw0              environment (path joined by "__")
  --feature icmp-unreachable-instead-of-nat64=true   feature-flag override (also GATEHOUSE_FEATURE_*)
`,
  init: `Usage: bun run apps/gateway init [--config PATH] [--listen HOST:PORT] [--public-endpoint HOST:PORT] [--force]

Writes a working config with a fresh WireGuard private key and default tunnel addresses.
Refuses to overwrite an existing file unless --force. Add resources to "resources", then clients
with add-client.
`,
  'add-client': `Usage: bun run apps/gateway add-client NAME [--resources ID,ID] [--config PATH]

Allocates the next free tunnel IPv4/IPv6 from clientPool, generates the client's key pair, adds
the peer to the config file and prints the client's config (JSON, for apps/client) on stdout.
The gateway must be restarted to pick up the new client.
`,
}

async function main(argv: string[]): Promise<number> {
  const { flags, positional } = splitFlags(argv)
  const commands = ['run', 'init', 'add-client']
  const explicit = commands.includes(positional[0] ?? '')
  const command = explicit ? positional.shift()! : 'run'
  if (flags.help !== undefined || flags.h !== undefined || positional[0] === 'help') {
    process.stdout.write(USAGE[explicit ? command : 'main'])
    return 0
  }
  if (positional.length > 0 && command === 'run') {
    process.stderr.write(`unknown command '${positional[0]}'\n\n${USAGE.main}`)
    return 2
  }
  const file = flags.config ?? process.env.GATEHOUSE_CONFIG ?? DEFAULT_CONFIG
  delete flags.config

  if (command === 'init') {
    if (existsSync(file) && flags.force === undefined) {
      process.stderr.write(`${file} exists; not overwriting it (use --force)\n`)
      return 1
    }
    const cfg = initConfig(random, { listen: flags.listen, publicEndpoint: flags['public-endpoint'] })
    writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 })
    process.stderr.write(
      `wrote ${file}\nnext: add resources to it, then: bun run apps/gateway add-client NAME --config ${file}\n`,
    )
    return 0
  }

  if (command === 'add-client') {
    const name = positional[0]
    if (name === undefined) {
      process.stderr.write(USAGE['add-client'])
      return 2
    }
    if (!existsSync(file)) return noConfig(file)
    const raw = JSON.parse(readFileSync(file, 'utf8'))
    const resources = (flags.resources ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
    const { config, client } = addClient(raw, name, resources, random)
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
    process.stdout.write(`${JSON.stringify(client, null, 2)}\n`)
    process.stderr.write(`added client '${name}' (${client.ipv4}, ${client.ipv6}) to ${file}\n`)
    if (raw.publicEndpoint === undefined)
      process.stderr.write(
        `note: no publicEndpoint in ${file}; the client config points at ${client.gateway.endpoint} (set publicEndpoint to what clients dial)\n`,
      )
    return 0
  }

  // run
  if (!existsSync(file)) return noConfig(file)
  const runFlags = { ...flags }
  delete runFlags.feature // read by parseOverrides from argv
  const config = loadConfig(gatewayConfigSchema, { file, env: process.env, flags: runFlags })
  const log = createLogger(
    { app: 'gateway', dir: config.log.dir, console: config.log.console, level: config.log.level },
    gitVersion(REPO_ROOT),
  )
  log.info('config loaded', { file })
  const gw = await runGateway({ config, log, argv, env: process.env })
  installProfilerSignal(config.log.dir ?? process.cwd(), log)
  const stop = async (signal: string, code: number) => {
    log.info('shutting down', { signal })
    await gw.stop()
    log.info('stopped')
    process.exit(128 + code)
  }
  process.once('SIGTERM', () => void stop('SIGTERM', 15))
  process.once('SIGINT', () => void stop('SIGINT', 2))
  return -1 // keep running
}

function noConfig(file: string): number {
  process.stderr.write(
    `No gateway config at ${file}.\n\nTo start:\n  bun run apps/gateway init --config ${file}      # fresh keys, default addresses\n  # add resources to ${file} ("resources": [{"id": "web", "type": "dns", "address": "*.example.com"}])\n  bun run apps/gateway add-client NAME --resources web --config ${file} > NAME.json\n  sudo bun run apps/gateway run --config ${file}\n\n(--config PATH or GATEHOUSE_CONFIG choose the file; see --help.)\n`,
  )
  return 1
}

const random = (b: Uint8Array) => {
  crypto.getRandomValues(b)
}

if (import.meta.main) {
  runMain('gateway', main)
}

export { main }
