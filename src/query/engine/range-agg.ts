/**
 * Range aggregations over the store (issue #3): `count_over_time({..} | pipeline [5m] offset 1h)`
 * and the rest of LogQL's range functions, evaluated at every step of a query.
 *
 * Step t's window is `(t - offset - range, t - offset]`, left-open and right-closed as in Loki and
 * Prometheus. The blocks overlapping all windows together are read once: every entry runs through
 * the pipeline once and becomes a sample (time, value) of its output series; each series' samples
 * are then sorted once and the window slides across the steps with two pointers
 * (./range-functions.ts).
 *
 * Pipeline errors follow Loki: a series that still carries `__error__` and has a value at some
 * step fails the query ("pipeline error: ..."), unless the query filters the error out
 * (`| __error__=""`, `| drop __error__`).
 *
 * Cost: decoding the blocks dominates (2M corpus lines, 24 h: ~650–730 ms of readBlock, of which
 * zstd is ~300–700 ms on one core; the aggregation adds ~80 ms), so `count_over_time` without
 * filters cannot meet issue #3's 300 ms by reading blocks. That needs per-block precomputation in
 * the store: a timestamp (and line-size) column stored outside the zstd frame, which serves count,
 * rate and bytes exactly without decompressing lines. See bench/range-agg.bench.ts.
 */
import { LogharborError } from '../../api/errors.js';
import { labelsToString, sortLabels, type Labels } from '../../api/model.js';
import { ERROR_LABEL, getLabel } from '../../logql/pipeline/entry.js';
import { compilePipeline } from '../../logql/pipeline/compile.js';
import { extractFilterHints } from '../../logql/pipeline/hints.js';
import type { StreamPipeline } from '../../logql/pipeline/types.js';
import type { RangeAggregator, StepSeries, Steps } from '../../logql/eval/types.js';
import type { Matcher, RangeAggregationExpr } from '../../logql/syntax/ast.js';
import type { BlockRef, Store, StreamInfo } from '../../store/store.js';
import { evaluateLineWindows, evaluateWindows, isLineOp, type SortedSamples, type WindowParams } from './range-functions.js';
import { createSampleExtractor } from './sample-extractor.js';

export interface RangeAggregatorOptions {
  /** Most output series one range aggregation may produce; more fails with `query_limit`. */
  maxSeries?: number;
  signal?: AbortSignal;
  /** Blocks decoded concurrently. Default 8. */
  readConcurrency?: number;
}

/** Statistics of the last evaluation, for query stats and benchmarks. */
export interface RangeAggregationStats {
  blocks: number;
  /** Entries inside the windows' span that went through the pipeline. */
  lines: number;
  /** Their lines' lengths in UTF-16 units, as log queries count bytesProcessed. */
  bytes: number;
  series: number;
}

/** The store-backed RangeAggregator of src/logql/eval/types.ts. */
export function createRangeAggregator(store: Store, tenant: string, opts: RangeAggregatorOptions = {}): RangeAggregator {
  return (expr, steps) => evaluateRangeAggregation(store, tenant, expr, steps, opts);
}

export async function evaluateRangeAggregation(
  store: Store,
  tenant: string,
  expr: RangeAggregationExpr,
  steps: Steps,
  opts: RangeAggregatorOptions = {},
  stats?: RangeAggregationStats,
): Promise<StepSeries[]> {
  if (steps.count <= 0) return [];
  const { log, range, offset } = expr.range;
  const rangeNs = BigInt(Math.round(range));
  const offsetNs = BigInt(Math.round(offset));
  // All windows together: (base, last], with base = start - offset - range.
  const base = steps.start - offsetNs - rangeNs;
  const last = steps.end - offsetNs;

  // Compile before touching the store, so query errors come first.
  const pipeline = compilePipeline(log.pipeline);
  const extractor = createSampleExtractor(expr);
  const series = new SeriesSet(opts.maxSeries, extractor.needsValues);

  const streams = store.streams(tenant, log.matchers, base + 1n, last + 1n);
  const byId = new Map<number, StreamState>();
  for (const s of streams) byId.set(s.id, { info: s, pipeline: pipeline.forStream(s.labels), lastLabels: undefined, lastSeries: undefined });
  const hints = extractFilterHints(log.pipeline);
  const refs = byId.size === 0 ? [] : store.blocks(tenant, [...byId.keys()], base + 1n, last + 1n, { required: hints.required });
  // Time order keeps most series' samples already sorted, so the sort below is mostly a check.
  refs.sort((a, b) => (a.minTs < b.minTs ? -1 : a.minTs > b.minTs ? 1 : a.streamId - b.streamId));

  const concurrency = Math.max(1, opts.readConcurrency ?? 8);
  let lines = 0;
  let bytes = 0;
  for (let i = 0; i < refs.length; i += concurrency) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('query aborted');
    const batch = refs.slice(i, i + concurrency);
    const decoded = await Promise.all(batch.map((r) => store.readBlock(r)));
    for (let k = 0; k < batch.length; k++) {
      const ref: BlockRef = batch[k]!;
      const st = byId.get(ref.streamId);
      if (!st) continue;
      const entries = decoded[k]!;
      for (let j = 0; j < entries.length; j++) {
        const e = entries[j]!;
        const ts = e.ts;
        if (ts <= base || ts > last) continue;
        lines++;
        bytes += e.line.length;
        const r = st.pipeline.process(ts, e.line, e.metadata);
        if (r === null) continue;
        const sample = extractor.extract(ts, r);
        if (sample === null) continue;
        let acc: SeriesSamples;
        if (sample.labels === st.lastLabels) acc = st.lastSeries!;
        else {
          acc = series.get(sample.labels);
          st.lastLabels = sample.labels;
          st.lastSeries = acc;
        }
        acc.push(Number(ts - base), sample.value);
      }
    }
  }
  if (stats) {
    stats.blocks = refs.length;
    stats.lines = lines;
    stats.bytes = bytes;
    stats.series = series.size;
  }

  const params: WindowParams = {
    op: expr.op,
    unwrap: expr.range.unwrap !== undefined,
    range,
    step: Number(steps.step),
    count: steps.count,
    ...(expr.param !== undefined ? { param: expr.param } : {}),
  };
  // Count-like operations need no order; the others see each series sorted by time once.
  const unordered = !params.unwrap && isLineOp(params.op);
  const out: StepSeries[] = [];
  for (const acc of series.all()) {
    const values = unordered ? acc.evaluateUnordered(params) : evaluateWindows(acc.sorted(), params);
    let any = false;
    for (let i = 0; i < values.length && !any; i++) if (!Number.isNaN(values[i]!)) any = true;
    if (!any) continue;
    if (getLabel(acc.labels, ERROR_LABEL) !== undefined) throw pipelineError(acc.labels);
    out.push({ labels: sortLabels(acc.labels), values });
  }
  if (expr.op !== 'absent_over_time') return out;

  // absent_over_time: 1 at the steps where no series has a sample, with the selector's labels.
  const values = new Float64Array(steps.count).fill(1);
  let any = false;
  for (const s of out) for (let i = 0; i < values.length; i++) if (!Number.isNaN(s.values[i]!)) values[i] = NaN;
  for (let i = 0; i < values.length && !any; i++) if (values[i] === 1) any = true;
  return any ? [{ labels: absentLabels(log.matchers), values }] : [];
}

