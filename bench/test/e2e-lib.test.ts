import { expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { barChart } from '../e2e/lib/chart.ts'
import {
  cpuProfileArgs,
  newestProfile,
  parseStraceSummary,
  summarizeProfileFile,
  syscallsPerPacket,
  topFunctions,
} from '../e2e/lib/profile.ts'
import {
  type E2eReport,
  fromRounds,
  goal,
  type Measurement,
  machine,
  markdown,
  median,
  panels,
  readReport,
  writeReport,
} from '../e2e/lib/report.ts'

const ms: Measurement[] = [
  { subject: 'ours', metric: 'TCP', value: 900, unit: 'Mbit/s', better: 'higher' },
  { subject: 'TAYGA', metric: 'TCP', value: 1000, unit: 'Mbit/s', better: 'higher' },
  { subject: 'ours', metric: 'ping', value: 0.2, unit: 'ms', better: 'lower' },
  { subject: 'TAYGA', metric: 'ping', value: 0.3, unit: 'ms', better: 'lower' },
]

test('a goal is ours/reference, turned round when lower is better', () => {
  const tcp = goal('tcp', ms, 'TCP', 'ours', 'TAYGA', 1)
  expect(tcp.ratio).toBe(0.9)
  expect(tcp.met).toBe(false)
  const ping = goal('ping', ms, 'ping', 'ours', 'TAYGA', 1)
  expect(ping.ratio).toBe(1.5)
  expect(ping.met).toBe(true)
  const missing = goal('x', ms, 'UDP', 'ours', 'TAYGA', 1)
  expect(Number.isNaN(missing.ratio)).toBe(true)
  expect(missing.met).toBe(false)
})

test('a measurement over rounds is their median, and the table shows the spread', () => {
  expect(median([3, 1, 2])).toBe(2)
  expect(median([4, 1, 3, 2])).toBe(2.5)
  expect(Number.isNaN(median([]))).toBe(true)
  const m = fromRounds('ours', 'TCP', 'Mbit/s', 'higher', [900, 1100, 1000])
  expect(m.value).toBe(1000)
  expect(m.samples).toEqual([900, 1100, 1000])
  const md = markdown({ ...report(), measurements: [m, ms[1]], whereTimeGoes: [] })
  expect(md).toContain('| TCP | 1000 Mbit/s (900–1100) | 1000 Mbit/s |')
  expect(md).toContain('median over the rounds')
})

test('a traced-only process (no CPU profile) shows its syscalls and no empty function table', () => {
  const traced = {
    process: 'TAYGA',
    samples: 0,
    top: [],
    syscallsPerPacket: 2,
    syscalls: [{ name: 'read', perPacket: 1 }],
  }
  const md = markdown({ ...report(), whereTimeGoes: [traced] })
  expect(md).toContain('## Where the time goes: TAYGA')
  expect(md).toContain('2 syscalls per packet (read 1)')
  expect(md).not.toContain('Top functions')
})

function report(): E2eReport {
  return {
    bench: 'demo',
    title: 'Demo <bench>',
    machine: machine(),
    params: { seconds: 3 },
    measurements: ms,
    goals: [goal('NAT64 TCP ours/TAYGA ≥ 1.0', ms, 'TCP', 'ours', 'TAYGA', 1)],
    whereTimeGoes: [
      {
        process: 'ours',
        samples: 10,
        top: [{ function: 'translate (packages/nat64/src/translate.ts:10)', selfPct: 40 }],
        syscallsPerPacket: 2.5,
        syscalls: [{ name: 'write', perPacket: 1 }],
      },
    ],
    notes: ['a note'],
  }
}

test('the chart has one panel per metric, a bar per subject and escapes text', () => {
  const p = panels(report())
  expect(p.map((x) => x.title)).toEqual(['TCP', 'ping'])
  expect(p[0].notes).toEqual(['goal: ours ÷ TAYGA = 0.90 (target ≥ 1, missed)'])
  expect(p[1].notes).toEqual(['ours ÷ TAYGA = 0.67'])
  // Two goals on one metric (the full path's same family and NAT64): both are noted.
  const two = report()
  two.goals.push(goal('second', ms, 'TCP', 'ours', 'TAYGA', 0.8))
  expect(panels(two)[0].notes).toHaveLength(2)
  // A long title widens the chart instead of running off its edge.
  expect(Number(/width="(\d+)"/.exec(barChart('x'.repeat(100), 'sub', p))?.[1])).toBeGreaterThan(900)
  const svg = barChart('a <b> & c', 'sub', p)
  expect(svg.startsWith('<svg')).toBe(true)
  expect(svg.match(/<rect [^>]*rx="2"/g)?.length).toBe(4)
  expect(svg).toContain('<title>a &lt;b&gt; &amp; c</title>') // screen readers and GitHub's tooltip
  // The longest bar of a panel spans the plot width; the other is scaled to it.
  const widths = [...svg.matchAll(/width="([\d.]+)" height="18"/g)].map((m) => Number(m[1]))
  expect(widths[0] / widths[1]).toBeCloseTo(0.9, 2)
})

test('the report is written as JSON, SVG and Markdown and reads back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-e2e-report-'))
  try {
    const files = writeReport(report(), dir)
    expect(readReport(files.json).goals[0].ratio).toBe(0.9)
    expect(readFileSync(files.svg, 'utf8')).toContain('</svg>')
    const md = readFileSync(files.md, 'utf8')
    expect(md).toContain('| TCP | 900 Mbit/s | 1000 Mbit/s |')
    expect(md).toContain('| NAT64 TCP ours/TAYGA ≥ 1.0 | 0.90 | 1 | **missed** |')
    expect(md).toContain('2.5 syscalls per packet (write 1)')
    expect(md).toContain('![demo](demo.svg)')
    expect(markdown(report())).toContain('- a note')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('strace -c summary lines become counts per syscall (errors column may be empty)', () => {
  const text = [
    '% time     seconds  usecs/call     calls    errors syscall',
    '------ ----------- ----------- --------- --------- ----------------',
    ' 61.20    0.012000           3      4000           write',
    ' 30.00    0.006000           1      4000       120 read',
    '  0.00    0.000000           0         1         1 access',
    '------ ----------- ----------- --------- --------- ----------------',
    '100.00    0.018000           2      8001       121 total',
  ].join('\n')
  expect([...parseStraceSummary(text)]).toEqual([
    ['write', 4000],
    ['read', 4000],
    ['access', 1],
  ])
})

test.skipIf(!Bun.which('strace'))('a real strace -c run parses (execve is always there)', () => {
  const r = Bun.spawnSync(['strace', '-c', '-f', 'true'], { stderr: 'pipe' })
  const counts = parseStraceSummary(r.stderr.toString())
  expect(counts.get('execve')).toBeGreaterThanOrEqual(1)
})

test.skipIf(!Bun.which('strace') || process.getuid?.() !== 0)(
  'syscalls per packet counts syscalls and packets over the same window (yes: one write per write)',
  async () => {
    // `yes` does nothing but write(2); its "packets" are its own write calls (/proc/PID/io syscw), so the
    // figure must come out near 1 whatever strace's attach and detach take.
    const p = Bun.spawn(['yes'], { stdout: Bun.file('/dev/null') })
    try {
      const syscw = () => Number(/syscw: (\d+)/.exec(readFileSync(`/proc/${p.pid}/io`, 'utf8'))![1])
      const r = await syscallsPerPacket(p.pid, 0.5, syscw)
      expect(r.packets).toBeGreaterThan(100)
      expect(r.syscalls[0].name).toBe('write')
      expect(r.syscalls[0].perPacket).toBeGreaterThan(0.9)
      expect(r.syscalls[0].perPacket).toBeLessThan(1.3)
    } finally {
      p.kill()
      await p.exited
    }
  },
  15_000,
)

test('self time by function from a cpuprofile', () => {
  const prof = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
      { id: 2, callFrame: { functionName: 'hot', url: 'file:///x/packages/nat64/src/a.ts', lineNumber: 9 } },
      { id: 3, callFrame: { functionName: '', url: 'file:///x/bench/e2e/b.ts', lineNumber: 0 } },
    ],
    samples: [2, 2, 2, 3],
  }
  expect(topFunctions(prof)).toEqual({
    samples: 4,
    top: [
      { function: 'hot (packages/nat64/src/a.ts:10)', selfPct: 75 },
      { function: '(anonymous) (bench/e2e/b.ts:1)', selfPct: 25 },
    ],
  })
})

