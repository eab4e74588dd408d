import { describe, expect, test } from 'bun:test'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { ConfigError, loadConfig, splitFlags } from '../src/index.ts'

const schema = z.object({
  listenPort: z.number().int().min(1).max(65535).default(51820),
  tun: z.object({ name: z.string().min(1), mtu: z.number().int().min(1280).default(1280) }),
  upstreamDns: z.array(z.string()).default([]),
})

function file(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-config-'))
  const path = join(dir, 'config.json')
  writeFileSync(path, content)
  return path
}

describe('layered configuration (issue 9: file, then GATEHOUSE_* env, then flags)', () => {
  test('file values and defaults', () => {
    const cfg = loadConfig(schema, { file: file('{"tun":{"name":"gh0"}}') })
    expect(cfg).toEqual({ listenPort: 51820, tun: { name: 'gh0', mtu: 1280 }, upstreamDns: [] })
  })

  test('env beats the file and flags beat env', () => {
    const cfg = loadConfig(schema, {
      file: file('{"tun":{"name":"gh0"},"listenPort":1}'),
      env: {
        GATEHOUSE_LISTEN_PORT: '2',
        GATEHOUSE_TUN__NAME: 'from-env',
        GATEHOUSE_UPSTREAM_DNS: '["1.1.1.1"]',
      },
      flags: { listenPort: '3' },
    })
    expect(cfg.listenPort).toBe(3)
    expect(cfg.tun.name).toBe('from-env')
    expect(cfg.upstreamDns).toEqual(['1.1.1.1'])
  })

  test('a wrong value names the field, the problem and its source', () => {
    try {
      loadConfig(schema, { file: file('{"tun":{"name":"gh0"}}'), env: { GATEHOUSE_TUN__MTU: '576' } })
      throw new Error('expected a ConfigError')
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      expect((e as ConfigError).problems).toHaveLength(1)
      expect((e as ConfigError).problems[0]).toMatch(/^tun\.mtu: .*1280.*\(from env GATEHOUSE_TUN__MTU\)$/)
    }
  })

  test('a missing required field is named', () => {
    expect(() => loadConfig(schema, {})).toThrow(/tun: /)
  })

  test('an unknown flag is refused by name', () => {
    expect(() => loadConfig(schema, { flags: { 'tun.nmae': 'x' } })).toThrow(/--tun\.nmae: unknown option/)
  })

  test('a file that is not JSON is reported with its path', () => {
    const path = file('{ nope')
    expect(() => loadConfig(schema, { file: path })).toThrow(new RegExp(`${path}: not valid JSON`))
  })

  test('a missing file is reported with its path', () => {
    expect(() => loadConfig(schema, { file: '/nonexistent/gatehouse.json' })).toThrow(
      /\/nonexistent\/gatehouse\.json/,
    )
  })

  test('splitFlags reads --a=b, --a b and bare --a', () => {
    expect(splitFlags(['run', '--tun.name=x', '--listenPort', '5', '--verbose'])).toEqual({
      flags: { 'tun.name': 'x', listenPort: '5', verbose: 'true' },
      positional: ['run'],
    })
  })
})

test('env and flags reach fields behind defaults and prefaults', () => {
  const nested = z.object({
    tun: z.object({ mtu: z.number().default(1280) }).prefault({}),
    log: z.object({ level: z.string().default('INFO') }).optional(),
  })
  expect(
    loadConfig(nested, { env: { GATEHOUSE_TUN__MTU: '1400' }, flags: { 'log.level': 'DEBUG' } }),
  ).toEqual({
    tun: { mtu: 1400 },
    log: { level: 'DEBUG' },
  })
})
