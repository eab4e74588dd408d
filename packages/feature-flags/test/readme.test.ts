/** The README's example, run against a loopback backend. */
import { afterAll, expect, test } from 'bun:test'
import {
  FeatureFlags,
  type FlagChange,
  GATEHOUSE_FLAGS,
  parseBackendEnv,
  parseOverrides,
} from '../src/index.ts'
import { startBackend } from './helpers/backend.ts'

const backend = startBackend({
  kind: 'flags',
  values: () => ({ 'icmp-unreachable-instead-of-nat64': true, 'drop-llmnr-nxdomain-responses': true }),
})
afterAll(() => backend.stop())

test('README example', async () => {
  const env = { GATEHOUSE_FLAGS_URL: backend.url, GATEHOUSE_FLAGS_API_KEY: 'phc_test' } as Record<
    string,
    string
  >
  const argv = ['--feature', 'drop-llmnr-nxdomain-responses=false']
  const lines: string[] = []
  const log = {
    info: (msg: string, fields: object) => lines.push(`INFO ${msg} ${JSON.stringify(fields)}`),
    warn: (msg: string, fields: object) => lines.push(`WARN ${msg} ${JSON.stringify(fields)}`),
  }
  const seen: FlagChange[] = []
  const dropCachedDecisions = (c: FlagChange) => seen.push(c)

  // --- README example begins
  const { overrides, warnings } = parseOverrides(GATEHOUSE_FLAGS, argv, env) // CLI beats env
  for (const w of warnings) log.warn(w, {})
  const ff = new FeatureFlags({
    registry: GATEHOUSE_FLAGS,
    backend: parseBackendEnv(env), // no GATEHOUSE_FLAGS_URL: offline, every flag false
    distinctId: 'gateway-7f3a',
    overrides,
    logger: log,
  })
  ff.subscribe((change) => dropCachedDecisions(change))
  ff.start() // returns at once; the first evaluation runs in the background

  const flags = ff.flags // hand this object to the packet path once
  const answerUnreachable = () => flags.icmpUnreachableInsteadOfNat64 // a plain field read
  // --- README example ends

  expect(answerUnreachable()).toBe(false) // nothing answered yet: the default
  await ff.idle()
  expect(answerUnreachable()).toBe(true)
  expect(flags.dropLlmnrNxdomainResponses).toBe(false) // the CLI override beats the backend
  expect(seen.map((c) => [c.name, c.new, c.why])).toEqual([
    ['icmp-unreachable-instead-of-nat64', true, 'backend'],
  ])
  expect(lines).toContain(
    'INFO feature flag changed {"flag":"icmp-unreachable-instead-of-nat64","old":false,"new":true,"why":"backend","detail":"answer"}',
  )
  ff.stop()
})
