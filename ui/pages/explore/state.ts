/**
 * Explore's state, all of it in the URL: `/explore?query=<logql>&from=<time>&to=<time>` with RFC 3339
 * or `now-1h`/`now` values, `&live=true` for live tail, `&refresh=30s` for auto-refresh, and the
 * view options (`utc`, `wrap`, `order`). Defaults are named here.
 */
export const DEFAULT_FROM = 'now-1h';
export const DEFAULT_TO = 'now';
export const DEFAULT_LIMIT = 1000;
/** The most lines one request asks for; more come page by page ("Load more"). */
export const MAX_LIMIT = 5000;

export interface ExploreState {
  query: string;
  from: string;
  to: string;
  live: boolean;
  /** Auto-refresh interval (`30s`, `1m`…) or '' for off. */
  refresh: string;
  /** Timestamps in UTC instead of local time. */
  utc: boolean;
  wrap: boolean;
  /** `backward` = newest first (Loki's default direction). */
  order: 'backward' | 'forward';
  /** Lines per request (`limit`, 1…MAX_LIMIT). */
  limit: number;
}

export function readState(p: URLSearchParams): ExploreState {
  return {
    query: p.get('query') ?? '',
    from: p.get('from') || DEFAULT_FROM,
    to: p.get('to') || DEFAULT_TO,
    live: p.get('live') === 'true',
    refresh: p.get('refresh') ?? '',
    utc: p.get('utc') === 'true',
    wrap: p.get('wrap') !== 'false',
    order: p.get('order') === 'forward' ? 'forward' : 'backward',
    limit: readLimit(p.get('limit')),
  };
}

/** The URL parameters for a state, leaving defaults out so links stay short. */
export function writeState(s: ExploreState): Record<string, string | undefined> {
  return {
    query: s.query || undefined,
    from: s.from === DEFAULT_FROM ? undefined : s.from,
    to: s.to === DEFAULT_TO ? undefined : s.to,
    live: s.live ? 'true' : undefined,
    refresh: s.refresh || undefined,
    utc: s.utc ? 'true' : undefined,
    wrap: s.wrap ? undefined : 'false',
    order: s.order === 'forward' ? 'forward' : undefined,
    limit: s.limit === DEFAULT_LIMIT ? undefined : String(s.limit),
  };
}

function readLimit(v: string | null): number {
  const n = v && /^\d+$/.test(v) ? Number(v) : DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, n));
}
