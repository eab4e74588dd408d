import { expect, test } from 'bun:test'
import { compareTable } from '../src/compare.ts'

test('the comparison table pairs benchmarks by package and name and gives head/base', () => {
  const base = new Map([['@gatehouse/nat64 6->4 tcp 1400B', 50]])
  const head = new Map([
    ['@gatehouse/nat64 6->4 tcp 1400B', 60],
    ['@gatehouse/nat64 new case', 10],
  ])
  expect(compareTable(base, head).split('\n').slice(2)).toEqual([
    '| @gatehouse/nat64 6->4 tcp 1400B | 50.0 | 60.0 | 1.20 |',
    '| @gatehouse/nat64 new case |  | 10.0 | new |',
  ])
})
