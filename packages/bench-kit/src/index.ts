/**
 * @gatehouse/bench-kit: the runner behind every package's `bench/run.ts` (mitata results as JSON
 * records), and the base/head comparison with a noise-aware verdict that CI posts on pull requests.
 */
export {
  compareRecords,
  DEFAULT_THRESHOLD,
  formatNs,
  formatRatio,
  type MarkdownOptions,
  markdown,
  mergeRounds,
  noiseBand,
  type Quantiles,
  type Row,
  ratio,
  type Summary,
  summarize,
  summaryLine,
  type Verdict,
  verdict,
} from './compare.ts'
export {
  BENCH_OUT_ENV,
  type Benchmark,
  type BenchRecord,
  benchmarkFromStats,
  bytesPerCall,
  cpuNsPerCall,
  type MitataStats,
  runAndRecord,
  sinkValue,
  writeRecord,
} from './kit.ts'
export {
  type BenchCollection,
  COLLECTION_FORMAT,
  collect,
  isBenchCollection,
  isBenchRecord,
  loadRecords,
  readRecordsFile,
  recordsOf,
  scanRecords,
} from './records.ts'
export {
  type BaseRunOptions,
  type BaseRunResult,
  compareWithBase,
  runNotes,
  workspacePackages,
} from './worktree.ts'
