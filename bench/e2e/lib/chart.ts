/**
 * A small SVG chart of an end-to-end comparison, readable at a glance in a browser or on GitHub:
 * one panel per metric, one horizontal bar per subject (ours, the reference), the value printed at
 * the end of each bar and ours/reference beside the panel title. Hand-written: a chart library
 * would be the largest dependency of the repository for forty lines of SVG.
 */

export interface ChartPanel {
  /** e.g. "TCP single stream". */
  title: string
  /** e.g. "Mbit/s". */
  unit: string
  /** Which way is better, for the ratio's wording. */
  better: 'higher' | 'lower'
  bars: { label: string; value: number }[]
  /** Lines under the title: the goal on this metric, or ours ÷ reference. */
  notes: string[]
}

const COLORS = ['#2563eb', '#9ca3af', '#f59e0b', '#10b981', '#ef4444']
const MIN_W = 640
const LABEL_W = 190
const BAR_H = 18
const GAP = 6
const PANEL_PAD = 34

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return 'n/a'
  if (Math.abs(v) >= 100) return v.toFixed(0)
  if (Math.abs(v) >= 10) return v.toFixed(1)
  return v.toFixed(2)
}

/** The SVG document for `panels` under `title` (and a `subtitle`: machine and date). */
export function barChart(title: string, subtitle: string, panels: ChartPanel[]): string {
  // SVG text does not wrap: widen the chart to its longest line (rough glyph widths at 15 px bold / 12 px).
  const W = Math.ceil(
    Math.max(
      MIN_W,
      24 + title.length * 9,
      24 + subtitle.length * 6.5,
      ...panels.flatMap((p) => p.notes.map((n) => LABEL_W + 12 + n.length * 6.5)),
    ),
  )
  const parts: string[] = []
  let y = 48
  for (const p of panels) {
    parts.push(
      `<text x="12" y="${y + 14}" font-weight="600">${esc(p.title)} <tspan font-weight="400" fill="#555">(${esc(p.unit)}, ${p.better} is better)</tspan></text>`,
    )
    y += 22
    // The ratio on a line of its own: beside a long title it ran off the chart's edge.
    for (const note of p.notes) {
      parts.push(`<text x="${LABEL_W}" y="${y + 10}" fill="#111">${esc(note)}</text>`)
      y += 18
    }
    const max = Math.max(...p.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), 1e-9)
    p.bars.forEach((b, i) => {
      const w = Number.isFinite(b.value) ? Math.max(1, ((W - LABEL_W - 70) * b.value) / max) : 0
      parts.push(
        `<text x="${LABEL_W - 8}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>`,
        `<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[i % COLORS.length]}" rx="2"/>`,
        `<text x="${(LABEL_W + w + 6).toFixed(1)}" y="${y + 13}">${fmt(b.value)}</text>`,
      )
      y += BAR_H + GAP
    })
    y += PANEL_PAD - GAP - 16
  }
  const h = y + 8
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${h}" fill="#fff"/>`,
    `<text x="12" y="20" font-size="15" font-weight="700">${esc(title)}</text>`,
    `<text x="12" y="37" fill="#555">${esc(subtitle)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