test('a Bun process started with cpuProfileArgs writes a profile on a SIGTERM exit, and it names its hot function', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-e2e-prof-'))
  try {
    const script = join(dir, 'hot.ts')
    await Bun.write(
      script,
      'function hotLoop(n: number) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); return s }\n' +
        "process.on('SIGTERM', () => process.exit(0))\nsetInterval(() => hotLoop(2e6), 1)\nprocess.stdout.write('ready\\n')\n",
    )
    const p = Bun.spawn(['bun', ...cpuProfileArgs(join(dir, 'out')), script], { stdout: 'pipe' })
    const reader = p.stdout.getReader()
    await reader.read()
    await Bun.sleep(500)
    p.kill('SIGTERM')
    await p.exited
    const file = newestProfile(join(dir, 'out'))
    expect(file).not.toBeNull()
    const s = summarizeProfileFile(file!)
    expect(s.samples).toBeGreaterThan(10)
    expect(s.top[0].function).toStartWith('hotLoop')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 20_000)

test('the index lists every goal with its run and links each chart', async () => {
  const { indexMarkdown, writeIndex } = await import('../e2e/index.ts')
  const a = { ...report(), bench: 'nat64', title: 'NAT64' }
  const b = { ...report(), bench: 'path', title: 'Path', goals: [] }
  const md = indexMarkdown([b, a])
  expect(md).toContain('| NAT64 TCP ours/TAYGA ≥ 1.0 | 0.90 | 1 | **missed** | [nat64](nat64.md)')
  expect(md.indexOf('## NAT64')).toBeLessThan(md.indexOf('## Path'))
  expect(md).toContain('![path](path.svg)')
  const dir = mkdtempSync(join(tmpdir(), 'gh-e2e-index-'))
  try {
    writeReport(a, dir)
    writeReport(b, dir)
    expect(
      writeIndex(dir)
        .map((r) => r.bench)
        .sort(),
    ).toEqual(['nat64', 'path'])
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('# Latest end-to-end figures')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the profile note names each process, its three hottest functions and syscalls per packet', async () => {
  const { profileNote } = await import('../e2e/lib/profile.ts')
  const p = {
    process: 'ours: gateway (bun)',
    samples: 9,
    top: [
      { function: 'write (packages/tun/src/queue.ts:91)', selfPct: 60 },
      { function: 'openInPlace (packages/wireguard/src/crypto.ts:143)', selfPct: 20 },
      { function: 'send', selfPct: 10 },
      { function: 'hidden', selfPct: 5 },
    ],
    syscallsPerPacket: 2.1,
    syscalls: [],
  }
  expect(profileNote([p, { ...p, syscallsPerPacket: null }], '--profile', (x) => x.split(': ')[1])).toBe(
    'Profile (--profile), top self time: gateway (bun): write 60%, openInPlace 20%, send 10%; 2.1 syscalls/packet | ' +
      'gateway (bun): write 60%, openInPlace 20%, send 10%.',
  )
})

test('bench options: common and own ones parse in both spellings; a misspelt one or a bad count exits 2 naming it', async () => {
  const { benchArgs } = await import('../e2e/lib/args.ts')
  const a = benchArgs('t', { pairs: { type: 'string' } }, [
    '--quick',
    '--rounds=3',
    '--out',
    '/tmp/x',
    '--pairs=go-go',
  ])
  expect(a).toMatchObject({ quick: true, profile: false, rounds: '3', out: '/tmp/x', pairs: 'go-go' })
  for (const bench of ['nat64', 'wireguard', 'path', 'tun-forwarder']) {
    const bad = Bun.spawnSync(['bun', join(import.meta.dir, '..', 'e2e', bench, 'run.ts'), '--roundz=3'], {
      stderr: 'pipe',
    })
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr.toString()).toContain("'--roundz'")
    const zero = Bun.spawnSync(['bun', join(import.meta.dir, '..', 'e2e', bench, 'run.ts'), '--rounds=0'], {
      stderr: 'pipe',
    })
    expect(zero.exitCode).toBe(2)
    expect(zero.stderr.toString()).toContain('--rounds must be a positive integer')
  }
}, 30_000)
