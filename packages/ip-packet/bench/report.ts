/** Prints bench-results/ip-packet.json as the README's Markdown tables: `bun bench/report.ts`. */
import { readFileSync } from 'node:fs'

interface Row {
  name: string
  p50: number
  heapBytesPerIter: number | null
}
const r = JSON.parse(readFileSync(`${import.meta.dir}/../bench-results/ip-packet.json`, 'utf8')) as {
  date: string
  cpu: string
  runtime: string
  benchmarks: Row[]
}
const by = new Map(r.benchmarks.map((b) => [b.name, b]))
const ns = (name: string) => {
  const b = by.get(name)
  return b ? `${b.p50.toFixed(1)} ns` : 'n/a'
}
const heap = (name: string) => {
  const h = by.get(name)?.heapBytesPerIter
  return h === null || h === undefined ? 'n/a' : `${h.toFixed(2)} B`
}
const kinds = ['udp4 64B', 'udp6 64B', 'tcp4 64B', 'tcp6 64B', 'icmp4 64B', 'icmp6 64B', 'udp4 1200B']
console.log(
  `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${r.cpu} (2 shared cores), ${r.runtime}; medians (p50).\n`,
)
console.log('| kind | parse | parse+key | rewrite dst+port | heap/iter parse+key | heap/iter rewrite |')
console.log('| --- | --- | --- | --- | --- | --- |')
for (const k of kinds) {
  console.log(
    `| ${k} | ${ns(`parse ${k}`)} | ${ns(`parse+key ${k}`)} | ${ns(`rewrite dst+port ${k}`)} | ${heap(`parse+key ${k}`)} | ${heap(`rewrite dst+port ${k}`)} |`,
  )
}
console.log('\n| other | median | heap/iter |\n| --- | --- | --- |')
for (const b of r.benchmarks) {
  if (!/^(parse|rewrite dst\+port \w+ \d+B$)/.test(b.name) && !b.name.startsWith('ipv6 ')) {
    console.log(`| ${b.name} | ${ns(b.name)} | ${heap(b.name)} |`)
  }
}
console.log('\n| address operation | median |\n| --- | --- |')
for (const b of r.benchmarks) if (b.name.startsWith('ipv6 ')) console.log(`| ${b.name} | ${ns(b.name)} |`)
