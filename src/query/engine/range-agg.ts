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
 * zstd is ~300–700 ms on one core; the aggregation adds ~80 ms). Count-like operations without a
 * pipeline or unwrap (count_over_time, rate, bytes_over_time, bytes_rate, absent_over_time) need
 * no line: they take the stats path (`statsPathApplies`), reading each block's timestamps and
 * line sizes only (the store's optional readBlockStats; the workers read the stats prefix of a
 * split region themselves, ../../store/block-codec.ts, whose stats frame also holds the structured
 * metadata that joins the series labels). In-memory heads take the same path: they hold their
 * timestamps and line sizes as columns (src/store/head-columns.ts), so a count over fresh data
 * makes no string and posts no line to a worker.
 * See bench/range-agg.bench.ts.
 */
import { LogwharfError } from '../../api/errors.js';
import { labelsToString, sortLabels, type Labels } from '../../api/model.js';
import { ERROR_LABEL, getLabel } from '../../logql/pipeline/entry.js';
import { compilePipeline } from '../../logql/pipeline/compile.js';
import { extractFilterHints } from '../../logql/pipeline/hints.js';
import { has, type RangeAggregator, type StepSeries, type Steps } from '../../logql/eval/types.js';
import { hasValue } from '../../logql/eval/labels.js';
import type { Matcher, RangeAggregationExpr } from '../../logql/syntax/ast.js';
import type { BlockRef, StoreReader } from '../../store/store.js';
import { damagedBlockError, isDamagedBlock } from '../../store/damaged-block.js';
import { postableColumns, statsColumns } from '../../store/head-columns.js';
import { evaluateWindows, isLineOp, type WindowParams } from './range-functions.js';
import { accumulateEntries, accumulateStats, SeriesSet, type StreamState } from './range-accumulate.js';
import { accumulateHeadStats } from './head-stats.js';
import type { QueryPool } from './query-pool.js';
import type { RangeAggReply } from './range-agg-job.js';
import { createSampleExtractor, parserHints } from './sample-extractor.js';

export interface RangeAggregatorOptions {
  /** Most output series one range aggregation may produce; more fails with `query_limit`. */
  maxSeries?: number;
  signal?: AbortSignal;
  /** Blocks decoded concurrently. Default 8. */
  readConcurrency?: number;
  /**
   * Worker threads that read blocks and run the pipeline (./query-pool.ts); without one, everything
   * runs on the calling thread. Long-lived: create once per process.
   */
  pool?: QueryPool;
  /**
   * Called for each damaged block (issue #8): it is skipped and the aggregation goes on without
   * it; the caller answers with a warning. Without it, a damaged block fails the query.
   */
  onDamaged?: (ref: BlockRef, reason: string) => void;
  /**
   * Parser hints (./sample-extractor.ts `parserHints`; default on). Off, parsers extract every
   * label: the re-run that names a pipeline error's series exactly as without hints.
   */
  parserHints?: boolean;
  /** Head entries one worker job may carry, line bytes (default: the pool's, else HEAD_BYTES_PER_JOB). */
  headBytesPerJob?: number;
}

/** Statistics of the last evaluation, for query stats and benchmarks. */
export interface RangeAggregationStats {
  blocks: number;
  /** Entries inside the windows' span that went through the pipeline. */
  lines: number;
  /** Their lines' lengths in UTF-16 units, as log queries count bytesProcessed. */
  bytes: number;
  /** Of lines and bytes, those read from in-memory head blocks. */
  headLines: number;
  headBytes: number;
  series: number;
  streams: number;
}

export function emptyRangeStats(): RangeAggregationStats {
  return { blocks: 0, lines: 0, bytes: 0, headLines: 0, headBytes: 0, series: 0, streams: 0 };
}

/**
 * The store-backed RangeAggregator of src/logql/eval/types.ts. With `totals`, what every range
 * aggregation of the query read is added there (for the query's stats).
 */
