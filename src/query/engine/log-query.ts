/**
 * Log query evaluation: selector → streams → blocks (bloom-pruned) → pipeline → the `limit` newest
 * (backward) or oldest (forward) entries in [from, to).
 *
 * Blocks are visited in time order for the direction and reading stops as soon as no remaining block
 * can hold an entry that would make the cut, so `{job="x"}` with limit 100 reads only the newest
 * blocks. Decoding and filtering run through a BlockScanner, which spreads batches of blocks over
 * worker threads for large queries (see ./block-scanner.ts).
 */
import type { Entry, Labels } from '../../api/model.js';
import type { BlockRef, StoreReader, StreamInfo } from '../../store/store.js';
import type { LogExpr } from '../../logql/syntax/ast.js';
import type { BlockScanner, ScannedEntry } from './block-scanner.js';
import { extractFilterHints } from '../../logql/pipeline/hints.js';
import { damagedBlocksWarning } from '../../store/damaged-block.js';

export type Direction = 'forward' | 'backward';

export interface LogQueryRequest {
  tenant: string;
  expr: LogExpr;
  /** Inclusive start, nanoseconds. */
  from: bigint;
  /** Exclusive end, nanoseconds. */
  to: bigint;
  direction: Direction;
  limit: number;
  signal?: AbortSignal;
}

/** One result entry with what the response encoders need to categorise its labels. */
export interface ResultEntry extends ScannedEntry {
  stream: StreamInfo;
}

export interface QueryStats {
  /** Line bytes examined (UTF-16 units; equal to bytes for ASCII). */
  bytesProcessed: number;
  linesProcessed: number;
  /** Of those, the ones in in-memory head blocks. */
  headBytesProcessed: number;
  headLinesProcessed: number;
  blocksTotal: number;
  blocksRead: number;
  streams: number;
  execSeconds: number;
}

export interface LogQueryResult {
  entries: ResultEntry[];
  stats: QueryStats;
  /** Loki's top-level `warnings`: e.g. damaged blocks that were skipped (issue #8). */
  warnings?: string[];
}

/** How many blocks are handed to the scanner at once; enough to keep two workers busy. */
const BATCH_BLOCKS = 16;

export async function evaluateLogQuery(store: StoreReader, scanner: BlockScanner, q: LogQueryRequest): Promise<LogQueryResult> {
  const started = performance.now();
  const streams = store.streams(q.tenant, q.expr.matchers, q.from, q.to);
  const byId = new Map<number, StreamInfo>();
  for (const s of streams) byId.set(s.id, s);
  const hints = extractFilterHints(q.expr.pipeline);
  const refs = streams.length === 0 ? [] : store.blocks(q.tenant, [...byId.keys()], q.from, q.to, { required: hints.required });
  const backward = q.direction === 'backward';
  refs.sort(backward ? (a, b) => cmp(b.maxTs, a.maxTs) : (a, b) => cmp(a.minTs, b.minTs));

  const stats: QueryStats = { bytesProcessed: 0, linesProcessed: 0, headBytesProcessed: 0, headLinesProcessed: 0, blocksTotal: refs.length, blocksRead: 0, streams: streams.length, execSeconds: 0 };
  let kept: ResultEntry[] = [];
  // The timestamp an entry must beat to make the cut, once `limit` entries are held.
  let bound: bigint | undefined;
  const order = backward ? (a: ResultEntry, b: ResultEntry) => cmp(b.ts, a.ts) : (a: ResultEntry, b: ResultEntry) => cmp(a.ts, b.ts);
  const prune = () => {
    kept.sort(order);
    if (kept.length > q.limit) kept.length = q.limit;
    if (kept.length >= q.limit && q.limit > 0) bound = kept[kept.length - 1]!.ts;
  };

  const damaged: BlockRef[] = [];
  let i = 0;
  while (i < refs.length) {
    if (q.signal?.aborted) throw q.signal.reason ?? new Error('query aborted');
    if (bound !== undefined) {
      const next = refs[i]!;
      if (backward ? next.maxTs < bound : next.minTs > bound) break;
    }
    const batch: BlockRef[] = [];
    while (i < refs.length && batch.length < BATCH_BLOCKS) {
      const r = refs[i]!;
      if (bound !== undefined && (backward ? r.maxTs < bound : r.minTs > bound)) break;
      batch.push(r);
      i++;
    }
    if (batch.length === 0) break;
    const scanned = await scanner.scan({ refs: batch, streams: byId, stages: q.expr.pipeline, from: q.from, to: q.to, limit: q.limit, direction: q.direction, signal: q.signal });
    stats.blocksRead += batch.length;
    stats.bytesProcessed += scanned.bytes;
    stats.linesProcessed += scanned.lines;
    for (const d of scanned.damaged ?? []) damaged.push(d.ref);
    stats.headBytesProcessed += scanned.headBytes ?? 0;
    stats.headLinesProcessed += scanned.headLines ?? 0;
    for (const e of scanned.entries) {
      const stream = byId.get(e.streamId)!;
      (e as ResultEntry).stream = stream;
      kept.push(e as ResultEntry);
    }
    if (kept.length >= q.limit) prune();
  }
  prune();
  stats.execSeconds = (performance.now() - started) / 1000;
  return damaged.length > 0 ? { entries: kept, stats, warnings: [damagedBlocksWarning(damaged)] } : { entries: kept, stats };
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Groups result entries into streams keyed by their final label set, as Loki's default response does. */
export function groupByLabels(entries: ResultEntry[]): { labels: Labels; entries: ResultEntry[] }[] {
  const groups = new Map<string, { labels: Labels; entries: ResultEntry[] }>();
  for (const e of entries) {
    const key = labelKey(e.labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels: e.labels, entries: [] }));
    g.entries.push(e);
  }
  return [...groups.values()];
}

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  let s = '';
  for (const k of keys) s += k + '\u0000' + labels[k] + '\u0001';
  return s;
}

export type { Entry };
