/**
 * Resource address patterns (Firezone's semantics, MISSION.md "Client, DNS"):
 *
 * - `*` in a label matches any run of characters inside one label; a label that is just `*`
 *   matches exactly one label, and a pattern starting `*.` also matches the bare domain
 *   (`*.example.com` matches `example.com`);
 * - `**` as a whole label matches any number of labels, zero included;
 * - `?` matches one character (never a dot);
 * - matching ignores case (RFC 4343 §3).
 *
 * Where several patterns match a name, the most specific wins. The order is a comparison that
 * runs from the right of the two pattern texts, character by character: where they first differ,
 * `?` comes before `*`; a wildcard comes after anything else (a literal character, a dot or the
 * end of the text); two literal characters order in reverse (so the walk over the sorted list
 * meets `bar.example.com` before `foo.example.com`); the text that ends first (the shorter name)
 * comes first. Consequences: an exact name is always before every wildcard pattern that matches
 * it, `?.x` before `*.x` before `**.x`.
 *
 * Patterns are configuration (parsed once, may throw naming the field); `match` runs per query.
 * @module
 */

/** A parsed pattern. Immutable. */
export interface Pattern {
  /** The pattern text, lower-cased, without a trailing dot. */
  readonly text: string
  /** Labels, left to right; `**` is its own label. */
  readonly labels: readonly string[]
  /** True when any label has `*` or `?`. */
  readonly wildcard: boolean
  /**
   * The literal text every matching name ends with: what follows the last wildcard, its leading
   * dot dropped because `**.` and `*.` may match zero labels ('' when the pattern ends in one).
   */
  readonly suffix: string
}

const LABEL_CHARS = /^[a-z0-9_*?-]+$/

/** Parses a pattern; returns null when it is not one (empty label, `**` inside a label, bad character, too long). */
export function parsePattern(source: string): Pattern | null {
  let text = source.trim().toLowerCase()
  if (text.endsWith('.')) text = text.slice(0, -1)
  if (text.length === 0 || text.length > 253) return null
  const labels = text.split('.')
  let wildcard = false
  for (const l of labels) {
    if (l.length === 0 || l.length > 63 || !LABEL_CHARS.test(l)) return null
    if (l.includes('**') && l !== '**') return null // glob semantics: `**` is a whole label or nothing
    if (l.includes('*') || l.includes('?')) wildcard = true
  }
  const cut = Math.max(text.lastIndexOf('*'), text.lastIndexOf('?'))
  let suffix = text.slice(cut + 1)
  if (suffix.startsWith('.')) suffix = suffix.slice(1)
  return { text, labels, wildcard, suffix }
}

function isWild(c: number): boolean {
  return c === 0x2a || c === 0x3f
}

/** The most-specific-first order (see the module doc). Negative when `a` comes first. */
export function comparePatterns(a: string, b: string): number {
  let i = a.length - 1
  let j = b.length - 1
  for (;;) {
    const ca = i >= 0 ? a.charCodeAt(i) : -1
    const cb = j >= 0 ? b.charCodeAt(j) : -1
    if (ca === cb) {
      if (ca === -1) return 0
      i--
      j--
      continue
    }
    if (ca === 0x3f && cb === 0x2a) return -1 // `?` before `*`
    if (ca === 0x2a && cb === 0x3f) return 1
    if (isWild(ca)) return 1 // a wildcard after a literal, a dot or the end
    if (isWild(cb)) return -1
    if (ca === -1) return -1 // shorter first
    if (cb === -1) return 1
    return cb - ca // literals in reverse, as the walk runs from the right
  }
}

/** Glob match of one label (`*` any run, `?` one character) against one name label. */
function matchLabel(p: string, n: string): boolean {
  let pi = 0
  let ni = 0
  let star = -1
  let mark = 0
  while (ni < n.length) {
    const c = p.charCodeAt(pi)
    if (pi < p.length && (c === 0x3f || c === n.charCodeAt(ni))) {
      pi++
      ni++
    } else if (pi < p.length && c === 0x2a) {
      star = pi++
      mark = ni
    } else if (star >= 0) {
      pi = star + 1
      ni = ++mark
    } else return false
  }
  while (pi < p.length && p.charCodeAt(pi) === 0x2a) pi++
  return pi === p.length
}

function isGlobLabel(l: string): boolean {
  return l.includes('*') || l.includes('?')
}

function matchFrom(p: readonly string[], pi: number, n: readonly string[], ni: number): boolean {
  for (;;) {
    if (pi === p.length) return ni === n.length
    const l = p[pi]
    if (l === '**') {
      // zero or more labels: try every split, shortest first
      for (let k = ni; k <= n.length; k++) if (matchFrom(p, pi + 1, n, k)) return true
      return false
    }
    if (ni === n.length) return false
    if (l !== '*' && l !== n[ni] && !(isGlobLabel(l) && matchLabel(l, n[ni]))) return false
    pi++
    ni++
  }
}

/**
 * Does `pattern` match `labels` (a lower-cased name split at dots)? Includes the bare domain
 * of a leading `*.` (MISSION.md: `*.example.com` also matches `example.com`).
 */
export function matchLabels(pattern: Pattern, labels: readonly string[]): boolean {
  if (matchFrom(pattern.labels, 0, labels, 0)) return true
  return pattern.labels[0] === '*' && matchFrom(pattern.labels, 1, labels, 0)
}

