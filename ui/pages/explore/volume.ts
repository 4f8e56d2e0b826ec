/**
 * The volume histogram's query and data, pure (no DOM) so they are unit tested: the log query becomes
 * `sum by (detected_level) (count_over_time(<query> [<step>s]))`, counted on a grid of buckets that
 * cover the range, and stacked by level.
 */
import type { LokiSeries } from '../../lib/loki.js';
import { levelOf } from '../../lib/loki.js';

/** Levels from the bottom of a stack to its top; also the legend's order. */
export const LEVELS = ['error', 'warn', 'info', 'debug', 'trace', 'unknown'] as const;
export type Level = (typeof LEVELS)[number];

/**
 * The metric query counting a log query's lines per level over `rangeMs` windows. The whole log query
 * (selector, filters, parsers, even `line_format`) is a valid range-aggregation input in LogQL, so
 * the counts are of exactly the lines the query returns. Two additions keep it so:
 * - `| drop __error__, __error_details__`: a parser that fails on some lines (`| json` over plain
 *   text) only labels them in a log query, but fails a metric query; the log query still returns
 *   those lines, so they are counted, not refused.
 * - a newline before the additions: a query may end in a `# comment`, which would swallow them.
 */
export function volumeQuery(logQuery: string, rangeMs: number): string {
  const ms = Math.max(1, Math.round(rangeMs));
  const range = ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
  return `sum by (detected_level) (count_over_time(${logQuery.trim()}\n| drop __error__, __error_details__ [${range}]))`;
}

/**
 * The leading stream selector `{…}` of a log query (quotes and escapes respected), or undefined. The
 * fallback when the server refuses to count the full query: the volume of the selector alone.
 */
export function selectorOf(logQuery: string): string | undefined {
  const q = logQuery.trimStart();
  if (!q.startsWith('{')) return undefined;
  let quote = '';
  for (let i = 1; i < q.length; i++) {
    const c = q[i]!;
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '}') return q.slice(0, i + 1);
  }
  return undefined;
}

/**
 * The evaluation points of the bars: count_over_time at t counts (t − step, t], and the server aligns
 * points to multiples of the step (as Loki does), so the bars are the aligned buckets from the one
 * holding `from` to the one holding `to`. The edge buckets may reach past the range; the legend's
 * totals come from an exact instant count instead (see `totalsFrom`).
 */
export interface VolumeGrid {
  stepMs: number;
  /** Bucket ends in ms. */
  points: number[];
}

export function volumeGrid(fromMs: number, toMs: number, stepMs: number): VolumeGrid {
  const first = Math.floor(fromMs / stepMs) * stepMs + stepMs;
  const points: number[] = [];
  for (let p = first; points.length === 0 || points[points.length - 1]! < toMs; p += stepMs) points.push(p);
  return { stepMs, points };
}

export interface Volume {
  /** Bucket starts in seconds (uPlot's x). */
  x: number[];
  stepMs: number;
  /** Per level with any line: counts per bucket and the level's exact total over the range; in LEVELS order. */
  levels: Array<{ level: Level; counts: number[]; total: number }>;
  total: number;
}

/** Lines per level over exactly the range, from the instant `sum by (detected_level) (count_over_time(… [to − from]))` at `to`. */
export function totalsFrom(result: Array<{ metric: Record<string, string>; value: [number, string] }>): Map<Level, number> {
  const totals = new Map<Level, number>();
  for (const s of result) {
    const level = levelOf(s.metric, {}) as Level;
    totals.set(level, (totals.get(level) ?? 0) + Number(s.value[1]));
  }
  return totals;
}

/** The server's matrix (Loki omits zero points) laid on the grid, one row of counts per level, with the exact totals. */
export function volumeFrom(result: LokiSeries[], grid: VolumeGrid, totals: Map<Level, number>): Volume {
  const index = new Map(grid.points.map((p, i) => [Math.round(p / 1000), i]));
  const byLevel = new Map<Level, number[]>();
  for (const s of result) {
    const level = levelOf(s.metric, {}) as Level;
    let counts = byLevel.get(level);
    if (!counts) byLevel.set(level, (counts = new Array<number>(grid.points.length).fill(0)));
    for (const [t, v] of s.values) {
      const i = index.get(Math.round(t));
      if (i !== undefined) counts[i]! += Number(v);
    }
  }
  const levels = LEVELS.filter((l) => byLevel.has(l) || totals.has(l)).map((level) => ({
    level,
    counts: byLevel.get(level) ?? new Array<number>(grid.points.length).fill(0),
    total: totals.get(level) ?? 0,
  }));
  return {
    x: grid.points.map((p) => (p - grid.stepMs) / 1000),
    stepMs: grid.stepMs,
    levels,
    total: levels.reduce((a, l) => a + l.total, 0),
  };
}

/**
 * Cumulative sums for drawing a stack without bands: series k is the sum of levels 0..k. Drawn from
 * the top of the stack down, each opaque bar covers the lower part of the one before it.
 */
export function stacked(levels: Volume['levels']): number[][] {
  const out: number[][] = [];
  levels.forEach((l, k) => out.push(l.counts.map((c, i) => c + (k > 0 ? out[k - 1]![i]! : 0))));
  return out;
}
