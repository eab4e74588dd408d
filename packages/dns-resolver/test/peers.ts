/**
 * Real peers for tests and benchmarks: dnsmasq as an upstream DNS server with zone data given on
 * its command line, and dig as a DNS client whose output is parsed.
 */
import type { Subprocess } from 'bun'

/** A TXT record too big for a 1232-byte UDP answer: 8 strings of 240 bytes. */
export const BIG_TXT_STRINGS = Array.from({ length: 8 }, (_, i) => String.fromCharCode(0x61 + i).repeat(240))

/** The zone every real-peer test uses. `--local=/test/` makes dnsmasq authoritative for .test: NODATA and NXDOMAIN instead of REFUSED. */
export const ZONE_ARGS = [
  '--local=/test/',
  '--local-ttl=60',
  '--host-record=both.test,192.0.2.20,2001:db8::20',
  '--host-record=v4.test,192.0.2.10',
  '--host-record=v6.test,2001:db8::30',
  '--host-record=dc.corp.test,192.0.2.40',
  '--srv-host=_ldap._tcp.corp.test,dc.corp.test,389,1,2',
  `--txt-record=big.test,${BIG_TXT_STRINGS.join(',')}`,
  '--cname=alias.test,both.test',
]

export interface Dnsmasq {
  readonly port: number
  readonly pid: number
  stop(): Promise<void>
}

/** Starts dnsmasq on 127.0.0.1 at a random free port, waits until it answers. */
export async function startDnsmasq(extra: string[] = [], hostsFile?: string): Promise<Dnsmasq> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 30000)
    const proc: Subprocess = Bun.spawn(
      [
        'dnsmasq',
        '--no-daemon',
        `--port=${port}`,
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        '--conf-file=/dev/null',
        '--log-facility=/dev/null',
        '--user=root',
        ...(hostsFile === undefined ? [] : [`--addn-hosts=${hostsFile}`]),
        ...ZONE_ARGS,
        ...extra,
      ],
      { stdout: 'ignore', stderr: 'pipe' },
    )
    for (let i = 0; i < 50; i++) {
      if (proc.exitCode !== null) break
      const r = await dig(['@127.0.0.1', '-p', String(port), '+time=1', '+tries=1', 'both.test', 'A'])
      if (r.status === 'NOERROR') {
        return {
          port,
          pid: proc.pid,
          async stop() {
            proc.kill()
            await proc.exited
          },
        }
      }
      await Bun.sleep(50)
    }
    proc.kill()
    await proc.exited
  }
  throw new Error('dnsmasq did not start')
}

export interface DigResult {
  status: string
  flags: string[]
  /** Answer section lines: [name, ttl, class, type, data...] joined data. */
  answers: { name: string; ttl: number; type: string; data: string }[]
  msgSize: number
  raw: string
}

/** Runs dig and parses its default output (header flags, status, ANSWER SECTION, MSG SIZE). */
export async function dig(args: string[]): Promise<DigResult> {
  const p = Bun.spawn(['dig', '+nocookie', ...args], { stdout: 'pipe', stderr: 'pipe' })
  const raw = await new Response(p.stdout).text()
  await p.exited
  const status = /status: ([A-Z]+)/.exec(raw)?.[1] ?? 'NONE'
  const flags = (/;; flags: ([a-z ]+);/.exec(raw)?.[1] ?? '').trim().split(/\s+/)
  const msgSize = Number(/MSG SIZE\s+rcvd: (\d+)/.exec(raw)?.[1] ?? 0)
  const answers: DigResult['answers'] = []
  const section = /;; ANSWER SECTION:\n([\s\S]*?)(\n\n|$)/.exec(raw)?.[1] ?? ''
  for (const line of section.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line.trim())
    if (m !== null) answers.push({ name: m[1], ttl: Number(m[2]), type: m[3], data: m[4] })
  }
  return { status, flags, answers, msgSize, raw }
}
