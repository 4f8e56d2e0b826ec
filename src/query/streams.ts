/**
 * Turns a log query result into Loki's `streams` result and stats (shapes in src/api/envelope.ts);
 * the routes encode them.
 *
 * Default form: entries are grouped by their final label set (stream labels, structured metadata
 * and extracted labels together), each value `[ts, line]`.
 * With `X-Loki-Response-Encoding-Flags: categorize-labels` (what Grafana sends): entries are grouped
 * by their stream labels only, and each value carries `{structuredMetadata, parsed}`.
 */
import type { Labels } from '../api/model.js';
import type { LogEntry, LogStream } from '../api/envelope.js';
import { lokiStats, type LokiStats } from '../api/stats.js';
import type { LogQueryResult, ResultEntry } from './engine/log-query.js';
import { groupByLabels } from './engine/log-query.js';

/** The streams of a log query result, grouped as the response form asks. */
export function toStreams(res: LogQueryResult, direction: 'forward' | 'backward', categorizeLabels: boolean): LogStream[] {
  const order =
    direction === 'backward'
      ? (a: ResultEntry, b: ResultEntry) => (a.ts > b.ts ? -1 : a.ts < b.ts ? 1 : 0)
      : (a: ResultEntry, b: ResultEntry) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
  const streams: LogStream[] = [];
  if (categorizeLabels) {
    const byStream = new Map<number, { labels: Labels; entries: ResultEntry[] }>();
    for (const e of res.entries) {
      let g = byStream.get(e.stream.id);
      if (!g) byStream.set(e.stream.id, (g = { labels: categorize(e).stream, entries: [] }));
      g.entries.push(e);
    }
    for (const g of byStream.values()) {
      g.entries.sort(order);
      const entries: LogEntry[] = g.entries.map((e) => {
        const { metadata, parsed } = categorize(e);
        return { ts: e.ts, line: e.line, structuredMetadata: metadata, parsed };
      });
      streams.push({ stream: g.labels, entries });
    }
  } else {
    for (const g of groupByLabels(res.entries)) {
      g.entries.sort(order);
      streams.push({ stream: g.labels, entries: g.entries.map((e) => ({ ts: e.ts, line: e.line })) });
    }
  }
  return streams;
}

/** Loki's stats for a log query result. */
export function logQueryStats(res: LogQueryResult): LokiStats {
  const s = res.stats;
  return lokiStats({
    execTimeSeconds: s.execSeconds,
    bytesProcessed: s.bytesProcessed,
    linesProcessed: s.linesProcessed,
    headBytesProcessed: s.headBytesProcessed,
    headLinesProcessed: s.headLinesProcessed,
    postFilterLines: res.entries.length,
    entriesReturned: res.entries.length,
    chunksRef: s.blocksTotal,
    chunksDownloaded: s.blocksRead,
    totalStreams: s.streams,
  });
}

/** Splits an entry's final labels into stream labels, structured metadata and parsed labels. */
function categorize(e: ResultEntry): { stream: Labels; metadata: Labels; parsed: Labels } {
  const stream: Labels = {};
  const metadata: Labels = {};
  const parsed: Labels = {};
  const orig = e.stream.labels;
  const md = e.metadata;
  for (const k of Object.keys(e.labels)) {
    const v = e.labels[k]!;
    if (k in orig) stream[k] = v;
    else if (md && k in md) metadata[k] = v;
    else parsed[k] = v;
  }
  return { stream, metadata, parsed };
}
