/**
 * Label names and values for the editor's completion, from the label APIs over the current time range
 * (and scoped by a selector when there is one), kept for a short while so typing does not send a
 * request per key.
 */
import { api, ApiError } from '../../lib/api.js';
import { msToNs, parseTime } from '../../lib/time.js';

const TTL_MS = 30_000;
const cache = new Map<string, { at: number; values: Promise<string[]> }>();

interface LabelsResponse {
  status: string;
  data?: string[];
}

export interface Range {
  from: string;
  to: string;
}

function rangeParams(range: Range): { start?: string; end?: string } {
  const now = Date.now();
  const start = parseTime(range.from, now);
  const end = parseTime(range.to, now);
  return { start: start === undefined ? undefined : msToNs(start), end: end === undefined ? undefined : msToNs(end) };
}

function cached(path: string, range: Range, selector: string): Promise<string[]> {
  // Relative ranges are keyed by their text: `now-1h` thirty seconds later is the same question here.
  const key = `${path}|${range.from}|${range.to}|${selector}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.values;
  const values = api<LabelsResponse>(path, { ...rangeParams(range), query: selector || undefined })
    .then((r) => r.data ?? [])
    .catch((e: unknown) => {
      cache.delete(key);
      // A selector the server refuses (e.g. only empty-matching matchers) scopes nothing: ask unscoped.
      if (selector && e instanceof ApiError && e.status === 400) return cached(path, range, '');
      throw e;
    });
  cache.set(key, { at: Date.now(), values });
  return values;
}

export function labelNames(range: Range, selector = ''): Promise<string[]> {
  return cached('/loki/api/v1/labels', range, selector);
}

export function labelValues(name: string, range: Range, selector = ''): Promise<string[]> {
  return cached(`/loki/api/v1/label/${encodeURIComponent(name)}/values`, range, selector);
}