export function createRangeAggregator(store: StoreReader, tenant: string, opts: RangeAggregatorOptions = {}, totals?: RangeAggregationStats): RangeAggregator {
  return async (expr, steps) => {
    const s = emptyRangeStats();
    const out = await evaluateRangeAggregation(store, tenant, expr, steps, opts, s);
    if (totals) for (const k of Object.keys(s) as Array<keyof RangeAggregationStats>) totals[k] += s[k];
    return out;
  };
}

export async function evaluateRangeAggregation(
  store: StoreReader,
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
  const hinted = opts.parserHints !== false ? parserHints(expr) : null;
  const pipeline = compilePipeline(log.pipeline, { labels: hinted });
  const extractor = createSampleExtractor(expr);
  const params: WindowParams = {
    op: expr.op,
    unwrap: expr.range.unwrap !== undefined,
    range,
    step: Number(steps.step),
    count: steps.count,
    ...(expr.param !== undefined ? { param: expr.param } : {}),
  };
  // Count-like operations need no order: each series keeps only its windows' difference arrays
  // (LineWindows), here and in the workers; the others see each series sorted by time once.
  const unordered = !params.unwrap && isLineOp(params.op);
  const series = new SeriesSet(opts.maxSeries, extractor.needsValues, unordered ? params : undefined);

  const streams = store.streams(tenant, log.matchers, base + 1n, last + 1n);
  const byId = new Map<number, StreamState>();
  for (const s of streams) byId.set(s.id, { labels: s.labels, pipeline: pipeline.forStream(s.labels), lastLabels: undefined, lastSeries: undefined });
  const hints = extractFilterHints(log.pipeline);
  const refs = byId.size === 0 ? [] : store.blocks(tenant, [...byId.keys()], base + 1n, last + 1n, { required: hints.required });
  // Time order keeps most series' samples already sorted, so the sort below is mostly a check.
  refs.sort((a, b) => (a.minTs < b.minTs ? -1 : a.minTs > b.minTs ? 1 : a.streamId - b.streamId));

  const useStats = statsPathApplies(expr);
  const concurrency = Math.max(1, opts.readConcurrency ?? 8);
  const counts = { lines: 0, bytes: 0, headLines: 0, headBytes: 0 };
  const pool = opts.pool;
  let local = refs;
  if (pool && pool.size > 0) {
    // Every block goes to the workers (heads with their entries), in contiguous runs of time,
    // appended back in that order, so series stay in time order; nothing runs on this thread, so
    // no pipeline can hold the event loop and the timeout can stop the workers.
    await runOnPool(store, pool, refs, byId, expr, base, last, opts, series, counts, useStats, hinted !== null, unordered ? params : undefined);
    local = [];
  }
  const readStats = useStats && store.readBlockStats ? store.readBlockStats.bind(store) : undefined;
  for (let i = 0; i < local.length; i += concurrency) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('query aborted');
    let batch = local.slice(i, i + concurrency);
    if (readStats) {
      // Heads answer from their columns at hand (./head-stats.ts); blocks from their stats frames.
      const files: BlockRef[] = [];
      for (const r of batch) {
        const st = byId.get(r.streamId);
        if (r.location.kind !== 'head' || !st) {
          files.push(r);
          continue;
        }
        const l0 = counts.lines;
        const b0 = counts.bytes;
        accumulateHeadStats(r.location.columns, st, extractor, series, base, last, counts);
        counts.headLines += counts.lines - l0;
        counts.headBytes += counts.bytes - b0;
      }
      const got = await Promise.all(files.map((r) => readStats(r).catch((e: unknown) => skipDamaged(e, r, opts))));
      const rest: BlockRef[] = [];
      for (let k = 0; k < files.length; k++) {
        const st = byId.get(files[k]!.streamId);
        if (!st || got[k] === undefined) continue;
        // Metadata joins the series labels: without it at hand, the block is read whole.
        if (got[k]!.hasMetadata && !got[k]!.metadata) rest.push(files[k]!);
        else accumulateStats(got[k]!, st, extractor, series, base, last, counts);
      }
      batch = rest;
    }
    const decoded = await Promise.all(batch.map((r) => store.readBlock(r).catch((e: unknown) => skipDamaged(e, r, opts))));
    for (let k = 0; k < batch.length; k++) {
      const st = byId.get(batch[k]!.streamId);
      if (!st) continue;
      const l0 = counts.lines;
      const b0 = counts.bytes;
      const entries = decoded[k];
      if (!entries) continue;
      accumulateEntries(entries, st, extractor, series, base, last, counts);
      if (batch[k]!.location.kind === 'head') {
        counts.headLines += counts.lines - l0;
        counts.headBytes += counts.bytes - b0;
      }
    }
  }
  if (stats) {
    stats.blocks = refs.length;
    stats.lines = counts.lines;
    stats.bytes = counts.bytes;
    stats.headLines = counts.headLines;
    stats.headBytes = counts.headBytes;
    stats.series = series.size;
    stats.streams = byId.size;
  }

  const out: StepSeries[] = [];
  for (const acc of series.all()) {
    // Count-like operations never compute NaN from samples; the others mark their NaN samples.
    let nan: Uint8Array | undefined;
    const markNaN = (i: number): void => void ((nan ??= new Uint8Array(params.count))[i] = 1);
    const values = unordered ? acc.evaluateUnordered(params) : evaluateWindows(acc.sorted(), params, markNaN);
    const s: StepSeries = nan === undefined ? { labels: acc.labels, values } : { labels: acc.labels, values, nan };
    if (!hasValue(s)) continue;
    if (getLabel(acc.labels, ERROR_LABEL) !== undefined) {
      // Under parser hints the error's series lacks the labels nothing else reads: evaluate again
      // without them, so the error names the series as it always did (errors are the rare path).
      if (hinted !== null) return evaluateRangeAggregation(store, tenant, expr, steps, { ...opts, parserHints: false }, stats);
      throw pipelineError(acc.labels);
    }
    s.labels = sortLabels(acc.labels);
    out.push(s);
  }
  if (expr.op !== 'absent_over_time') return out;

  // absent_over_time: 1 at the steps where no series has a sample, with the selector's labels.
  const values = new Float64Array(steps.count).fill(1);
  let any = false;
  for (const s of out) for (let i = 0; i < values.length; i++) if (has(s, i)) values[i] = NaN;
  for (let i = 0; i < values.length && !any; i++) if (values[i] === 1) any = true;
  return any ? [{ labels: absentLabels(log.matchers), values }] : [];
}

