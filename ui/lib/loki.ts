/** Loki's HTTP API answers as the UI reads them (query, query_range, tail), and the one row type pages share. */
import { nsToMs } from './time.js';

export interface LokiStream {
  stream: Record<string, string>;
  /** [ns timestamp, line] or, with structured metadata / parsed labels, [ns, line, {structuredMetadata?, parsed?}]. */
  values: Array<[string, string] | [string, string, { structuredMetadata?: Record<string, string>; parsed?: Record<string, string> }]>;
}

export interface LokiSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export type QueryData =
  | { resultType: 'streams'; result: LokiStream[]; stats?: unknown }
  | { resultType: 'matrix'; result: LokiSeries[]; stats?: unknown }
  | { resultType: 'vector'; result: Array<{ metric: Record<string, string>; value: [number, string] }>; stats?: unknown }
  | { resultType: 'scalar'; result: [number, string]; stats?: unknown };

export interface QueryResponse {
  status: string;
  data: QueryData;
}

/** One log line as every list in the UI shows it (Explore, live tail, overview's newest errors). */
export interface LogRow {
  /** Unique within one result: stream key + timestamp + index. */
  id: string;
  /** Loki's nanosecond timestamp, as sent (a string: beyond 2^53). */
  tsNs: string;
  /** Milliseconds (for display and ordering). */
  ms: number;
  line: string;
  labels: Record<string, string>;
  structuredMetadata: Record<string, string>;
  parsed: Record<string, string>;
  /** error, warn, info, debug, trace or unknown. */
  level: string;
}

const LEVEL_ALIASES: Record<string, string> = {
  err: 'error', eror: 'error', critical: 'error', crit: 'error', fatal: 'error', panic: 'error', emerg: 'error', alert: 'error',
  warning: 'warn', wrn: 'warn', information: 'info', inf: 'info', notice: 'info', dbg: 'debug', debug: 'debug', trc: 'trace',
};

/** The level the server detected (`detected_level`) or the stream's `level`, folded to the UI's five. */
export function levelOf(labels: Record<string, string>, metadata: Record<string, string>): string {
  const raw = (metadata.detected_level ?? labels.detected_level ?? labels.level ?? metadata.level ?? '').toLowerCase();
  const v = LEVEL_ALIASES[raw] ?? raw;
  return ['error', 'warn', 'info', 'debug', 'trace'].includes(v) ? v : 'unknown';
}

export function streamKey(labels: Record<string, string>): string {
  return '{' + Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ') + '}';
}

/** Flattens streams into rows ordered by time (newest first for `backward`, as Loki returns them). */
export function rowsFromStreams(streams: LokiStream[], direction: 'backward' | 'forward' = 'backward'): LogRow[] {
  const rows: LogRow[] = [];
  for (const s of streams) {
    const key = streamKey(s.stream);
    s.values.forEach((v, i) => {
      const meta = v[2]?.structuredMetadata ?? {};
      rows.push({
        id: `${key}|${v[0]}|${i}`,
        tsNs: v[0],
        ms: nsToMs(v[0]),
        line: v[1],
        labels: s.stream,
        structuredMetadata: meta,
        parsed: v[2]?.parsed ?? {},
        level: levelOf(s.stream, meta),
      });
    });
  }
  rows.sort((a, b) => (direction === 'backward' ? cmpNs(b.tsNs, a.tsNs) : cmpNs(a.tsNs, b.tsNs)));
  return rows;
}

/** Compares two nanosecond timestamps given as decimal strings without losing precision. */
export function cmpNs(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
