/**
 * Load comparison (issue 6): dnsperf against the stub resolver served on loopback answering
 * resource names, and against dnsmasq answering the same names from its own hosts file, one
 * after the other in the same run. Prints queries per second for both and their ratio and writes
 * bench-results/dns-resolver-dnsperf.json.
 *
 *   bun bench/dnsperf.ts [seconds per server, default 10] [names, default 1000]
 *
 * dnsperf keeps 100 queries outstanding (its default) from one client socket. Both servers are
 * single-threaded. The machine's 2 cores are shared by dnsperf and the server under test, so the
 * figures are for comparison within one run only.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildSentinels } from '../src/sentinels.ts'
import { type Asker, serveStub } from '../src/serve.ts'
import { StubResolver } from '../src/stub.ts'
import { startDnsmasq } from '../test/peers.ts'

const seconds = Number(process.argv[2] ?? 10)
const names = Number(process.argv[3] ?? 1000)

const dir = join(tmpdir(), `gh-dnsperf-${process.pid}`)
mkdirSync(dir, { recursive: true })
const queryFile = join(dir, 'queries.txt')
const hostsFile = join(dir, 'hosts')
const list = Array.from({ length: names }, (_, i) => `app${i}.corp.test`)
writeFileSync(queryFile, `${list.map((n) => `${n} A`).join('\n')}\n`)
writeFileSync(
  hostsFile,
  `${list.map((n, i) => `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff} ${n}`).join('\n')}\n`,
)

interface PerfResult {
  qps: number
  rcodes: string
  completedPct: number
  avgLatencyMs: number
  raw: string
}

async function dnsperf(port: number, secs: number): Promise<PerfResult> {
  const p = Bun.spawn(
    ['dnsperf', '-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-l', String(secs)],
    {
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  const raw = await new Response(p.stdout).text()
  await p.exited
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(raw)?.[1] ?? Number.NaN)
  const completedPct = Number(/Queries completed:\s+\d+ \(([\d.]+)%\)/.exec(raw)?.[1] ?? Number.NaN)
  const avgLatencyMs = Number(/Average Latency \(s\):\s+([\d.]+)/.exec(raw)?.[1] ?? Number.NaN) * 1000
  const rcodes = /Response codes:\s+(.*)/.exec(raw)?.[1]?.trim() ?? '?'
  return { qps, rcodes, completedPct, avgLatencyMs, raw }
}

// Ours: every name is a resource (**.corp.test); warm up so each name has its proxy IPs.
const sentinels = buildSentinels(['127.0.0.1'])
const stub = new StubResolver<Asker>({ sentinels, resources: [{ id: 'corp', address: '**.corp.test' }] })
const server = await serveStub({ stub, hostname: '127.0.0.1', port: 0, sentinel: sentinels[0].address })
await dnsperf(server.port, 1)
const ours = await dnsperf(server.port, seconds)
server.close()

const dnsmasq = await startDnsmasq([], hostsFile)
await dnsperf(dnsmasq.port, 1)
const theirs = await dnsperf(dnsmasq.port, seconds)
await dnsmasq.stop()
rmSync(dir, { recursive: true, force: true })

const ratio = ours.qps / theirs.qps
const row = (name: string, r: PerfResult) =>
  `${name.padEnd(34)} ${r.qps.toFixed(0).padStart(9)} qps  completed ${r.completedPct}%  avg latency ${r.avgLatencyMs.toFixed(3)} ms  rcodes ${r.rcodes}`
console.log(`dnsperf, ${seconds} s each, ${names} names, A queries, 127.0.0.1`)
console.log(row('stub resolver (Bun, serve.ts)', ours))
console.log(row('dnsmasq (hosts file)', theirs))
console.log(`ratio ours/dnsmasq: ${ratio.toFixed(2)}`)

const out = new URL('../bench-results/', import.meta.url)
mkdirSync(out, { recursive: true })
writeFileSync(
  new URL('dns-resolver-dnsperf.json', out),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      seconds,
      names,
      ours: {
        qps: ours.qps,
        rcodes: ours.rcodes,
        completedPct: ours.completedPct,
        avgLatencyMs: ours.avgLatencyMs,
      },
      dnsmasq: {
        qps: theirs.qps,
        rcodes: theirs.rcodes,
        completedPct: theirs.completedPct,
        avgLatencyMs: theirs.avgLatencyMs,
      },
      ratio,
    },
    null,
    2,
  )}\n`,
)
