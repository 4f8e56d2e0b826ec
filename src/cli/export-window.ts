/**
 * Reading every entry of one time window [start, end) exactly, in pages of `limit`, using nothing
 * but Loki's query_range (direction=forward, which answers the `limit` oldest entries at or after
 * `start`).
 *
 * Why it is exact without comparing entries: a full page is complete for every timestamp before its
 * last one (anything earlier would have sorted into the page), but the entries at the last
 * timestamp may have been cut off by the limit. So a full page hands out only the entries before
 * its last timestamp, and the next page starts *at* that timestamp: its entries are read again, all
 * of them, and none of them was handed out before. No entry twice, none missing, and two identical
 * entries (which a server may keep) stay two.
 *
 * The one case that cannot progress is a full page whose entries all share one timestamp: more
 * entries at one nanosecond than the page holds. Then that nanosecond alone is asked for with a
 * larger limit, growing until the answer is not full; when the server will not return that many
 * (its largest limit, learnt from its refusal), the export stops with an error naming the
 * timestamp (never a silent gap). A page size above the server's largest limit is lowered to it.
 *
 * Entries outside [start, end) are dropped, so a server that counted `end` in (Loki's is exclusive)
 * cannot hand one entry to two windows.
 */
import { LokiClientError } from '../api/client.js';
import { formatRfc3339Nano } from '../api/timestamp.js';
import type { ExportRecord } from '../api/export-record.js';

/** One forward query: the entries in [start, end), oldest first, at most `limit` of them. */
export type PageFetch = (start: bigint, end: bigint, limit: number) => Promise<ExportRecord[]>;

/** How far a single-nanosecond group's limit may grow when the server names no largest limit. */
const MAX_GROUP_LIMIT = 1_000_000;

/**
 * Thrown by a PageFetch when the server refused the limit and named its largest one (Loki and
 * logwharf answer 400 "limit > max_entries_limit_per_query (1000 > 500)").
 */
export class PageLimitError extends Error {
  constructor(readonly max: number, cause: unknown) {
    super(`the server's largest query limit is ${max}`, { cause });
    this.name = 'PageLimitError';
  }
}

/** Loki's words for a limit above max_entries_limit_per_query; the second number is the largest allowed. */
const MAX_LIMIT_MESSAGE = /max_entries_limit_per_query \((\d+) > (\d+)\)/;

/** The largest limit a refused query names, if the refusal is about the limit. */
export function refusedLimit(e: unknown): number | undefined {
  if (!(e instanceof LokiClientError) || e.status !== 400) return undefined;
  const m = MAX_LIMIT_MESSAGE.exec(e.message);
  return m ? Number(m[2]) : undefined;
}

/** Page sizes shared by every window of one export: what was asked for, and the server's largest once learnt. */
export interface PageLimits {
  page: number;
  max?: number;
}

export class ExportGapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportGapError';
  }
}

/** fetch, learning the server's largest limit from a refusal and asking again within it. */
async function fetchWithin(fetch: PageFetch, start: bigint, end: bigint, limit: number, limits: PageLimits): Promise<{ page: ExportRecord[]; limit: number }> {
  for (;;) {
    const n = Math.min(limit, limits.max ?? limit);
    try {
      return { page: await fetch(start, end, n), limit: n };
    } catch (e) {
      const max = refusedLimit(e);
      if (max === undefined || max >= n || max < 1) throw e;
      limits.max = max;
    }
  }
}

/** Yields the window's entries in time order, one page's worth at a time. */
export async function* readWindow(fetch: PageFetch, start: bigint, end: bigint, limits: PageLimits): AsyncGenerator<ExportRecord[]> {
  let cursor = start;
  while (cursor < end) {
    const { page, limit } = await fetchWithin(fetch, cursor, end, limits.page, limits);
    const inRange = page.filter((r) => r.ts >= cursor && r.ts < end);
    if (page.length < limit) {
      yield inRange;
      return;
    }
    const last = page[page.length - 1]!.ts;
    if (last >= end) {
      // Only a server counting `end` in gets here: everything before `end` is in this page.
      yield inRange;
      return;
    }
    if (page[0]!.ts === last) {
      yield await readNanosecond(fetch, last, limit, limits);
      cursor = last + 1n;
      continue;
    }
    yield inRange.filter((r) => r.ts < last);
    cursor = last;
  }
}

/** Every entry at exactly `ts`, asking with a growing limit until an answer is not full. */
async function readNanosecond(fetch: PageFetch, ts: bigint, full: number, limits: PageLimits): Promise<ExportRecord[]> {
  let n = full;
  const gap = (why: string, atLeast: number) =>
    new ExportGapError(
      `at least ${atLeast} entries share the timestamp ${formatRfc3339Nano(ts)} (${ts} ns) and ${why}; ` +
        `raise the server's largest query limit (max_entries_limit_per_query) above ${atLeast} and run the export again (with --resume when it wrote to --out)`,
    );
  for (;;) {
    const ceiling = limits.max ?? MAX_GROUP_LIMIT;
    if (n >= ceiling) throw gap(`the server returns at most ${ceiling} entries per query`, n);
    const want = Math.min(n * 4, ceiling);
    let got: { page: ExportRecord[]; limit: number };
    try {
      got = await fetchWithin(fetch, ts, ts + 1n, want, limits);
    } catch (e) {
      if (e instanceof LokiClientError && e.status !== undefined && e.status >= 400 && e.status < 500 && e.status !== 429) {
        throw gap(`the server refuses a limit of ${want} (${e.message})`, n);
      }
      throw e;
    }
    if (got.page.length < got.limit) return got.page.filter((r) => r.ts === ts);
    n = got.limit;
  }
}
