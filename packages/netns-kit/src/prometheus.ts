/** Prometheus text exposition format, read. */

/** Prometheus text -> `name{labels}` -> value (comments and blank lines skipped). */
export function parseMetrics(text: string): Map<string, number> {
  const m = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue
    const i = line.lastIndexOf(' ')
    if (i <= 0) continue
    m.set(line.slice(0, i), Number(line.slice(i + 1)))
  }
  return m
}

/** The samples whose value is not zero, as `name{labels} value` lines (for failure messages). */
export function nonZeroSamples(text: string): string {
  const out: string[] = []
  for (const [k, v] of parseMetrics(text)) if (v !== 0) out.push(`${k} ${v}`)
  return out.join('\n')
}
