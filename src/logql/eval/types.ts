/**
 * Metric evaluation's data model (issue #3). Evaluation is step-wise, as in Prometheus: a query is
 * evaluated at the timestamps `start, start+step, ..., ≤ end` (one timestamp for instant queries).
 * Every series carries one value per step, so series of one query line up by index and binary
 * operators work step by step. NaN in `values` marks "no sample at this step" (absent) unless the
 * series' `nan` mask marks that step: then the sample is there and its value is NaN (`0/0`), which
 * Loki and Prometheus return ("NaN" on the wire) rather than drop. Read presence with `has` and
 * write samples with `setSample`, never `Number.isNaN` on `values`.
 */
import type { Labels } from '../../api/model.js';
import type { RangeAggregationExpr } from '../syntax/ast.js';

/** The evaluation timestamps, in nanoseconds. */
export interface Steps {
  /** First timestamp (ns). */
  start: bigint;
  /** Last timestamp (ns), inclusive; equal to start for instant queries. */
  end: bigint;
  /** Step (ns), > 0. */
  step: bigint;
  /** Number of steps: (end - start) / step + 1. */
  count: number;
}

/** One series: labels plus one value per step (NaN = absent at that step unless `nan` marks it). */
export interface StepSeries {
  labels: Labels;
  values: Float64Array;
  /**
   * 1 at the steps whose sample is present with the value NaN. Absent (undefined) on the many
   * series that never hold one, so range aggregations and the common path allocate nothing.
   */
  nan?: Uint8Array;
}

/** Whether series `s` has a sample at step `i` (a NaN-valued sample counts). */
export function has(s: StepSeries, i: number): boolean {
  const v = s.values[i]!;
  // v === v is false only for NaN.
  return v === v || (s.nan !== undefined && s.nan[i] === 1);
}

/** Writes a present sample `v` (NaN included) at step `i`. */
export function setSample(s: StepSeries, i: number, v: number): void {
  s.values[i] = v;
  if (v !== v) (s.nan ??= new Uint8Array(s.values.length))[i] = 1;
  else if (s.nan !== undefined) s.nan[i] = 0;
}

/** A new series of `count` steps with every step present at value `v` (NaN included). */
export function constantSeries(labels: Labels, count: number, v: number): StepSeries {
  const s: StepSeries = { labels, values: new Float64Array(count).fill(v) };
  if (v !== v) s.nan = new Uint8Array(count).fill(1);
  return s;
}

/** A metric expression's result: a set of series, or a scalar (one value per step). */
export type MetricValue = { kind: 'vector'; series: StepSeries[] } | { kind: 'scalar'; values: Float64Array };

/**
 * Evaluates a range aggregation (`count_over_time({..} | ... [5m])`, with unwrap, offset and
 * grouping) over the store for every step. Provided by src/query/engine/range-agg.ts; metric
 * evaluation calls it for each range aggregation leaf of the expression tree.
 */
export type RangeAggregator = (expr: RangeAggregationExpr, steps: Steps) => Promise<StepSeries[]>;

export function makeSteps(start: bigint, end: bigint, step: bigint): Steps {
  if (step <= 0n) throw new RangeError('step must be positive');
  const count = end < start ? 0 : Number((end - start) / step) + 1;
  return { start, end, step, count };
}

/**
 * The steps of a range query as Loki evaluates them: start rounded down and end rounded up to a
 * multiple of the step, so every client sees the same evaluation timestamps whatever its start
 * (e.g. 00:07:13–00:20:05 with a 7m step evaluates at 00:07, 00:14, 00:21). Measured against Loki
 * 2.8 in test/conformance/loki-2.8.test.ts (its "unaligned" run).
 */
export function makeAlignedSteps(start: bigint, end: bigint, step: bigint): Steps {
  if (step <= 0n) throw new RangeError('step must be positive');
  const over = mod(end, step);
  return makeSteps(start - mod(start, step), over === 0n ? end : end - over + step, step);
}

/** Floor modulo: the result has the sign of `d` (timestamps before 1970 round down too). */
function mod(n: bigint, d: bigint): bigint {
  return ((n % d) + d) % d;
}

/** The timestamp (ns) of step i. */
export function stepTime(steps: Steps, i: number): bigint {
  return steps.start + BigInt(i) * steps.step;
}
