/**
 * Runs cleanup steps once on SIGINT/SIGTERM (and on a normal exit), newest first, so a TUN
 * device, its routes or a rewritten /etc/resolv.conf are put back whatever ends the process.
 */
export class Shutdown {
  private readonly steps: { name: string; run: () => void | Promise<void> }[] = []
  private started = false

  constructor(private readonly onError: (step: string, error: unknown) => void = () => {}) {}

  add(name: string, run: () => void | Promise<void>): void {
    this.steps.push({ name, run })
  }

  /** Runs every step even when one fails; returns when all are done. */
  async run(): Promise<void> {
    if (this.started) return
    this.started = true
    for (const step of this.steps.reverse()) {
      try {
        await step.run()
      } catch (e) {
        this.onError(step.name, e)
      }
    }
  }

  /** Installs SIGINT/SIGTERM handlers that run the steps and exit with 128 + signal number. */
  installSignalHandlers(): void {
    const handler = (signal: NodeJS.Signals, code: number) => {
      void this.run().then(() => process.exit(128 + code))
      void signal
    }
    process.once('SIGINT', () => handler('SIGINT', 2))
    process.once('SIGTERM', () => handler('SIGTERM', 15))
  }
}
