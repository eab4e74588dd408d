import { expect, test } from 'bun:test'
import { join } from 'node:path'

/** Runs `runMain('prog', main)` in a child whose main does `body`; its exit code and stderr. */
function runWith(body: string): { code: number; stderr: string } {
  const src = join(import.meta.dir, '..', 'src', 'index.ts')
  const script = `import { ConfigError, runMain } from ${JSON.stringify(src)}\nrunMain('prog', async () => { ${body} })`
  const r = Bun.spawnSync([process.execPath, '-e', script], { stderr: 'pipe' })
  return { code: r.exitCode ?? -1, stderr: r.stderr.toString() }
}

test('runMain: a code >= 0 is the exit status', () => {
  expect(runWith('return 3')).toEqual({ code: 3, stderr: '' })
})

test('runMain: a configuration error prints only its message (it names the field) and exits 1', () => {
  const r = runWith("throw new ConfigError(['tun.mtu: must be >= 1280 (from --tun.mtu)'])")
  expect(r.code).toBe(1)
  expect(r.stderr).toBe('invalid configuration:\n  tun.mtu: must be >= 1280 (from --tun.mtu)\n')
})

test('runMain: any other error is printed after the program name, exit 1', () => {
  expect(runWith("throw new Error('CAP_NET_ADMIN is needed to open /dev/net/tun')")).toEqual({
    code: 1,
    stderr: 'prog: CAP_NET_ADMIN is needed to open /dev/net/tun\n',
  })
})

test('runMain: a negative code keeps the process running (the shell owns it until a signal)', () => {
  const r = runWith(
    "setTimeout(() => { process.stderr.write('still here'); process.exit(7) }, 50); return -1",
  )
  expect(r).toEqual({ code: 7, stderr: 'still here' })
})
