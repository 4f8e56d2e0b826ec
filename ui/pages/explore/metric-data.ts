/**
 * A metric query's answer as the chart and the table read it, pure (no DOM) so it is unit tested:
 * the matrix aligned on one time axis (uPlot's shape), each series named by its label set, and the
 * rows of the table.
 */
import { streamKey, type LokiSeries, type QueryData } from '../../lib/loki.js';

/** More series than this are not drawn (the chart would be unreadable and slow); the table has them all. */
export const MAX_SERIES = 100;

export interface AlignedSeries {
  /** `{a="1", b="2"}`, or `{}` for a series without labels. */
  label: string;
  metric: Record<string, string>;
  /** One value per x; null where the series has no point. */
  values: Array<number | null>;
}

export interface Aligned {
  /** Seconds, ascending: every timestamp any series has. */
  x: number[];
  series: AlignedSeries[];
  /** Series left out of the chart beyond MAX_SERIES. */
  dropped: number;
}

/** Lays the series of a matrix on the union of their timestamps; at most `max` series. */
export function alignMatrix(result: LokiSeries[], max = MAX_SERIES): Aligned {
  const kept = result.slice(0, max);
  const x = [...new Set(kept.flatMap((s) => s.values.map((v) => v[0])))].sort((a, b) => a - b);
  const at = new Map(x.map((t, i) => [t, i]));
  const series = kept.map((s) => {
    const values = new Array<number | null>(x.length).fill(null);
    for (const [t, v] of s.values) values[at.get(t)!] = toNumber(v);
    return { label: streamKey(s.metric), metric: s.metric, values };
  });
  return { x, series, dropped: result.length - kept.length };
}

/** Prometheus sends `NaN`, `+Inf`, `-Inf` as strings too. */
export function toNumber(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

export interface TableRow {
  label: string;
  metric: Record<string, string>;
  /** Seconds of the value shown (the last point for a matrix). */
  time: number;
  value: string;
}

/** One row per series with its last value (matrix) or its value (vector); one row for a scalar. */
export function tableRows(data: Exclude<QueryData, { resultType: 'streams' }>): TableRow[] {
  switch (data.resultType) {
    case 'matrix':
      return data.result
        .filter((s) => s.values.length > 0)
        .map((s) => {
          const [time, value] = s.values[s.values.length - 1]!;
          return { label: streamKey(s.metric), metric: s.metric, time, value };
        });
    case 'vector':
      return data.result.map((s) => ({ label: streamKey(s.metric), metric: s.metric, time: s.value[0], value: s.value[1] }));
    case 'scalar':
      return [{ label: 'scalar', metric: {}, time: data.result[0], value: data.result[1] }];
  }
}

/** A value for people: integers as they are, others to 4 significant digits. */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(4)).toString();
}
