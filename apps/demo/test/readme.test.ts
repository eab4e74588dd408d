/** README.md's example, as written (root only: it builds the topology). */
import { expect, test } from 'bun:test'
import { dns, missingTools, Runner, Topology } from '../src/index.ts'

const RUN = process.getuid?.() === 0 && missingTools().length === 0
if (!RUN) console.warn('skipping the README example: needs root and the demo tools')

test.skipIf(!RUN)(
  'README example: build, run scenario 9, tear down',
  async () => {
    let ok = false
    const t = await Topology.up({ prefix: `ghdr${process.pid % 1000}-` })
    try {
      const x = new Runner(t)
      await dns(x)
      ok = x.results.every((r) => r.pass)
    } finally {
      t.down()
    }
    expect(ok).toBe(true)
    expect(t.isGone()).toBe(true)
  },
  90_000,
)
