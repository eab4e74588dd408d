import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import {
  backendOptions,
  DEFAULT_GRACE_MS,
  DEFAULT_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
  envVarName,
  GATEHOUSE_FLAGS,
  parseBackendEnv,
  parseOverrides,
} from '../src/index.ts'

const FLAG = 'icmp-unreachable-instead-of-nat64'
const ENV = 'GATEHOUSE_FEATURE_ICMP_UNREACHABLE_INSTEAD_OF_NAT64'

describe('issue 5: overrides from --feature and GATEHOUSE_FEATURE_<NAME>', () => {
  test('the env variable name is GATEHOUSE_FEATURE_ + upper snake case', () => {
    expect(envVarName(FLAG)).toBe(ENV)
  })

  test('env true/false/1/0/on/off/yes/no, any case; empty means unset', () => {
    for (const [raw, value] of [
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['on', true],
      ['yes', true],
      ['false', false],
      ['0', false],
      ['Off', false],
      ['no', false],
    ] as const)
      expect(parseOverrides(GATEHOUSE_FLAGS, [], { [ENV]: raw }).overrides[FLAG]).toEqual({
        value,
        origin: `env ${ENV}`,
      })
    expect(parseOverrides(GATEHOUSE_FLAGS, [], { [ENV]: '' }).overrides[FLAG]).toBeUndefined()
  })

  test('a bad env value throws naming the variable', () => {
    expect(() => parseOverrides(GATEHOUSE_FLAGS, [], { [ENV]: 'maybe' })).toThrow(ENV)
  })

  test('an unknown GATEHOUSE_FEATURE_* variable is a warning, not an error', () => {
    const r = parseOverrides(GATEHOUSE_FLAGS, [], { GATEHOUSE_FEATURE_NOPE: 'true', PATH: '/bin' })
    expect(r.overrides).toEqual({})
    expect(r.warnings).toHaveLength(1)
    expect(r.warnings[0]).toContain('GATEHOUSE_FEATURE_NOPE')
  })

  test('--feature name=v, --feature=name=v and bare --feature name (true); other arguments skipped', () => {
    const r = parseOverrides(GATEHOUSE_FLAGS, [
      'run',
      '--feature',
      `${FLAG}=false`,
      '--verbose',
      '--feature=drop-llmnr-nxdomain-responses',
    ])
    expect(r.overrides).toEqual({
      [FLAG]: { value: false, origin: 'cli --feature' },
      'drop-llmnr-nxdomain-responses': { value: true, origin: 'cli --feature' },
    })
  })

  test('the CLI beats the environment; the last --feature wins', () => {
    const r = parseOverrides(GATEHOUSE_FLAGS, ['--feature', `${FLAG}=true`, `--feature=${FLAG}=false`], {
      [ENV]: 'true',
    })
    expect(r.overrides[FLAG]).toEqual({ value: false, origin: 'cli --feature' })
  })

  test('an unknown flag or a bad value on the command line throws, naming it', () => {
    expect(() => parseOverrides(GATEHOUSE_FLAGS, ['--feature', 'icmp-unreachable=true'])).toThrow(
      "'icmp-unreachable'",
    )
    expect(() => parseOverrides(GATEHOUSE_FLAGS, ['--feature', `${FLAG}=sure`])).toThrow('--feature')
    expect(() => parseOverrides(GATEHOUSE_FLAGS, ['--feature'])).toThrow('missing')
  })

  test('random argv without --feature yields no override and never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.string().filter((s) => !s.startsWith('--feature'))), (argv) => {
        expect(parseOverrides(GATEHOUSE_FLAGS, argv).overrides).toEqual({})
      }),
      { numRuns: 200 },
    )
  })
})

describe('issue 5: backend configuration from GATEHOUSE_FLAGS_*', () => {
  test('nothing configured is offline with the default timings (5 min, 15 min, 5 s)', () => {
    expect(parseBackendEnv({})).toEqual({
      url: null,
      apiKey: null,
      api: 'decide',
      intervalMs: DEFAULT_INTERVAL_MS,
      graceMs: DEFAULT_GRACE_MS,
      timeoutMs: DEFAULT_TIMEOUT_MS,
    })
    expect([DEFAULT_INTERVAL_MS, DEFAULT_GRACE_MS, DEFAULT_TIMEOUT_MS]).toEqual([300_000, 900_000, 5_000])
  })

  test('every variable is read', () => {
    expect(
      parseBackendEnv({
        GATEHOUSE_FLAGS_URL: 'https://eu.i.posthog.com',
        GATEHOUSE_FLAGS_API_KEY: 'phc_x',
        GATEHOUSE_FLAGS_API: 'flags',
        GATEHOUSE_FLAGS_INTERVAL_MS: '1000',
        GATEHOUSE_FLAGS_GRACE_MS: '5000',
        GATEHOUSE_FLAGS_TIMEOUT_MS: '200',
      }),
    ).toEqual({
      url: 'https://eu.i.posthog.com',
      apiKey: 'phc_x',
      api: 'flags',
      intervalMs: 1000,
      graceMs: 5000,
      timeoutMs: 200,
    })
  })

  test('errors name the variable', () => {
    expect(() => parseBackendEnv({ GATEHOUSE_FLAGS_URL: 'https://x.example' })).toThrow(
      'GATEHOUSE_FLAGS_API_KEY',
    )
    expect(() => parseBackendEnv({ GATEHOUSE_FLAGS_URL: 'not a url', GATEHOUSE_FLAGS_API_KEY: 'k' })).toThrow(
      'GATEHOUSE_FLAGS_URL',
    )
    expect(() => parseBackendEnv({ GATEHOUSE_FLAGS_INTERVAL_MS: '5m' })).toThrow(
      'GATEHOUSE_FLAGS_INTERVAL_MS',
    )
    expect(() => parseBackendEnv({ GATEHOUSE_FLAGS_API: 'v4' })).toThrow('GATEHOUSE_FLAGS_API')
    expect(() => parseBackendEnv({ GATEHOUSE_FLAGS_GRACE_MS: '1000' })).toThrow('GATEHOUSE_FLAGS_GRACE_MS')
  })

  test('a grace period shorter than one interval plus its timeout is refused (flags would flap)', () => {
    expect(() => backendOptions({ intervalMs: 1000, timeoutMs: 100, graceMs: 1099 })).toThrow('graceMs')
    expect(backendOptions({ intervalMs: 1000, timeoutMs: 100, graceMs: 1100 }).graceMs).toBe(1100)
    expect(() => backendOptions({ intervalMs: 1000, timeoutMs: 1000, graceMs: 9000 })).toThrow('timeoutMs')
  })
})
