/**
 * The Overview's queries and the pure shaping of their answers (no DOM; unit tested). Every service
 * is a `service_name`, which the server sets on every stream at ingest (Loki 3's service name
 * discovery), and every level is the `detected_level` it adds to every line.
 */
import { levelOf, type LokiSeries } from '../../lib/loki.js';
import { quoteLogql } from '../../lib/logql-string.js';
import { volumeFrom, type Level, type Volume, type VolumeGrid } from '../explore/volume.js';

export const RANGES = ['15m', '1h', '6h', '24h'] as const;
export type OverviewRange = (typeof RANGES)[number];
export const DEFAULT_RANGE: OverviewRange = '1h';
/** The page reloads its panels this often. */
export const REFRESH_MS = 30_000;

export const ALL_SERVICES = '{service_name=~".+"}';

/** Lines per service and level in windows of `window` (a LogQL duration such as `1m` or `1h`). */
export function countByServiceAndLevel(window: string): string {
  return `sum by (service_name, detected_level) (count_over_time(${ALL_SERVICES}[${window}]))`;
}

export const NEWEST_ERRORS = `${ALL_SERVICES} | detected_level="error"`;

export function readRange(p: URLSearchParams): OverviewRange {
  const r = p.get('range');
  return (RANGES as readonly string[]).includes(r ?? '') ? (r as OverviewRange) : DEFAULT_RANGE;
}

export interface ServiceErrors {
  service: string;
  lines: number;
  errors: number;
  /** errors / lines, 0 to 1. */
  rate: number;
}

/** Per service: all lines and error lines over the range, highest error rate first (then busiest). */
export function errorRates(vector: Array<{ metric: Record<string, string>; value: [number, string] }>): ServiceErrors[] {
  const by = new Map<string, ServiceErrors>();
  for (const s of vector) {
    const service = s.metric.service_name ?? '';
    let row = by.get(service);
    if (!row) by.set(service, (row = { service, lines: 0, errors: 0, rate: 0 }));
    const n = Number(s.value[1]);
    row.lines += n;
    if (levelOf(s.metric, {}) === 'error') row.errors += n;
  }
  const rows = [...by.values()];
  for (const r of rows) r.rate = r.lines > 0 ? r.errors / r.lines : 0;
  return rows.sort((a, b) => b.rate - a.rate || b.lines - a.lines || a.service.localeCompare(b.service));
}

/** The Explore query of one service. */
export function serviceQuery(service: string): string {
  return `{service_name=${quoteLogql(service)}}`;
}

/** The Explore query for the lines of a pattern (`|>` pattern match, `<_>` standing for anything). */
export function patternQuery(pattern: string): string {
  return `${ALL_SERVICES} |> ${quoteLogql(pattern)}`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${i === 0 ? Math.round(n) : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

/** A per-second rate with sensible precision: `0`, `0.35`, `12.4`, `1,204`. */
export function formatRate(n: number): string {
  if (n === 0) return '0';
  if (n < 1) return n.toFixed(2);
  if (n < 100) return n.toFixed(1);
  return Math.round(n).toLocaleString('en-US');
}

/** Seconds as `3 ms`, `1.25 s`. */
export function formatSeconds(s: number): string {
  return s < 1 ? `${(s * 1000).toFixed(s < 0.01 ? 1 : 0)} ms` : `${s.toFixed(2)} s`;
}

/** One service's lines per level on the grid of buckets, for its small stacked-bar chart. */
export interface ServiceVolume {
  service: string;
  volume: Volume;
}

/**
 * The matrix of `countByServiceAndLevel(step)` split per service, each laid on the grid and stacked
 * by level (the Explore histogram's shaping), busiest service first. Totals are `exact`'s when given, else the sums of the bars.
 */
export function serviceVolumes(result: LokiSeries[], grid: VolumeGrid, exact: Array<{ metric: Record<string, string>; value: [number, string] }> = []): ServiceVolume[] {
  // The exact counts over the range (the instant query the error-rate panel runs too), so the two
  // panels agree; the bars' step-aligned edge buckets can reach slightly past the range.
  const exactTotals = new Map<string, Map<Level, number>>();
  for (const v of exact) {
    const service = v.metric.service_name ?? '';
    let m = exactTotals.get(service);
    if (!m) exactTotals.set(service, (m = new Map()));
    const level = levelOf(v.metric, {}) as Level;
    m.set(level, (m.get(level) ?? 0) + Number(v.value[1]));
  }
  const by = new Map<string, LokiSeries[]>();
  for (const s of result) {
    const service = s.metric.service_name ?? '';
    let list = by.get(service);
    if (!list) by.set(service, (list = []));
    list.push(s);
  }
  const out: ServiceVolume[] = [];
  for (const [service, series] of by) {
    const bare = volumeFrom(series, grid, new Map());
    const totals = exactTotals.get(service) ?? new Map<Level, number>(bare.levels.map((l) => [l.level, l.counts.reduce((a, c) => a + c, 0)]));
    out.push({ service, volume: volumeFrom(series, grid, totals) });
  }
  return out.sort((a, b) => b.volume.total - a.volume.total || a.service.localeCompare(b.service));
}
