/**
 * Metric queries (issue #3): step-wise evaluation of the expression tree (src/logql/eval) with range
 * aggregations read from the store (./engine/range-agg.ts), shaped as Loki's vector, matrix or
 * scalar result.
 */
import type { MetricExpr, RangeAggregationExpr } from '../logql/syntax/ast.js';
import { evaluateMetric, toLokiResult } from '../logql/eval/evaluate.js';
import { makeAlignedSteps, makeSteps, type Steps } from '../logql/eval/types.js';
import type { QueryData } from '../api/envelope.js';
import { lokiStats, type LokiStats } from '../api/stats.js';
import type { BlockRef, StoreReader } from '../store/store.js';
import { damagedBlocksWarning } from '../store/damaged-block.js';
import { createRangeAggregator, emptyRangeStats } from './engine/range-agg.js';
import type { QueryPool } from './engine/query-pool.js';

export interface MetricQueryRequest {
  tenant: string;
  expr: MetricExpr;
  /** First and last evaluation time (ns); equal for an instant query. */
  start: bigint;
  end: bigint;
  step: bigint;
  instant: boolean;
  /** Loki's max_query_series: a limit on the final result's series. */
  maxSeries: number;
  pool?: QueryPool;
  signal?: AbortSignal;
}

/**
 * Range aggregations may hold many more series than the final result (`sum by (a)` over thousands
 * of streams); this bounds their memory while the real limit applies to the result, as in Loki.
 */
const RANGE_SERIES_PER_RESULT_SERIES = 100;

/** Ops whose per-group sum equals the sum of per-stream values, so `sum by (g)` can group early. */
const SUMMABLE: ReadonlySet<string> = new Set(['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'sum_over_time']);

/**
 * `sum by (g) (count_over_time(...))` → group inside the range aggregation, as Loki does: the
 * aggregator then keeps one series per group instead of one per stream (or, with a parser, one per
 * distinct label set, often one per line), and parsers extract only `g` (parser hints). `sum(...)`
 * without a grouping is `sum by ()`.
 */
export function pushDownSumGrouping(expr: MetricExpr): MetricExpr {
  if (expr.kind === 'vector_agg' && expr.op === 'sum' && expr.inner.kind === 'range_agg') {
    const inner: RangeAggregationExpr = expr.inner;
    if (SUMMABLE.has(inner.op) && !inner.grouping) return { ...expr, inner: { ...inner, grouping: expr.grouping ?? { without: false, labels: [] } } };
  }
  switch (expr.kind) {
    case 'vector_agg':
      return { ...expr, inner: pushDownSumGrouping(expr.inner) };
    case 'binary':
      return { ...expr, left: pushDownSumGrouping(expr.left), right: pushDownSumGrouping(expr.right) };
    case 'label_replace':
    case 'paren':
      return { ...expr, inner: pushDownSumGrouping(expr.inner) };
    default:
      return expr;
  }
}

/** A metric query's result as Loki shapes it (vector, matrix or scalar), with what it read. */
export interface MetricQueryResult {
  data: MetricQueryData;
  stats: LokiStats;
  /** Loki's top-level `warnings`: damaged blocks that were skipped (issue #8). */
  warnings: string[];
}

export type MetricQueryData = Exclude<QueryData, { resultType: 'streams' }>;

export async function runMetricQuery(store: StoreReader, q: MetricQueryRequest): Promise<MetricQueryResult> {
  const started = performance.now();
  // Range queries are evaluated at multiples of the step, as Loki does (test/conformance).
  const steps: Steps = q.instant ? makeSteps(q.start, q.end, q.step) : makeAlignedSteps(q.start, q.end, q.step);
  const damaged: BlockRef[] = [];
  const read = emptyRangeStats();
  const rangeAgg = createRangeAggregator(
    store,
    q.tenant,
    { maxSeries: q.maxSeries * RANGE_SERIES_PER_RESULT_SERIES, signal: q.signal, pool: q.pool, onDamaged: (ref) => void damaged.push(ref) },
    read,
  );
  const value = await evaluateMetric(pushDownSumGrouping(q.expr), steps, rangeAgg, { maxSeries: q.maxSeries });
  const data = toLokiResult(value, steps, q.instant);
  const stats = lokiStats({
    execTimeSeconds: (performance.now() - started) / 1000,
    bytesProcessed: read.bytes,
    linesProcessed: read.lines,
    headBytesProcessed: read.headBytes,
    headLinesProcessed: read.headLines,
    chunksRef: read.blocks,
    chunksDownloaded: read.blocks,
    totalStreams: read.streams,
  });
  return { data: data as MetricQueryData, stats, warnings: damaged.length > 0 ? [damagedBlocksWarning(damaged)] : [] };
}
