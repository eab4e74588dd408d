/**
 * `sudo bun run demo`: builds the namespaces, starts the gateway and the client, runs issue 9's
 * scenarios with the flag off and on, prints what happened as a table, and tears everything down
 * (also on Ctrl-C and SIGTERM). Exit code 0 when every row met its expectation.
 *
 * `--keep-logs` keeps the working directory (configs, both apps' JSON-line logs) and prints where.
 * @module
 */
import { formatTable } from './report.ts'
import { Runner, runAll, type ScenarioResult } from './scenarios.ts'
import { missingTools, Topology } from './topology.ts'

export const USAGE = `Gatehouse demo: client, gateway and a site in network namespaces; issue 9's scenarios.

Usage: sudo bun run demo [--keep-logs] [--prefix P]

  --keep-logs   keep the configs and both apps' logs (the path is printed)
  --prefix P    namespace prefix (default ghd-: ghd-client, ghd-client2, ghd-gateway, ghd-site)
`

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE)
    return 0
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'The demo needs root: it creates network namespaces, TUN devices and nftables rules.\nRun it as: sudo bun run demo\n',
    )
    return 1
  }
  const missing = missingTools()
  if (missing.length > 0) {
    process.stderr.write(
      `The demo needs ${missing.join(', ')} (installed by scripts/setup.sh: sudo bash scripts/setup.sh).\n`,
    )
    return 1
  }
  const keep = argv.includes('--keep-logs')
  const pi = argv.indexOf('--prefix')
  const prefix = pi >= 0 ? (argv[pi + 1] ?? 'ghd-') : 'ghd-'

  let topo: Topology | null = null
  const cleanup = () => {
    if (topo === null) return
    const t = topo
    topo = null
    t.down(keep)
    if (keep) process.stderr.write(`logs and configs kept in ${t.dir}\n`)
  }
  const onSignal = (sig: string, code: number) => {
    process.stderr.write(`\n${sig}: tearing down\n`)
    cleanup()
    process.exit(128 + code)
  }
  process.once('SIGINT', () => onSignal('SIGINT', 2))
  process.once('SIGTERM', () => onSignal('SIGTERM', 15))
  process.once('exit', cleanup)

  const say = (l: string) => process.stderr.write(`· ${l}\n`)
  const t0 = performance.now()
  try {
    topo = await Topology.up({ prefix, progress: say })
    say(`up in ${((performance.now() - t0) / 1000).toFixed(1)} s; running the scenarios`)
    const runner = new Runner(topo, (r: ScenarioResult) =>
      process.stderr.write(`  ${r.pass ? 'ok  ' : 'FAIL'} ${r.scenario} ${r.title} (flag ${r.flag})\n`),
    )
    const results = await runAll(runner)
    process.stdout.write(`\n${formatTable(results)}\n`)
    const failed = results.filter((r) => !r.pass).length
    process.stdout.write(
      `\n${results.length - failed}/${results.length} rows as expected; ${((performance.now() - t0) / 1000).toFixed(1)} s in all\n`,
    )
    return failed === 0 ? 0 : 1
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).stack ?? e}\n`)
    return 1
  } finally {
    cleanup()
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then((code) => process.exit(code))
}
