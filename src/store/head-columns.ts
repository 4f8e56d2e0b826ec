/**
 * What a query reads of a stream's in-memory head (./head.ts `Head.columns`): its entries as
 * columns — timestamps in time order, each line's UTF-8 size, where each line's bytes start in the
 * head's buffer, and structured metadata — instead of one Entry object and one string per line.
 *
 * Why (issue #12, fresh data as fast as cold): count-like range aggregations without a pipeline
 * (the stats path of src/query/engine/range-agg.ts) need only times and sizes, which the head has
 * at hand; making strings of every line and copying them to a query worker one by one made a count
 * over fresh data 2–3× slower than over sealed blocks. Queries that need the lines get them decoded
 * where they run (a worker thread), from one buffer posted as bytes.
 *
 * Plain typed arrays and objects, so a BlockRef holding it can be posted to a worker thread.
 */
import type { Entry, Labels } from '../api/model.js';
import type { BlockStats } from './block-codec.js';

export interface HeadColumns {
  /** Timestamps in time order (ties in append order). */
  ts: BigInt64Array;
  /**
   * `ts[k] - ts[0]` in ns as exact numbers, when every one is a safe integer (a head spanning less
   * than 104 days): the stats path's times without a bigint per entry.
   */
  offsets?: Float64Array;
  /** Each line's UTF-8 byte length, in the order of `ts`. */
  sizes: Uint32Array;
  /**
   * Where each line's bytes start in `data` (order of `ts`). Both absent in a copy made for the
   * stats path (`statsColumns`), which reads no line.
   */
  starts?: Uint32Array;
  data?: Uint8Array;
  /** Structured metadata; absent when no entry has any. */
  metadata?: MetadataColumn;
}

/**
 * Each entry's structured metadata as an index into the distinct sets: entry k has `sets[ids[k] - 1]`,
 * or none where `ids[k]` is 0. Ingest shares one object per set (detected_level), so posting this to a
 * worker copies one typed array and a few objects instead of an object reference per entry, and the
 * sets keep their identity (the stats path caches series by metadata object).
 */
export interface MetadataColumn {
  ids: Uint32Array;
  sets: Labels[];
}

/** Builds the column from per-entry metadata (undefined or empty = none), by object identity. */
export function metadataColumn(n: number, at: (k: number) => Labels | undefined): MetadataColumn | undefined {
  let ids: Uint32Array | undefined;
  const sets: Labels[] = [];
  const seen = new Map<Labels, number>();
  // Runs of one object are the common case: compared before any map lookup.
  let last: Labels | undefined;
  let lastId = 0;
  for (let k = 0; k < n; k++) {
    const m = at(k);
    if (m === undefined) continue;
    if (m !== last) {
      if (!hasKeys(m)) continue;
      let id = seen.get(m);
      if (id === undefined) {
        sets.push(m);
        seen.set(m, (id = sets.length));
      }
      last = m;
      lastId = id;
    }
    (ids ??= new Uint32Array(n))[k] = lastId;
  }
  return ids ? { ids, sets } : undefined;
}

/** Each entry's metadata (undefined = none), as entries and block stats carry it. */
export function metadataArray(c: MetadataColumn): Array<Labels | undefined> {
  const { ids, sets } = c;
  const out = new Array<Labels | undefined>(ids.length);
  for (let k = 0; k < ids.length; k++) out[k] = ids[k] === 0 ? undefined : sets[ids[k]! - 1];
  return out;
}

function hasKeys(m: Labels): boolean {
  for (const _ in m) return true;
  return false;
}

/** The entries `lo` to `hi` (exclusive; default all), in time order (the order of readBlock). */
export function columnsEntries(c: HeadColumns, lo = 0, hi = c.ts.length): Entry[] {
  const { ts, sizes, starts, data, metadata } = c;
  if (!starts || !data) throw new Error('head columns without lines (a stats-only copy) cannot give entries');
  // A view, not a copy: in a worker thread `data` arrives as a plain Uint8Array.
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: Entry[] = new Array(Math.max(0, hi - lo));
  for (let k = lo; k < hi; k++) {
    const s = starts[k]!;
    const e: Entry = { ts: ts[k]!, line: sizes[k] === 0 ? '' : buf.toString('utf8', s, s + sizes[k]!) };
    const id = metadata?.ids[k];
    if (id) e.metadata = metadata!.sets[id - 1]!;
    out[k - lo] = e;
  }
  return out;
}

/** The index range `[lo, hi)` of the entries with `from <= ts < to` (ts is in time order). */
export function columnsRange(c: HeadColumns, from: bigint, to: bigint): [number, number] {
  return [firstAtOrAfter(c.ts, from), firstAtOrAfter(c.ts, to)];
}

function firstAtOrAfter(ts: BigInt64Array, t: bigint): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The stats of ./block-codec.ts (the Store's readBlockStats) without reading a line. */
export function columnsStats(c: HeadColumns): BlockStats {
  return c.metadata ? { ts: c.ts, sizes: c.sizes, hasMetadata: true, metadata: metadataArray(c.metadata) } : { ts: c.ts, sizes: c.sizes, hasMetadata: false };
}

/** A copy to post to a worker for the stats path: times, sizes and metadata, no line bytes. */
export function statsColumns(c: HeadColumns): HeadColumns {
  const { ts, sizes, offsets, metadata } = c;
  const out: HeadColumns = { ts, sizes };
  if (offsets) out.offsets = offsets;
  if (metadata) out.metadata = metadata;
  return out;
}

/**
 * A copy to post to a worker that reads the lines: `data` trimmed to the bytes the lines use.
 * (Posting a view copies its whole underlying buffer, which a head allocates with room to grow.)
 * The copy is kept with the columns it came from, which a head caches until its next add: queries
 * at once after ingest (the fresh phase of issue #12) read the same unchanged heads again and again,
 * and a new copy per query was ~10 MB of garbage each on the main thread at 2M lines.
 */
export function postableColumns(c: HeadColumns): HeadColumns {
  const { data } = c;
  if (!data || data.byteLength === data.buffer.byteLength) return c;
  let p = postable.get(c);
  if (!p) postable.set(c, (p = { ...c, data: new Uint8Array(data) }));
  return p;
}

const postable = new WeakMap<HeadColumns, HeadColumns>();

/** Columns of entries already in time order (stores other than the engine, tests). */
export function columnsFromEntries(entries: readonly Entry[]): HeadColumns {
  const n = entries.length;
  const ts = new BigInt64Array(n);
  const sizes = new Uint32Array(n);
  const starts = new Uint32Array(n);
  const lines: Buffer[] = new Array(n);
  let p = 0;
  for (let k = 0; k < n; k++) {
    const e = entries[k]!;
    ts[k] = e.ts;
    const b = Buffer.from(e.line, 'utf8');
    lines[k] = b;
    starts[k] = p;
    sizes[k] = b.length;
    p += b.length;
  }
  const c: HeadColumns = { ts, sizes, starts, data: Buffer.concat(lines, p) };
  const metadata = metadataColumn(n, (k) => entries[k]!.metadata);
  if (metadata) c.metadata = metadata;
  return c;
}
