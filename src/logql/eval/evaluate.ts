/**
 * Pure metric evaluation (issue #3): walks a metric expression tree and evaluates it at every step
 * of `steps` (absent steps and NaN-valued samples as src/logql/eval/types.ts says). Range aggregations, the only leaves that
 * read logs, are delegated to the RangeAggregator the caller passes (src/query/engine/range-agg.ts
 * in the server); everything above them (literals, `vector()`, vector aggregations, binary
 * operators, `label_replace`) is computed here, with Prometheus' semantics where LogQL borrows them.
 */
import { LogwharfError } from '../../api/errors.js';
import type { MetricExpr } from '../syntax/ast.js';
import { constantSeries, type MetricValue, type RangeAggregator, type StepSeries, type Steps } from './types.js';
import { aggregate } from './aggregate.js';
import { binary } from './binary.js';
import { labelReplace } from './label-replace.js';
import { compareLabels, hasValue } from './labels.js';

export { toLokiResult } from './result.js';

export interface EvaluateOptions {
  /** Most series the result may hold (0 or absent: no limit), as Loki's `max_query_series`. */
  maxSeries?: number;
}

/**
 * Evaluates `expr` at every step. A vector result holds only series with at least one value,
 * sorted by labels, as Loki orders instant vectors, unless the expression uses `sort` or
 * `sort_desc`: then the order is theirs (Loki's Sortable rule).
 * Throws LogwharfError('query_limit') when the result has more than `maxSeries` series, and
 * LogwharfError('bad_request') on evaluation errors such as many-to-many matching.
 */
export async function evaluateMetric(expr: MetricExpr, steps: Steps, rangeAgg: RangeAggregator, opts: EvaluateOptions = {}): Promise<MetricValue> {
  const value = await evaluate(expr, steps, rangeAgg);
  if (value.kind === 'scalar') return value;
  let series = value.series.filter(hasValue);
  const max = opts.maxSeries ?? 0;
  if (max > 0 && series.length > max) {
    throw new LogwharfError('query_limit', `maximum number of series (${max}) reached for a single query`);
  }
  if (!usesSort(expr)) series = [...series].sort((a, b) => compareLabels(a.labels, b.labels));
  return { kind: 'vector', series };
}

async function evaluate(expr: MetricExpr, steps: Steps, rangeAgg: RangeAggregator): Promise<MetricValue> {
  const count = steps.count;
  switch (expr.kind) {
    case 'literal':
      return { kind: 'scalar', values: new Float64Array(count).fill(expr.value) };
    case 'vector':
      return { kind: 'vector', series: [constantSeries({}, count, expr.value)] };
    case 'paren':
      return evaluate(expr.inner, steps, rangeAgg);
    case 'range_agg':
      return { kind: 'vector', series: await rangeAgg(expr, steps) };
    case 'vector_agg':
      return { kind: 'vector', series: aggregate(expr, await evaluateVector(expr.inner, steps, rangeAgg), count) };
    case 'label_replace':
      return { kind: 'vector', series: labelReplace(expr, await evaluateVector(expr.inner, steps, rangeAgg), count) };
    case 'binary': {
      const [left, right] = await Promise.all([evaluate(expr.left, steps, rangeAgg), evaluate(expr.right, steps, rangeAgg)]);
      return binary(expr, left, right, count);
    }
  }
}

async function evaluateVector(expr: MetricExpr, steps: Steps, rangeAgg: RangeAggregator): Promise<StepSeries[]> {
  const v = await evaluate(expr, steps, rangeAgg);
  // The parser only lets vector expressions reach aggregations and label_replace; a scalar here
  // (say `sum(1)`) is a type error, as in Loki.
  if (v.kind === 'scalar') throw new LogwharfError('bad_request', 'expected a vector expression, got a scalar');
  return v.series;
}

/** Whether the expression contains `sort` or `sort_desc`, whose series order the result keeps. */
function usesSort(expr: MetricExpr): boolean {
  switch (expr.kind) {
    case 'vector_agg':
      return expr.op === 'sort' || expr.op === 'sort_desc' || usesSort(expr.inner);
    case 'binary':
      return usesSort(expr.left) || usesSort(expr.right);
    case 'paren':
    case 'label_replace':
      return usesSort(expr.inner);
    default:
      return false;
  }
}
