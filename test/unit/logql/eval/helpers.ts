/**
 * Shared fixtures for the metric evaluator's tests. The RangeAggregator here is hand-written: it
 * answers fixed StepSeries per printed range aggregation, so these tests exercise only the
 * evaluation above the leaves. The real one (src/query/engine/range-agg.ts) has its own tests.
 */
import type { Labels } from '../../../../src/api/model.js';
import { evaluateMetric } from '../../../../src/logql/eval/evaluate.js';
import { has, makeSteps, setSample, type MetricValue, type RangeAggregator, type StepSeries, type Steps } from '../../../../src/logql/eval/types.js';
import { parseExpr, printExpr, type MetricExpr } from '../../../../src/logql/syntax/index.js';

export const SEC = 1_000_000_000n;

/** Three steps: t = 0s, 60s, 120s. */
export const STEPS3: Steps = makeSteps(0n, 120n * SEC, 60n * SEC);
/** One step (an instant query) at t = 120s. */
export const INSTANT: Steps = makeSteps(120n * SEC, 120n * SEC, 60n * SEC);

/** A series; `null` marks a step without a sample, NaN a sample whose value is NaN. */
export type Row = [Labels, Array<number | null>];

/** Data keyed by the range aggregation's printed form. */
export type Data = Record<string, Row[]>;

export function series(rows: Row[]): StepSeries[] {
  return rows.map(([labels, values]) => {
    const s: StepSeries = { labels, values: new Float64Array(values.length).fill(NaN) };
    values.forEach((v, i) => v !== null && setSample(s, i, v));
    return s;
  });
}

export function fakeRangeAgg(data: Data): RangeAggregator {
  return async (expr, steps) => {
    const key = printExpr(expr);
    const rows = data[key];
    if (!rows) throw new Error(`fake range aggregator has no data for ${key}`);
    const out = series(rows);
    for (const s of out) if (s.values.length !== steps.count) throw new Error(`fixture ${key} has ${s.values.length} values for ${steps.count} steps`);
    return out;
  };
}

export function parseMetric(query: string): MetricExpr {
  const e = parseExpr(query);
  if (e.kind === 'log') throw new Error('not a metric query');
  return e;
}

export async function run(query: string, data: Data = {}, steps: Steps = STEPS3, opts?: { maxSeries?: number }): Promise<MetricValue> {
  return evaluateMetric(parseMetric(query), steps, fakeRangeAgg(data), opts);
}

/**
 * A result as plain rows for deepEqual (which takes NaN as equal to NaN): an absent step is null,
 * a NaN sample NaN. A scalar has a value at every step, NaN included.
 */
export function rows(v: MetricValue): Row[] | Array<number | null> {
  if (v.kind === 'scalar') return Array.from(v.values);
  return v.series.map((s) => [{ ...s.labels }, Array.from(s.values, (x, i) => (has(s, i) ? x : null))] as Row);
}

/** Evaluates over STEPS3 and returns plain rows. */
export async function evalRows(query: string, data: Data = {}): Promise<Row[] | Array<number | null>> {
  return rows(await run(query, data));
}

// The shared data set. A = count_over_time({job="x"}[1m]) at t = 0s, 60s, 120s.
export const A = 'count_over_time({job="x"}[1m])';
// B = count_over_time({job="y"}[1m]), one series per level.
export const B = 'count_over_time({job="y"}[1m])';
// C = count_over_time({job="teams"}[1m]): which team owns a level (error has no team label).
export const C = 'count_over_time({job="teams"}[1m])';
// E = count_over_time({job="none"}[1m]): no series at all.
export const E = 'count_over_time({job="none"}[1m])';
// T = count_over_time({job="ties"}[1m]): equal values, for topk/bottomk tie-breaking.
export const T = 'count_over_time({job="ties"}[1m])';

export const DATA: Data = {
  [A]: [
    [{ job: 'x', level: 'info', pod: 'a' }, [1, 2, 3]],
    [{ job: 'x', level: 'info', pod: 'b' }, [4, null, 6]],
    [{ job: 'x', level: 'error', pod: 'a' }, [10, 20, null]],
  ],
  [B]: [
    [{ level: 'info' }, [2, 4, 3]],
    [{ level: 'error' }, [5, null, 1]],
    [{ level: 'debug' }, [7, 7, 7]],
  ],
  [C]: [
    [{ level: 'info', team: 'web' }, [100, 100, 100]],
    [{ level: 'error' }, [200, 200, 200]],
  ],
  [E]: [],
  [T]: [
    [{ pod: 'y' }, [5, 5, 5]],
    [{ pod: 'x' }, [5, 5, 5]],
    [{ pod: 'z' }, [1, 9, 5]],
  ],
};
