import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The version printed as `GIT_VERSION = …` at start: `GATEHOUSE_GIT_VERSION` when a release
 * sets it, else `git describe` of the checkout, else the root package's version.
 */
export function gitVersion(repoRoot: string): string {
  const fromEnv = process.env.GATEHOUSE_GIT_VERSION
  if (fromEnv) return fromEnv
  const git = Bun.spawnSync(['git', 'describe', '--always', '--dirty', '--tags'], {
    cwd: repoRoot,
    stderr: 'ignore',
  })
  if (git.exitCode === 0) {
    const out = git.stdout.toString().trim()
    if (out) return `0.1.0-${out}`
  }
  try {
    return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}
