/**
 * Vector aggregations (`sum by (a) (...)`, `topk(3, ...)`, `sort_desc(...)`), step by step with
 * Prometheus' semantics (https://prometheus.io/docs/prometheus/latest/querying/operators/#aggregation-operators):
 * at each step a group aggregates the series that have a value there; a group with none is absent.
 */
import type { VectorAggregationExpr } from '../syntax/ast.js';
import { has, setSample, type StepSeries } from './types.js';
import { compareLabels, groupLabels, labelsKey, SeriesCollector } from './labels.js';

/** Aggregates `input` (one value per step; see types.ts for absent and NaN samples) as `expr` says. */
export function aggregate(expr: VectorAggregationExpr, input: StepSeries[], count: number): StepSeries[] {
  switch (expr.op) {
    case 'topk':
    case 'bottomk':
      return selectK(expr, input, count);
    case 'sort':
    case 'sort_desc':
      return sortByLastValue(input, count, expr.op === 'sort_desc');
    default:
      return reduce(expr, input, count);
  }
}

interface Group {
  labels: Record<string, string>;
  members: StepSeries[];
}

function groupSeries(expr: VectorAggregationExpr, input: StepSeries[]): Group[] {
  const groups = new Map<string, Group>();
  for (const s of input) {
    const labels = groupLabels(s.labels, expr.grouping);
    const key = labelsKey(labels);
    let g = groups.get(key);
    if (!g) {
      g = { labels, members: [] };
      groups.set(key, g);
    }
    g.members.push(s);
  }
  return [...groups.values()];
}

// sum, avg, min, max, count, stddev, stdvar: one output series per group.
function reduce(expr: VectorAggregationExpr, input: StepSeries[], count: number): StepSeries[] {
  const out = new SeriesCollector(count);
  const vals: number[] = [];
  for (const g of groupSeries(expr, input)) {
    const series = out.series(g.labels);
    for (let i = 0; i < count; i++) {
      vals.length = 0;
      for (const m of g.members) if (has(m, i)) vals.push(m.values[i]!);
      if (vals.length > 0) setSample(series, i, reduceValues(expr.op, vals));
    }
  }
  return out.list();
}

function reduceValues(op: VectorAggregationExpr['op'], vals: number[]): number {
  switch (op) {
    case 'sum':
      return sum(vals);
    case 'avg':
      return sum(vals) / vals.length;
    // A NaN sample loses to any number (Prometheus' and Loki's rule), so min/max are NaN only
    // when every sample is; sum, avg, stddev and stdvar take NaN in, as IEEE arithmetic does.
    case 'min': {
      let m = vals[0]!;
      for (const v of vals) if (v < m || Number.isNaN(m)) m = v;
      return m;
    }
    case 'max': {
      let m = vals[0]!;
      for (const v of vals) if (v > m || Number.isNaN(m)) m = v;
      return m;
    }
    case 'count':
      return vals.length;
    case 'stdvar':
      return variance(vals);
    case 'stddev':
      return Math.sqrt(variance(vals));
    default:
      throw new Error(`not a reducing aggregation: ${op}`);
  }
}

function sum(vals: number[]): number {
  let s = 0;
  for (const v of vals) s += v;
  return s;
}

// Population variance (divide by n), as Prometheus' stdvar: mean of squared deviations.
function variance(vals: number[]): number {
  const mean = sum(vals) / vals.length;
  let sq = 0;
  for (const v of vals) sq += (v - mean) * (v - mean);
  return sq / vals.length;
}

const SMALL_K = 32;

// topk / bottomk: per step and group, the k series with the largest (smallest) values keep their
// value and labels; the others are absent at that step. Ties go to the series whose labels sort
// first, so results do not depend on input order (Prometheus leaves ties to its heap order).
function selectK(expr: VectorAggregationExpr, input: StepSeries[], count: number): StepSeries[] {
  const k = Math.trunc(expr.param ?? 0);
  if (!(k >= 1)) return [];
  const desc = expr.op === 'topk';
  const outputs = new Map<StepSeries, StepSeries>();
  const present: StepSeries[] = [];
  let best: StepSeries[] = [];
  // `a` beats `b` at step i: strictly larger (topk) or smaller (bottomk). Members are visited in
  // label order and a later member must beat strictly, so ties keep the earlier labels. A NaN
  // sample loses to any number, for topk and bottomk alike (Prometheus' and Loki's heaps).
  const beats = (a: number, b: number): boolean => (desc ? a > b : a < b) || (Number.isNaN(b) && !Number.isNaN(a));
  for (const g of groupSeries(expr, input)) {
    const members = [...g.members].sort((a, b) => compareLabels(a.labels, b.labels));
    for (let i = 0; i < count; i++) {
      present.length = 0;
      for (const m of members) if (has(m, i)) present.push(m);
      if (present.length <= k) {
        best = present;
      } else if (k > SMALL_K) {
        // Array.prototype.sort is stable, so equal values keep label order.
        best = [...present].sort((a, b) => (beats(a.values[i]!, b.values[i]!) ? -1 : beats(b.values[i]!, a.values[i]!) ? 1 : 0)).slice(0, k);
      } else {
        // Small k: one pass keeping a sorted list of the best k.
        best = [];
        for (const m of present) {
          const v = m.values[i]!;
          if (best.length === k && !beats(v, best[k - 1]!.values[i]!)) continue;
          let at = best.length;
          while (at > 0 && beats(v, best[at - 1]!.values[i]!)) at--;
          best.splice(at, 0, m);
          if (best.length > k) best.pop();
        }
      }
      for (const m of best) {
        let o = outputs.get(m);
        if (!o) {
          o = { labels: m.labels, values: new Float64Array(count).fill(NaN) };
          outputs.set(m, o);
        }
        setSample(o, i, m.values[i]!);
      }
    }
  }
  // Keep input order for the output series.
  const result: StepSeries[] = [];
  for (const s of input) {
    const o = outputs.get(s);
    if (o) result.push(o);
  }
  return result;
}

// sort / sort_desc change no value, only the order of the series: by the value at the last step,
// which is the one an instant query returns. NaN samples go after numbers in both directions
// (Prometheus' sort), series absent there go last; ties by labels.
function sortByLastValue(input: StepSeries[], count: number, desc: boolean): StepSeries[] {
  const last = count - 1;
  const rank = (s: StepSeries): number => (last < 0 || !has(s, last) ? 2 : Number.isNaN(s.values[last]!) ? 1 : 0);
  return [...input].sort((a, b) => {
    const ar = rank(a);
    const br = rank(b);
    if (ar !== br) return ar - br;
    const av = a.values[last]!;
    const bv = b.values[last]!;
    if (ar === 0 && av !== bv) return desc ? (bv > av ? 1 : -1) : av > bv ? 1 : -1;
    return compareLabels(a.labels, b.labels);
  });
}
