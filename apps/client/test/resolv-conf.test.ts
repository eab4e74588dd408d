import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseResolvConf } from '@gatehouse/dns-resolver'
import { backupPath, recoverResolvConf, renderResolvConf, takeOverResolvConf } from '../src/resolv-conf.ts'

const ORIGINAL =
  '# from DHCP\nnameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch corp.example\noptions edns0\n'
const SENTINELS = ['100.100.111.1', 'fd00:2021:1111:8000:100:100:111:1']

let dir: string
let path: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-cl-resolv-'))
  path = join(dir, 'resolv.conf')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('--dns-control etc-resolv-conf (issue 9)', () => {
  test('takeover writes the sentinels as the only nameservers, keeps search/options, and restore puts the original back', () => {
    writeFileSync(path, ORIGINAL)
    const t = takeOverResolvConf(path, SENTINELS)
    const ours = readFileSync(path, 'utf8')
    expect(ours).toContain('nameserver 100.100.111.1')
    expect(ours).toContain('search corp.example')
    expect(ours).toContain('options edns0')
    expect(ours).not.toContain('192.0.2.53')
    expect(readFileSync(backupPath(path), 'utf8')).toBe(ORIGINAL)
    // The host's upstreams read from our file are none (sentinels are skipped): no loop.
    expect(parseResolvConf(ours)).toEqual([])
    t.restore()
    expect(readFileSync(path, 'utf8')).toBe(ORIGINAL)
    expect(existsSync(backupPath(path))).toBe(false)
    t.restore() // idempotent
    expect(readFileSync(path, 'utf8')).toBe(ORIGINAL)
  })

  test('crash recovery: a backup left behind is restored at the next start, before anything else', () => {
    writeFileSync(path, ORIGINAL)
    takeOverResolvConf(path, SENTINELS) // ... and the process dies without restore()
    expect(readFileSync(path, 'utf8')).not.toBe(ORIGINAL)
    expect(recoverResolvConf(path)).toBe(true)
    expect(readFileSync(path, 'utf8')).toBe(ORIGINAL)
    expect(recoverResolvConf(path)).toBe(false)
  })

  test('a second takeover after a crash backs up the original, not our own file', () => {
    writeFileSync(path, ORIGINAL)
    takeOverResolvConf(path, SENTINELS) // crash
    const t = takeOverResolvConf(path, SENTINELS)
    expect(readFileSync(backupPath(path), 'utf8')).toBe(ORIGINAL)
    t.restore()
    expect(readFileSync(path, 'utf8')).toBe(ORIGINAL)
  })

  test('a symlinked resolv.conf (systemd-resolved) comes back as the same symlink, its target untouched', () => {
    const target = join(dir, 'stub-resolv.conf')
    writeFileSync(target, ORIGINAL)
    symlinkSync(target, path)
    const t = takeOverResolvConf(path, SENTINELS)
    expect(lstatSync(path).isSymbolicLink()).toBe(false)
    expect(readFileSync(target, 'utf8')).toBe(ORIGINAL)
    t.restore()
    expect(lstatSync(path).isSymbolicLink()).toBe(true)
    expect(readlinkSync(path)).toBe(target)
  })

  test('a crash in the middle (original moved aside, ours not yet written) is repaired too', () => {
    writeFileSync(backupPath(path), ORIGINAL) // state after step 1 of the takeover
    expect(existsSync(path)).toBe(false)
    expect(recoverResolvConf(path)).toBe(true)
    expect(readFileSync(path, 'utf8')).toBe(ORIGINAL)
  })

  test('no sentinels: refuses, naming the path, and leaves the file alone', () => {
    writeFileSync(path, ORIGINAL)
    expect(() => takeOverResolvConf(path, [])).toThrow(path)
    expect(readFileSync(path, 'utf8')).toBe(ORIGINAL)
  })

  test('renderResolvConf keeps only search/domain/options/sortlist lines of the original', () => {
    const text = renderResolvConf(
      'nameserver 1.1.1.1\nsearch a.example b.example\n; comment\noptions ndots:2\n',
      ['100.100.111.1'],
    )
    expect(text.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
      'nameserver 100.100.111.1',
      'search a.example b.example',
      'options ndots:2',
      '',
    ])
  })
})
