/**
 * Prometheus text exposition (format 0.0.4) for counters the cores already keep.
 *
 * The packet path only increments plain numeric fields (`drops[reason]++`); this registry
 * reads them at scrape time through a `collect` callback, so metrics cost nothing per packet.
 */

export type Sample = number | Readonly<Record<string, number>>

interface Family {
  name: string
  help: string
  type: 'counter' | 'gauge'
  label: string | undefined
  collect: () => Sample
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

export class MetricsRegistry {
  private readonly families: Family[] = []

  /** A counter; when `collect` returns a record, each key becomes the value of label `label`. */
  counter(name: string, help: string, collect: () => Sample, label?: string): void {
    this.add({ name, help, type: 'counter', label, collect })
  }

  gauge(name: string, help: string, collect: () => Sample, label?: string): void {
    this.add({ name, help, type: 'gauge', label, collect })
  }

  private add(f: Family): void {
    if (!NAME.test(f.name)) throw new Error(`metric name '${f.name}' is not a valid Prometheus name`)
    if (this.families.some((g) => g.name === f.name)) throw new Error(`metric '${f.name}' registered twice`)
    this.families.push(f)
  }

  /** The text a Prometheus server scrapes. */
  render(): string {
    let out = ''
    for (const f of this.families) {
      out += `# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${f.name} ${f.type}\n`
      const sample = f.collect()
      if (typeof sample === 'number') {
        out += `${f.name} ${formatValue(sample)}\n`
      } else {
        const label = f.label ?? 'kind'
        for (const key of Object.keys(sample).sort()) {
          out += `${f.name}{${label}="${escapeLabel(key)}"} ${formatValue(sample[key])}\n`
        }
      }
    }
    return out
  }
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Number.POSITIVE_INFINITY) return '+Inf'
  if (v === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(v)
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/**
 * Serves `/metrics` on a loopback address only: counters reveal which resources clients use,
 * so exposing them beyond the host is an operator's explicit proxy decision, not ours.
 */
export function serveMetrics(registry: MetricsRegistry, listen: { host: string; port: number }) {
  if (!isLoopback(listen.host)) {
    throw new Error(`metrics.listen: '${listen.host}' is not a loopback address (use 127.0.0.1 or ::1)`)
  }
  return Bun.serve({
    hostname: listen.host,
    port: listen.port,
    fetch(req) {
      if (new URL(req.url).pathname !== '/metrics') return new Response('not found\n', { status: 404 })
      return new Response(registry.render(), {
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      })
    },
  })
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}
