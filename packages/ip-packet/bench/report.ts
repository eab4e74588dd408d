/**
 * Prints bench results as the README's Markdown tables: `bun bench/report.ts [a.json b.json ...]`
 * (default: bench-results/ip-packet.json). Given several runs, each figure is the median of the
 * runs' medians, so that one run disturbed by the shared machine does not set the figure.
 */
import { readFileSync } from 'node:fs'

interface Row {
  name: string
  p50: number
  heapBytesPerIter: number | null
}
interface Result {
  date: string
  cpu: string
  runtime: string
  benchmarks: Row[]
}
const files = process.argv.slice(2)
if (files.length === 0) files.push(`${import.meta.dir}/../bench-results/ip-packet.json`)
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Result)
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const names = runs[0].benchmarks.map((b) => b.name)
const pick = (name: string, f: (r: Row) => number | null) => {
  const xs = runs
    .map((r) => r.benchmarks.find((b) => b.name === name))
    .map((b) => (b ? f(b) : null))
    .filter((x): x is number => x !== null)
  return xs.length ? median(xs) : null
}
const ns = (name: string) => {
  const v = pick(name, (b) => b.p50)
  return v === null ? 'n/a' : `${v.toFixed(1)} ns`
}
const heap = (name: string) => {
  const v = pick(name, (b) => b.heapBytesPerIter)
  return v === null ? 'n/a' : `${v.toFixed(2)} B`
}
const kinds = ['udp4 64B', 'udp6 64B', 'tcp4 64B', 'tcp6 64B', 'icmp4 64B', 'icmp6 64B', 'udp4 1200B']
const when = runs.map((r) => r.date.slice(0, 16).replace('T', ' '))
console.log(
  `Measured ${when[0]}${when.length > 1 ? ` to ${when[when.length - 1].slice(11)}` : ''} UTC on ${runs[0].cpu} ` +
    `(2 shared cores), ${runs[0].runtime}; medians (p50)${runs.length > 1 ? `, the median of ${runs.length} runs` : ''}.\n`,
)
console.log('| kind | parse | parse+key | rewrite dst+port | heap/iter parse+key | heap/iter rewrite |')
console.log('| --- | --- | --- | --- | --- | --- |')
for (const k of kinds) {
  console.log(
    `| ${k} | ${ns(`parse ${k}`)} | ${ns(`parse+key ${k}`)} | ${ns(`rewrite dst+port ${k}`)} | ${heap(`parse+key ${k}`)} | ${heap(`rewrite dst+port ${k}`)} |`,
  )
}
console.log('\n| other | median | heap/iter |\n| --- | --- | --- |')
for (const n of names) {
  if (!/^(parse|rewrite dst\+port \w+ \d+B$)/.test(n) && !n.startsWith('ipv6 ')) {
    console.log(`| ${n} | ${ns(n)} | ${heap(n)} |`)
  }
}
console.log('\n| address operation | median |\n| --- | --- |')
for (const n of names) if (n.startsWith('ipv6 ')) console.log(`| ${n} | ${ns(n)} |`)