/**
 * True when a range aggregation needs only entries' times and line sizes: no pipeline stage, no
 * unwrap, and an operation counting lines or bytes (the stats path, see the header).
 */
export function statsPathApplies(expr: RangeAggregationExpr): boolean {
  if (expr.range.unwrap !== undefined || expr.range.log.pipeline.length > 0) return false;
  switch (expr.op) {
    case 'count_over_time':
    case 'rate':
    case 'bytes_over_time':
    case 'bytes_rate':
    case 'absent_over_time':
      return true;
    default:
      return false;
  }
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

/** A damaged block is skipped when the caller collects them (opts.onDamaged); any other error fails the query. */
function skipDamaged(e: unknown, ref: BlockRef, opts: RangeAggregatorOptions): undefined {
  if (!isDamagedBlock(e) || !opts.onDamaged) throw e;
  opts.onDamaged(ref, e.message);
  return undefined;
}

/**
 * Head bytes one range job may carry when the pool does not say (it says an eighth of
 * query.worker_heap_mb: 8 MiB of the default 64). Off the stats path heads travel with their line
 * bytes (src/store/head-columns.ts), copied into the worker's heap, so a query over hours of busy
 * in-memory heads goes as several jobs instead of one per worker that could outgrow it (issue #12).
 */
export const HEAD_BYTES_PER_JOB = 8 * 1024 * 1024;

/**
 * Splits the blocks into contiguous (time-ordered) parts, one per worker by entries, and more where a
 * part would carry more than `headBytesPerJob` of head entries; at most one job per worker runs at
 * once, and the replies are merged in part order.
 */
export function splitRangeParts(files: BlockRef[], workers: number, headBytesPerJob = HEAD_BYTES_PER_JOB): BlockRef[][] {
  let total = 0;
  for (const r of files) total += r.entries;
  const parts: BlockRef[][] = [];
  let cur: BlockRef[] = [];
  let acc = 0;
  let head = 0;
  let share = 1;
  for (const r of files) {
    const inHead = r.location.kind === 'head' ? r.rawBytes : 0;
    if (cur.length > 0 && head + inHead > headBytesPerJob) {
      parts.push(cur);
      cur = [];
      head = 0;
    }
    cur.push(r);
    acc += r.entries;
    head += inHead;
    if (acc >= (total * share) / workers && share < workers) {
      share++;
      parts.push(cur);
      cur = [];
      head = 0;
    }
  }
  if (cur.length) parts.push(cur);
  return parts;
}

async function runOnPool(
  store: StoreReader,
  pool: QueryPool,
  files: BlockRef[],
  byId: Map<number, StreamState>,
  expr: RangeAggregationExpr,
  base: bigint,
  last: bigint,
  opts: RangeAggregatorOptions,
  series: SeriesSet,
  counts: { lines: number; bytes: number; headLines: number; headBytes: number },
  stats: boolean,
  hinted: boolean,
  lines: WindowParams | undefined,
): Promise<void> {
  // On the stats path heads travel without their lines (postableRef), so they count for nothing.
  const parts = splitRangeParts(files, pool.size, stats ? Infinity : (opts.headBytesPerJob ?? pool.headBytesPerJob));
  if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('query aborted');
  const run = (refs: BlockRef[]) => {
    const streams: Record<number, Labels> = {};
    for (const r of refs) streams[r.streamId] = byId.get(r.streamId)!.labels;
    const job = {
      kind: 'range' as const,
      refs: refs.map((r) => postableRef(r, stats)),
      streams,
      expr,
      base,
      last,
      stats,
      parserHints: hinted,
      ...(lines !== undefined ? { lines } : {}),
      ...(opts.maxSeries !== undefined ? { maxSeries: opts.maxSeries } : {}),
    };
    return pool.run(job, { signal: opts.signal }) as Promise<RangeAggReply>;
  };
  const replies: RangeAggReply[] = new Array(parts.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < parts.length && !failed) {
      const k = next++;
      try {
        replies[k] = await run(parts[k]!);
      } catch (e) {
        // The query fails with this error; the other lane starts no more jobs for it.
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(pool.size, parts.length) }, lane));
  if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('query aborted');
  for (const r of replies) {
    for (const d of r.damaged ?? []) {
      // Found by a worker thread, which cannot reach the store: it quarantines the block.
      store.reportDamagedBlock?.(d.ref, d.reason);
      if (opts.onDamaged) opts.onDamaged(d.ref, d.reason);
      else throw damagedBlockError(d.ref, d.reason);
    }
    counts.lines += r.lines;
    counts.bytes += r.bytes;
    counts.headLines += r.headLines;
    counts.headBytes += r.headBytes;
    for (const w of r.series) series.merge(w);
  }
}

/**
 * A block reference as posted to a worker: a head's columns without line bytes on the stats path
 * (a count reads times and sizes only), else with them trimmed (src/store/head-columns.ts).
 */
function postableRef(r: BlockRef, stats: boolean): BlockRef {
  if (r.location.kind !== 'head') return r;
  const c = r.location.columns;
  return { ...r, location: { kind: 'head', columns: stats ? statsColumns(c) : postableColumns(c) } };
}

/** Loki's message for a metric series that still carries a pipeline error. */
function pipelineError(labels: Labels): LogwharfError {
  const err = labels[ERROR_LABEL]!;
  return new LogwharfError(
    'bad_request',
    `pipeline error: '${err}' for series: '${labelsToString(labels)}'.\n` +
      `Use a label filter to intentionally skip this error. (e.g | __error__!="${err}").\n` +
      'To skip all potential errors you can match empty errors.(e.g __error__="")\n' +
      'The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__="" )\n',
    { error: err },
  );
}