/** Convenience for tests and config: match a pattern text against a name text. */
export function patternMatches(pattern: string, name: string): boolean {
  const p = parsePattern(pattern)
  if (p === null) return false
  return matchLabels(p, lowerName(name).split('.'))
}

function lowerName(name: string): string {
  const n = name.toLowerCase()
  return n.endsWith('.') ? n.slice(0, -1) : n
}

interface Entry<T> {
  readonly pattern: Pattern
  readonly value: T
  /** Position in the most-specific-first order of the wildcard patterns. */
  rank: number
}

/** A node of the index: patterns whose trailing literal labels end here, and the next labels leftwards. */
interface Node<T> {
  readonly children: Map<string, Node<T>>
  readonly entries: Entry<T>[]
}

const newNode = <T>(): Node<T> => ({ children: new Map(), entries: [] })

/**
 * A set of patterns, each with a value, that finds the most specific match for a name.
 *
 * Exact names sit in a Map (an exact name always wins over a wildcard that matches it, see the
 * module doc). Wildcard patterns are sorted by {@link comparePatterns} (their rank) and filed in
 * a tree of labels read from the right, at the node of their trailing literal labels: a literal
 * label matches exactly one label and matching is anchored at the right, so every name a pattern
 * matches ends with those labels. A name walks the tree along its own labels from the right,
 * collects the lists on its path (one per label at most) and tries their patterns merged by
 * rank, each first filtered by its literal `suffix` (`String.endsWith`). The cost depends on the
 * patterns sharing the name's ending, not on all patterns.
 */
export class PatternSet<T> {
  private readonly exact = new Map<string, { pattern: Pattern; value: T }>()
  private wild: Entry<T>[] = []
  private root: Node<T> = newNode()
  private readonly lists: Entry<T>[][] = []
  private readonly heads: number[] = []

  /** Number of patterns. */
  get size(): number {
    return this.exact.size + this.wild.length
  }

  /**
   * Adds a pattern (replacing the value of an equal pattern). Throws, naming `field`, when the
   * text is not a pattern: this is configuration.
   */
  set(text: string, value: T, field = 'address'): Pattern {
    const pattern = parsePattern(text)
    if (pattern === null) throw new Error(`${field}: not a valid address pattern: ${JSON.stringify(text)}`)
    if (!pattern.wildcard) {
      this.exact.set(pattern.text, { pattern, value })
      return pattern
    }
    const at = this.wild.findIndex((e) => e.pattern.text === pattern.text)
    if (at >= 0) this.wild[at] = { pattern, value, rank: at }
    else {
      this.wild.push({ pattern, value, rank: 0 })
      this.wild.sort((x, y) => comparePatterns(x.pattern.text, y.pattern.text))
    }
    this.reindex()
    return pattern
  }

  /** Removes every pattern whose value satisfies `pred`; returns how many. */
  deleteWhere(pred: (value: T) => boolean): number {
    let n = 0
    for (const [k, e] of this.exact)
      if (pred(e.value)) {
        this.exact.delete(k)
        n++
      }
    const before = this.wild.length
    this.wild = this.wild.filter((e) => !pred(e.value))
    if (this.wild.length !== before) this.reindex()
    return n + before - this.wild.length
  }

  private reindex(): void {
    this.root = newNode()
    for (let i = 0; i < this.wild.length; i++) {
      const e = this.wild[i]
      e.rank = i
      const l = e.pattern.labels
      let node = this.root
      for (let j = l.length - 1; j >= 0 && !isGlobLabel(l[j]) && l[j] !== '**'; j--) {
        let next = node.children.get(l[j])
        if (next === undefined) {
          next = newNode()
          node.children.set(l[j], next)
        }
        node = next
      }
      node.entries.push(e) // in rank order, as `wild` is
    }
  }

  /**
   * The value of the most specific pattern matching `name` (lower-cased, no trailing dot, as
   * `MessageView.qname` renders it), or undefined.
   */
  match(name: string): T | undefined {
    const hit = this.exact.get(name)
    if (hit !== undefined) return hit.value
    if (this.wild.length === 0) return undefined
    const labels = name.split('.')
    const lists = this.lists
    const heads = this.heads
    let n = 0
    let node: Node<T> | undefined = this.root
    for (let j = labels.length; node !== undefined; j--) {
      if (node.entries.length > 0) {
        lists[n] = node.entries
        heads[n++] = 0
      }
      node = j > 0 ? node.children.get(labels[j - 1]) : undefined
    }
    for (;;) {
      // k-way merge by rank over the lists on the name's path
      let best = -1
      let bestRank = Number.MAX_SAFE_INTEGER
      for (let i = 0; i < n; i++) {
        const h = heads[i]
        if (h < lists[i].length && lists[i][h].rank < bestRank) {
          bestRank = lists[i][h].rank
          best = i
        }
      }
      if (best < 0) return undefined
      const e = lists[best][heads[best]++]
      if (name.endsWith(e.pattern.suffix) && matchLabels(e.pattern, labels)) return e.value
    }
  }

  /** All pattern texts in match order: exact names (sorted the same way), then wildcards. */
  texts(): string[] {
    const exact = [...this.exact.keys()].sort(comparePatterns)
    return [...exact, ...this.wild.map((e) => e.pattern.text)]
  }
}
