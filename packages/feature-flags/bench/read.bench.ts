/**
 * Reading a flag on the packet path: FeatureFlags.flags is a plain object updated in place, so a read
 * should cost what reading any object field costs (issue 5 target: < 2 ns median). Side by side: a plain
 * object literal (the floor), our values object (after a real start-up and in-place updates), and two
 * designs passed over (a Map lookup by name, a getter method). bench/run.ts runs each case in its own
 * process and prints the ratios to the first (why: see there).
 *
 * Each case gets its object as a mitata computed parameter, so the JIT cannot hoist the load out of the
 * measuring loop or fold it into a constant (a bare `obj.field` in a closure measures ~0.1 ns: nothing).
 */
import { bench, do_not_optimize, summary } from 'mitata'
import { FeatureFlags, GATEHOUSE_FLAGS } from '../src/index.ts'

const plain = { icmpUnreachableInsteadOfNat64: false, dropLlmnrNxdomainResponses: false }

// A real instance, offline, with an override set and cleared: the object has been written in place.
const ff = new FeatureFlags({ registry: GATEHOUSE_FLAGS, logger: { info() {}, warn() {} } })
ff.start()
ff.setOverride('icmp-unreachable-instead-of-nat64', true)
ff.setOverride('icmp-unreachable-instead-of-nat64', undefined)
ff.stop()
const flags = ff.flags

const map = new Map<string, boolean>([
  ['icmp-unreachable-instead-of-nat64', false],
  ['drop-llmnr-nxdomain-responses', false],
])

class Getter {
  private v = false
  icmpUnreachableInsteadOfNat64(): boolean {
    return this.v
  }
}
const getter = new Getter()

/** The case names, in order; bench/run.ts runs each in its own process. The first is the baseline. */
export const CASES = [
  'read plain object field',
  'read flag (ff.flags.icmpUnreachableInsteadOfNat64)',
  'read flag via Map.get(name)',
  'read flag via getter method',
] as const

// Each case is written out rather than built by a shared helper: a helper's `read(o)` call site
// would see every case's closure, turn polymorphic and bill the later cases for it.
summary(() => {
  bench('read plain object field', function* () {
    yield { 0: () => plain, bench: (o: typeof plain) => do_not_optimize(o.icmpUnreachableInsteadOfNat64) }
  }).gc('inner')
  bench('read flag (ff.flags.icmpUnreachableInsteadOfNat64)', function* () {
    yield { 0: () => flags, bench: (o: typeof flags) => do_not_optimize(o.icmpUnreachableInsteadOfNat64) }
  }).gc('inner')
  bench('read flag via Map.get(name)', function* () {
    yield {
      0: () => map,
      bench: (o: typeof map) => do_not_optimize(o.get('icmp-unreachable-instead-of-nat64')),
    }
  }).gc('inner')
  bench('read flag via getter method', function* () {
    yield { 0: () => getter, bench: (o: Getter) => do_not_optimize(o.icmpUnreachableInsteadOfNat64()) }
  }).gc('inner')
})