interface StreamState {
  info: StreamInfo;
  pipeline: StreamPipeline;
  /** The label object of this stream's last sample and its series: most entries repeat them. */
  lastLabels: Labels | undefined;
  lastSeries: SeriesSamples | undefined;
}

/** One output series' samples in arrival order. */
class SeriesSamples {
  private t: number[] = [];
  private v: number[] = [];
  private inOrder = true;
  constructor(
    readonly labels: Labels,
    private readonly keepValues: boolean,
  ) {}

  push(t: number, v: number): void {
    const n = this.t.length;
    if (n > 0 && t < this.t[n - 1]!) this.inOrder = false;
    this.t.push(t);
    if (this.keepValues) this.v.push(v);
  }

  /** Count-like operations straight from the samples in arrival order (see evaluateLineWindows). */
  evaluateUnordered(p: WindowParams): Float64Array {
    const r = evaluateLineWindows(this.t, this.v, this.t.length, p);
    this.t = [];
    this.v = [];
    return r;
  }

  /** The samples sorted by time; equal times keep arrival order (block order, then append order). */
  sorted(): SortedSamples {
    const n = this.t.length;
    const t = new Float64Array(n);
    const v = new Float64Array(this.keepValues ? n : 0);
    if (this.inOrder) {
      t.set(this.t);
      if (this.keepValues) v.set(this.v);
    } else {
      const idx = Array.from({ length: n }, (_, i) => i);
      const ts = this.t;
      idx.sort((a, b) => ts[a]! - ts[b]! || a - b);
      for (let i = 0; i < n; i++) {
        t[i] = ts[idx[i]!]!;
        if (this.keepValues) v[i] = this.v[idx[i]!]!;
      }
    }
    this.t = [];
    this.v = [];
    return { t, v };
  }
}

class SeriesSet {
  private readonly map = new Map<string, SeriesSamples>();
  constructor(
    private readonly maxSeries: number | undefined,
    private readonly keepValues: boolean,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(labels: Labels): SeriesSamples {
    const key = seriesKey(labels);
    let s = this.map.get(key);
    if (s === undefined) {
      if (this.maxSeries !== undefined && this.maxSeries > 0 && this.map.size >= this.maxSeries) {
        // Loki's wording for its max_query_series limit.
        throw new LogharborError('query_limit', `maximum of series (${this.maxSeries}) reached for a single query`);
      }
      s = new SeriesSamples(labels, this.keepValues);
      this.map.set(key, s);
    }
    return s;
  }

  all(): IterableIterator<SeriesSamples> {
    return this.map.values();
  }
}

function seriesKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  let s = '';
  for (const k of keys) s += k + '\u0000' + labels[k] + '\u0001';
  return s;
}

/**
 * absent_over_time's labels, as Loki derives them: the selector's equality matchers, a name that
 * appears again (or with another operator) removed.
 */
export function absentLabels(matchers: Matcher[]): Labels {
  const out: Labels = {};
  const seen = new Set<string>();
  for (const m of matchers) {
    if (m.op === '=' && !seen.has(m.name)) {
      out[m.name] = m.value;
      seen.add(m.name);
    } else {
      delete out[m.name];
    }
  }
  return sortLabels(out);
}

/** Loki's message for a metric series that still carries a pipeline error. */
function pipelineError(labels: Labels): LogharborError {
  const err = labels[ERROR_LABEL]!;
  return new LogharborError(
    'bad_request',
    `pipeline error: '${err}' for series: '${labelsToString(labels)}'.\n` +
      `Use a label filter to intentionally skip this error. (e.g | __error__!="${err}").\n` +
      'To skip all potential errors you can match empty errors.(e.g __error__="")\n' +
      'The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__="" )\n',
    { error: err },
  );
}
