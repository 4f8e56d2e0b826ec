/**
 * Shapes a metric value as Loki's query API answers it (Loki's engine: evalLiteral,
 * PopulateMatrixFromScalar, and the sorted matrix of a range query):
 * - instant query: a `vector` of the series that have a value (in the value's series order), or a
 *   `scalar` for a scalar expression;
 * - range query: a `matrix` whose series list only the steps that have a value, series with none
 *   left out, sorted by labels; a scalar expression becomes one series with empty labels and a
 *   point at every step.
 * Times are milliseconds.
 */
import type { QueryData } from '../../api/envelope.js';
import { nsToMs } from '../../api/time-units.js';
import type { MetricValue, Steps } from './types.js';
import { has, stepTime } from './types.js';
import { compareLabels } from './labels.js';

export function toLokiResult(value: MetricValue, steps: Steps, instant: boolean): QueryData {
  const times: number[] = [];
  for (let i = 0; i < steps.count; i++) times.push(Number(nsToMs(stepTime(steps, i))));
  if (instant) {
    // An instant query has one step; should it have more, the last one is the answer.
    const last = steps.count - 1;
    if (value.kind === 'scalar') {
      return { resultType: 'scalar', result: { tsMs: last >= 0 ? times[last]! : Number(nsToMs(steps.start)), value: last >= 0 ? value.values[last]! : NaN } };
    }
    const result = [];
    if (last >= 0) {
      for (const s of value.series) {
        if (has(s, last)) result.push({ metric: s.labels, tsMs: times[last]!, value: s.values[last]! });
      }
    }
    return { resultType: 'vector', result };
  }
  if (value.kind === 'scalar') {
    if (steps.count === 0) return { resultType: 'matrix', result: [] };
    const values: Array<[number, number]> = times.map((t, i) => [t, value.values[i]!]);
    return { resultType: 'matrix', result: [{ metric: {}, values }] };
  }
  const result = [];
  for (const s of value.series) {
    const values: Array<[number, number]> = [];
    for (let i = 0; i < steps.count; i++) {
      if (has(s, i)) values.push([times[i]!, s.values[i]!]);
    }
    if (values.length > 0) result.push({ metric: s.labels, values });
  }
  result.sort((a, b) => compareLabels(a.metric, b.metric));
  return { resultType: 'matrix', result };
}
