/**
 * Load comparison (issue 6): dnsperf against the stub resolver served on loopback answering
 * resource names, and against dnsmasq answering the same names from its own hosts file, one
 * after the other in the same run. Prints queries per second for both and their ratio and writes
 * bench-results/dns-resolver-dnsperf.json.
 *
 *   bun bench/dnsperf.ts [seconds per server, default 10] [names, default 1000]
 *
 * dnsperf keeps 100 queries outstanding (its default) from one client socket. Both servers are
 * single-threaded. The machine's 2 cores are shared by dnsperf and the server under test (and,
 * here, by other work), so the two servers take turns in rounds of 5 s, and beside queries per
 * second the script reports each server's own CPU time per query (from /proc), the figure that
 * load on the machine disturbs least. Figures compare within one run only.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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
  return { qps, rcodes, completedPct, avgLatencyMs }
}

/** utime + stime of a process, in seconds (proc(5): fields 14 and 15, in clock ticks). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

interface Total {
  queries: number
  seconds: number
  cpu: number
  rcodes: string[]
  completed: number[]
  latency: number[]
}
const total = (): Total => ({ queries: 0, seconds: 0, cpu: 0, rcodes: [], completed: [], latency: [] })

async function round(port: number, pid: number, secs: number, t: Total): Promise<void> {
  const cpu0 = cpuSeconds(pid)
  const r = await dnsperf(port, secs)
  t.cpu += cpuSeconds(pid) - cpu0
  t.queries += r.qps * secs
  t.seconds += secs
  t.rcodes.push(r.rcodes)
  t.completed.push(r.completedPct)
  t.latency.push(r.avgLatencyMs)
}

// Ours: every name is a resource (**.corp.test); warm up so each name has its proxy IPs.
const sentinels = buildSentinels(['127.0.0.1'])
const stub = new StubResolver<Asker>({ sentinels, resources: [{ id: 'corp', address: '**.corp.test' }] })
const server = await serveStub({ stub, hostname: '127.0.0.1', port: 0, sentinel: sentinels[0].address })
const dnsmasq = await startDnsmasq([], hostsFile)
await dnsperf(server.port, 1)
await dnsperf(dnsmasq.port, 1)
const oursT = total()
const theirsT = total()
const rounds = Math.max(1, Math.round(seconds / 5))
for (let i = 0; i < rounds; i++) {
  await round(server.port, process.pid, seconds / rounds, oursT)
  await round(dnsmasq.port, dnsmasq.pid, seconds / rounds, theirsT)
}
server.close()
await dnsmasq.stop()
rmSync(dir, { recursive: true, force: true })

const summarise = (t: Total) => ({
  qps: t.queries / t.seconds,
  cpuUsPerQuery: (t.cpu / t.queries) * 1e6,
  completedPct: Math.min(...t.completed),
  avgLatencyMs: t.latency.reduce((a, b) => a + b, 0) / t.latency.length,
  rcodes: t.rcodes.join(' | '),
})
const ours = summarise(oursT)
const theirs = summarise(theirsT)

const ratio = ours.qps / theirs.qps
const cpuRatio = ours.cpuUsPerQuery / theirs.cpuUsPerQuery
const row = (name: string, r: typeof ours) =>
  `${name.padEnd(32)} ${r.qps.toFixed(0).padStart(7)} qps  ${r.cpuUsPerQuery.toFixed(2).padStart(6)} us CPU/query  completed ${r.completedPct}%  avg latency ${r.avgLatencyMs.toFixed(3)} ms  rcodes ${r.rcodes}`
console.log(
  `dnsperf, ${seconds} s per server in ${rounds} alternating rounds, ${names} names, A queries, 127.0.0.1`,
)
console.log(row('stub resolver (Bun, serve.ts)', ours))
console.log(row('dnsmasq 2.90 (hosts file)', theirs))
console.log(`ours/dnsmasq: qps ${ratio.toFixed(2)}, CPU per query ${cpuRatio.toFixed(2)}`)

const out = new URL('../bench-results/', import.meta.url)
mkdirSync(out, { recursive: true })
writeFileSync(
  new URL('dns-resolver-dnsperf.json', out),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      seconds,
      rounds,
      names,
      ours,
      dnsmasq: theirs,
      qpsRatio: ratio,
      cpuPerQueryRatio: cpuRatio,
    },
    null,
    2,
  )}\n`,
)
