/**
 * "All lines of this request": the correlation id a line carries (the observability kit writes
 * `request_id` and `trace_id`, docs/log-schema.md; other loggers use the camel-case forms) and the
 * Explore link that finds every service's lines holding it. The link searches the id as a line
 * filter over every service, not a parsed field, so JSON, logfmt and plain-text lines all match,
 * and the id's own randomness keeps false matches away. Pure.
 */
import type { LogRow } from './loki.js';
import { quoteLogql } from './logql-string.js';

/** Field names read as a request's correlation id, in order of preference. */
export const CORRELATION_FIELDS = ['request_id', 'trace_id', 'requestId', 'traceId', 'correlation_id', 'x_request_id'];
/** The window searched around the line: a request's lines are seconds apart, a trace's minutes. */
export const REQUEST_WINDOW_MS = 15 * 60e3;

export interface Correlation {
  field: string;
  id: string;
}

/** The line's correlation id, from structured metadata, the query's parsed labels, or the line's own fields. */
export function correlationOf(row: LogRow, fields: Array<[string, string]> = []): Correlation | undefined {
  const sources: Array<Record<string, string>> = [row.structuredMetadata, row.parsed, Object.fromEntries(fields), row.labels];
  for (const field of CORRELATION_FIELDS) {
    for (const s of sources) {
      const id = s[field];
      // Ids shorter than 6 characters would match too many unrelated lines as a substring.
      if (id !== undefined && id.trim().length >= 6) return { field, id: id.trim() };
    }
  }
  return undefined;
}

/** The Explore URL for every line holding the id, oldest first, in a window around the line. */
export function requestLinesHref(c: Correlation, atMs: number): string {
  const query = `{service_name=~".+"} |= ${quoteLogql(c.id)}`;
  const iso = (ms: number) => new Date(Math.round(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const params = new URLSearchParams({ query, from: iso(atMs - REQUEST_WINDOW_MS), to: iso(atMs + REQUEST_WINDOW_MS), order: 'forward' });
  return `/explore?${params.toString()}`;
}
