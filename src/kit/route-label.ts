/**
 * The `route` label of the request metrics. A framework's route template (`/users/:id`) is used as
 * is; a request no route template is known for is labelled by its path, made low-cardinality:
 * numeric, UUID and long hex segments (ids, hashes) and overlong segments become `:id`, paths deeper
 * than MAX_SEGMENTS end in `/*`, and once `maxRoutes` distinct such labels exist every new one is
 * `other`. Without these limits a scanner probing random paths would create one time series per
 * path and exhaust the memory of the service and of Prometheus.
 */
export const MAX_SEGMENTS = 6;
export const MAX_SEGMENT_LENGTH = 64;
export const DEFAULT_MAX_ROUTES = 200;
export const OVERFLOW_ROUTE = 'other';

const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,})$/i;

/** The request's path without its query string (the query never reaches a log line or a label). */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** A path with id-like segments replaced by `:id` and its depth capped. */
export function normalizePath(path: string): string {
  const segments = path.split('/').slice(1);
  const kept = segments.slice(0, MAX_SEGMENTS).map((s) => (ID_SEGMENT.test(s) || s.length > MAX_SEGMENT_LENGTH ? ':id' : s));
  return '/' + kept.join('/') + (segments.length > MAX_SEGMENTS ? '/*' : '');
}

/** Labels for requests without a route template; remembers at most `maxRoutes` distinct labels. */
export class RouteLabels {
  /** Labels handed out so far; never more than maxRoutes (the overflow label is not counted). */
  private readonly seen = new Set<string>();
  constructor(private readonly maxRoutes = DEFAULT_MAX_ROUTES) {}

  label(template: string | undefined, path: string): string {
    if (template !== undefined) return template;
    const label = normalizePath(path);
    if (this.seen.has(label)) return label;
    if (this.seen.size >= this.maxRoutes) return OVERFLOW_ROUTE;
    this.seen.add(label);
    return label;
  }
}
