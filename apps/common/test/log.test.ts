import { expect, test } from 'bun:test'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../src/index.ts'

const clock = () => new Date('2024-04-01T18:25:47.237Z')

test('JSON lines start with time, severity, message and open with the two reference lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-log-'))
  const log = createLogger({ app: 'gateway', dir, console: 'none', clock }, '1.0.0-pre.11')
  log.child({ component: 'nat' }).warn('session table full', { sessions: 10000 })
  log.debug('not at INFO level')
  const lines = readFileSync(join(dir, 'gateway.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  expect(lines.map((l) => `${l.time} ${l.severity} ${l.message}`)).toEqual([
    '2024-04-01T18:25:47.237Z INFO started log',
    '2024-04-01T18:25:47.237Z INFO GIT_VERSION = 1.0.0-pre.11',
    '2024-04-01T18:25:47.237Z WARN session table full',
  ])
  expect(Object.keys(lines[2]).slice(0, 3)).toEqual(['time', 'severity', 'message'])
  expect(lines[2]).toMatchObject({ component: 'nat', sessions: 10000 })
})

test('the jq recipe from the reference prints readable lines', () => {
  const jq = Bun.spawnSync(['which', 'jq'])
  if (jq.exitCode !== 0) {
    console.warn('skipping the jq check: jq is not installed (scripts/setup.sh installs it)')
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'gh-log-'))
  createLogger({ app: 'client', dir, console: 'none', clock }, '1.0.0')
  const out = Bun.spawnSync(['sh', '-c', `cat ${dir}/*.log | jq -r '"\\(.time) \\(.severity) \\(.message)"'`])
  expect(out.stdout.toString()).toBe(
    '2024-04-01T18:25:47.237Z INFO started log\n2024-04-01T18:25:47.237Z INFO GIT_VERSION = 1.0.0\n',
  )
})

test('human format carries fields as key=value', () => {
  const lines: string[] = []
  const log = createLogger({ app: 'x', console: 'human', clock, write: (l) => lines.push(l) }, 'v')
  log.info('flag changed', { flag: 'icmp-unreachable-instead-of-nat64', old: false, new: true })
  expect(lines[2]).toBe(
    '2024-04-01T18:25:47.237Z INFO flag changed flag=icmp-unreachable-instead-of-nat64 old=false new=true\n',
  )
})
