/**
 * Log queries over `query_range` for the parts of the UI that page or look around one line: they ask
 * for Loki's categorized form (the `categorize-labels` encoding flag), so stream labels, structured
 * metadata and parsed labels come apart, which a line's stream selector and its details need.
 */
import { api, ApiError } from './api.js';
import { rowsFromStreams, type LogRow, type LokiStream, type QueryResponse } from './loki.js';
import { streamSelector } from './logql-string.js';
import { addNs } from './time.js';

// Where pages already import them from (they live with the LogQL text and time helpers, pure).
export { streamSelector } from './logql-string.js';
export { addNs } from './time.js';

/** The header and flag with which Loki (and logwharf) answer in the categorized form. */
export const CATEGORIZE_LABELS_HEADERS: Record<string, string> = { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' };

export interface LogRangeQuery {
  query: string;
  /** Nanoseconds, inclusive. */
  startNs: string;
  /** Nanoseconds, exclusive (as Loki's `end`). */
  endNs: string;
  limit: number;
  direction: 'backward' | 'forward';
}

export async function queryLogs(q: LogRangeQuery, signal?: AbortSignal): Promise<LokiStream[]> {
  const res = await api<QueryResponse>(
    '/loki/api/v1/query_range',
    { query: q.query, start: q.startNs, end: q.endNs, limit: q.limit, direction: q.direction },
    { headers: CATEGORIZE_LABELS_HEADERS, signal },
  );
  if (res.data.resultType !== 'streams') throw new ApiError(`Expected log lines, but the server answered a ${res.data.resultType} result.`, 200, '');
  return res.data.result;
}

/** How far from a line its context is looked for, each way. */
export const CONTEXT_WINDOW_NS = 24 * 3600 * 1e9;

/** The `size` lines just before and just after `row` in its own stream, oldest first, with their ids apart from any list's. */
export async function fetchContext(row: LogRow, size = 10): Promise<{ before: LogRow[]; after: LogRow[] }> {
  const query = streamSelector(row.labels);
  const [before, after] = await Promise.all([
    queryLogs({ query, startNs: addNs(row.tsNs, -CONTEXT_WINDOW_NS), endNs: row.tsNs, limit: size, direction: 'backward' }),
    queryLogs({ query, startNs: addNs(row.tsNs, 1), endNs: addNs(row.tsNs, CONTEXT_WINDOW_NS), limit: size, direction: 'forward' }),
  ]);
  const tag = (rows: LogRow[], side: string) => rows.map((r) => ({ ...r, id: `ctx-${side}:${r.id}` }));
  return { before: tag(rowsFromStreams(before, 'forward'), 'b'), after: tag(rowsFromStreams(after, 'forward'), 'a') };
}
