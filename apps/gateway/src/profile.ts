/**
 * On-demand CPU profiling of a running gateway: the first SIGUSR2 starts JavaScriptCore's sampling
 * profiler through `node:inspector` (Bun 1.4), the second stops it and writes a `.cpuprofile`
 * (Chrome DevTools / speedscope format) into `dir`. Nothing runs until the first signal.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { join } from 'node:path'
import type { Logger } from '@gatehouse/app-common'

export function installProfilerSignal(
  dir: string,
  log: Logger,
  signal: NodeJS.Signals = 'SIGUSR2',
): () => void {
  let session: Session | null = null
  const onSignal = () => {
    if (session === null) {
      const s = new Session()
      s.connect()
      session = s
      s.post('Profiler.enable', () =>
        s.post('Profiler.start', () =>
          log.info('cpu profile started', { stopWith: `kill -${signal.slice(3)} ${process.pid}` }),
        ),
      )
      return
    }
    const s = session
    session = null
    s.post('Profiler.stop', (err, res) => {
      if (err !== null || res === undefined) log.error('cpu profile failed', { error: err })
      else {
        const file = join(
          dir,
          `gateway-${process.pid}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`,
        )
        writeFileSync(file, JSON.stringify(res.profile))
        log.info('cpu profile written', { file, samples: res.profile.samples?.length ?? 0 })
      }
      s.disconnect()
    })
  }
  process.on(signal, onSignal)
  return () => process.off(signal, onSignal)
}
