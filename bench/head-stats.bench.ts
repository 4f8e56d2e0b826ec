/**
 * What a count over fresh data costs per head (issue #12), in one process, without a server: the
 * corpus' newest lines put into heads (one per container, detected_level metadata shared per level
 * as ingest does), then `count_over_time` with 5-minute windows over 24 h, the two ways a head can
 * be read:
 *   - entries (the way before this bench's commit): a string and an Entry per line, copied to the
 *     worker by structured clone (v8.serialize/deserialize here), run through the empty pipeline;
 *   - columns (src/store/head-columns.ts, src/query/engine/head-stats.ts): times, sizes and
 *     metadata ids copied as typed arrays, counted without a line.
 * Medians of RUNS, with the calibration figure before and after.
 *
 *   LINES=300000 HEAD_LINES=40000 RUNS=15 node --import tsx bench/head-stats.bench.ts
 */
import { deserialize, serialize } from 'node:v8';
import type { Labels } from '../src/api/model.js';
import { detectLevel, DETECTED_LEVEL } from '../src/api/detect-level.js';
import { Head } from '../src/store/head.js';
import { columnsEntries, statsColumns, type HeadColumns } from '../src/store/head-columns.js';
import type { Entry } from '../src/api/model.js';
import { compilePipeline } from '../src/logql/pipeline/compile.js';
import { parseExpr } from '../src/logql/syntax/index.js';
import type { RangeAggregationExpr } from '../src/logql/syntax/ast.js';
import { accumulateEntries, SeriesSet, type StreamState } from '../src/query/engine/range-accumulate.js';
import { accumulateHeadStats } from '../src/query/engine/head-stats.js';
import { createSampleExtractor } from '../src/query/engine/sample-extractor.js';
import type { WindowParams } from '../src/query/engine/range-functions.js';
import { calibrate, corpusRows, ensureCorpus, median } from './harness.js';

const LINES = Number(process.env.LINES ?? 300_000);
const HEAD_LINES = Number(process.env.HEAD_LINES ?? 40_000);
const RUNS = Number(process.env.RUNS ?? 15);

console.log(calibrate().text);
const meta = ensureCorpus(LINES);
// The newest HEAD_LINES lines, as the fresh phase of bench/ingest-formats.bench.ts holds in heads.
const rows: Array<{ ms: number; container: string; line: string }> = [];
for await (const r of corpusRows(LINES)) {
  rows.push(r);
  if (rows.length > HEAD_LINES) rows.shift();
}
const levels = new Map<string, Labels>();
const heads = new Map<string, Head>();
for (const r of rows) {
  let h = heads.get(r.container);
  if (!h) heads.set(r.container, (h = new Head()));
  const level = detectLevel(undefined, undefined, r.line);
  let m = levels.get(level);
  if (!m) levels.set(level, (m = Object.freeze({ [DETECTED_LEVEL]: level }) as Labels));
  h.add({ ts: BigInt(r.ms) * 1_000_000n, line: r.line, metadata: m }, 1, 0);
}

const expr = parseExpr('count_over_time({job="docker"}[5m])') as RangeAggregationExpr;
expr.grouping = { without: false, labels: ['container'] };
const step = 300e9;
const count = Math.ceil((meta.tsLast - meta.tsFirst) / 300_000) + 1;
const base = BigInt(meta.tsFirst) * 1_000_000n - 300_000_000_000n;
const last = base + 300_000_000_000n + BigInt(count - 1) * 300_000_000_000n;
const params: WindowParams = { op: 'count_over_time', unwrap: false, range: 300e9, step, count };

function states(): { series: SeriesSet; st: Map<string, StreamState>; extractor: ReturnType<typeof createSampleExtractor> } {
  const extractor = createSampleExtractor(expr);
  const pipeline = compilePipeline([]);
  const st = new Map<string, StreamState>();
  for (const c of heads.keys()) {
    const labels = { job: 'docker', container: c };
    st.set(c, { labels, pipeline: pipeline.forStream(labels), lastLabels: undefined, lastSeries: undefined });
  }
  return { series: new SeriesSet(undefined, false, params), st, extractor };
}

function total(series: SeriesSet): number {
  let n = 0;
  for (const s of series.all()) for (const v of s.evaluateUnordered(params)) if (v === v) n += v;
  return n;
}

const t = (f: () => number): { ms: number; check: number } => {
  const t0 = performance.now();
  const check = f();
  return { ms: performance.now() - t0, check };
};

const timings: Record<string, number[]> = { 'entries: decode lines (once, cached before)': [], 'entries: copy to worker + count': [], 'columns: build (once per head change)': [], 'columns: copy to worker + count': [] };
let checks = new Set<number>();
for (let run = 0; run < RUNS; run++) {
  let decoded: Map<string, Entry[]> = new Map();
  timings['entries: decode lines (once, cached before)']!.push(
    t(() => {
      decoded = new Map([...heads].map(([c, h]) => [c, columnsEntries(h.columns())]));
      return 0;
    }).ms,
  );
  const a = t(() => {
    const { series, st, extractor } = states();
    const counts = { lines: 0, bytes: 0 };
    for (const [c, entries] of decoded) accumulateEntries(deserialize(serialize(entries)) as Entry[], st.get(c)!, extractor, series, base, last, counts);
    return total(series);
  });
  timings['entries: copy to worker + count']!.push(a.ms);
  // A fresh snapshot each run: a head that took entries since the last query builds it again.
  const fresh = new Map<string, HeadColumns>();
  timings['columns: build (once per head change)']!.push(
    t(() => {
      for (const [c, h] of heads) {
        (h as unknown as { snapshot: unknown }).snapshot = undefined;
        fresh.set(c, h.columns());
      }
      return 0;
    }).ms,
  );
  const b = t(() => {
    const { series, st, extractor } = states();
    const counts = { lines: 0, bytes: 0 };
    for (const [c, cols] of fresh) accumulateHeadStats(deserialize(serialize(statsColumns(cols))) as HeadColumns, st.get(c)!, extractor, series, base, last, counts);
    return total(series);
  });
  timings['columns: copy to worker + count']!.push(b.ms);
  checks.add(a.check).add(b.check);
}
if (checks.size !== 1) throw new Error(`the two ways disagree: ${[...checks].join(' vs ')}`);
console.log(`${heads.size} heads, ${rows.length} lines, ${count} steps; both count ${[...checks][0]} line-windows`);
for (const [k, v] of Object.entries(timings)) console.log(`${k.padEnd(46)} median ${median(v).toFixed(2)} ms  (runs: ${v.map((x) => x.toFixed(1)).join(' ')})`);
console.log(calibrate().text);
