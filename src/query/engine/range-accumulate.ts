/**
 * Turning decoded entries into per-series samples for range aggregations (./range-agg.ts), shared
 * by the calling thread and the worker threads (./range-agg-worker.ts), whose series come back as
 * plain arrays (`WireSeries`) and are merged here.
 */
import { LogwharfError } from '../../api/errors.js';
import type { Entry, Labels } from '../../api/model.js';
import type { StreamPipeline } from '../../logql/pipeline/types.js';
import { evaluateLineWindows, LineWindows, type SortedSamples, type WindowParams } from './range-functions.js';
import type { SampleExtractor } from './sample-extractor.js';
import type { PackedBlock } from '../../store/block-packed.js';

export interface StreamState {
  labels: Labels;
  pipeline: StreamPipeline;
  /** The label object of this stream's last sample and its series: most entries repeat them. */
  lastLabels: Labels | undefined;
  lastSeries: SeriesSamples | undefined;
}

/** A series' samples as posted between threads: times relative to the query base (ns), values. */
export interface WireSeries {
  labels: Labels;
  t: Float64Array;
  /** Empty when the operation needs no values. */
  v: Float64Array;
  /** Instead of samples (then t and v are empty): LineWindows' difference arrays (`sums` is `hits` unless bytes are summed). */
  windows?: { hits: Float64Array; sums: Float64Array };
}

/**
 * Runs one block's entries in (base, last] through the stream's pipeline and the extractor, and
 * appends the samples to their series. Adds to `counts` the entries examined and their line lengths.
 */
export function accumulateEntries(
  entries: Entry[],
  st: StreamState,
  extractor: SampleExtractor,
  series: SeriesSet,
  base: bigint,
  last: bigint,
  counts: { lines: number; bytes: number },
): void {
  let lines = 0;
  let bytes = 0;
  for (let j = 0; j < entries.length; j++) {
    const e = entries[j]!;
    const ts = e.ts;
    if (ts <= base || ts > last) continue;
    lines++;
    bytes += e.line.length;
    const r = st.pipeline.processView(ts, e.line, e.metadata);
    if (r === null) continue;
    const sample = extractor.extractView(ts, r);
    if (sample === null) continue;
    const acc = seriesOf(st, series, sample.labels);
    acc.push(Number(ts - base), sample.value);
  }
  counts.lines += lines;
  counts.bytes += bytes;
}

/** The series of a sample's labels; the stream's last one is kept, as most entries repeat it. */
function seriesOf(st: StreamState, series: SeriesSet, labels: Labels): SeriesSamples {
  if (labels === st.lastLabels) return st.lastSeries!;
  const acc = series.get(labels);
  st.lastLabels = labels;
  st.lastSeries = acc;
  return acc;
}

/**
 * accumulateEntries over a packed block (../../store/block-packed.ts): the same samples, with
 * number arithmetic on the exact ns offsets and no bigint per entry unless `needTs` (a pipeline
 * stage or the extractor reads the timestamp; otherwise they are passed 0n). Falls back to entries
 * when a relative time would not be a safe integer.
 */
export function accumulatePackedEntries(
  block: PackedBlock,
  st: StreamState,
  extractor: SampleExtractor,
  series: SeriesSet,
  base: bigint,
  last: bigint,
  counts: { lines: number; bytes: number },
  needTs: boolean,
): void {
  const { first, offsets, lines: text, metadata } = block;
  const n = offsets.length;
  const f = first - base;
  const span = last - base;
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  if (n === 0 || f > limit || -f > limit || span > limit || -span > limit || f + BigInt(offsets[n - 1]!) > limit) {
    const entries: Entry[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const e: Entry = { ts: first + BigInt(offsets[i]!), line: text[i]! };
      if (metadata?.[i]) e.metadata = metadata[i]!;
      entries[i] = e;
    }
    accumulateEntries(entries, st, extractor, series, base, last, counts);
    return;
  }
  const fn = Number(f);
  const spanN = Number(span);
  let lines = 0;
  let bytes = 0;
  for (let j = 0; j < n; j++) {
    const rel = fn + offsets[j]!;
    if (rel <= 0 || rel > spanN) continue;
    const line = text[j]!;
    lines++;
    bytes += line.length;
    const ts = needTs ? base + BigInt(rel) : 0n;
    const r = st.pipeline.processView(ts, line, metadata === undefined ? undefined : metadata[j]);
    if (r === null) continue;
    const sample = extractor.extractView(ts, r);
    if (sample === null) continue;
    const acc = seriesOf(st, series, sample.labels);
    acc.push(rel, sample.value);
  }
  counts.lines += lines;
  counts.bytes += bytes;
}

/** What accumulateStats needs of a block (the Store's optional readBlockStats). */
export interface BlockStatsLike {
  ts: BigInt64Array | bigint[];
  sizes: Uint32Array;
  /** Each entry's structured metadata (undefined = none); absent when no entry has any. */
  metadata?: Array<Labels | undefined> | undefined;
}

/**
 * One sample of the stats path with structured metadata, whose labels join the series labels as
 * in accumulateEntries. Without pipeline stages the series depends on the metadata alone, so it is
 * cached per metadata object (`bySeries`, one block's; the stats decoders share equal ones).
 */
function pushWithMetadata(
  st: StreamState,
  extractor: SampleExtractor,
  series: SeriesSet,
  bySeries: Map<Labels | undefined, SeriesSamples | null>,
  t: bigint,
  rel: number,
  size: number,
  metadata: Labels | undefined,
): void {
  let acc = bySeries.get(metadata);
  if (acc === undefined) {
    acc = null;
    const r = st.pipeline.process(t, '', metadata);
    const sample = r === null ? null : extractor.extract(t, r);
    if (sample !== null) acc = series.get(sample.labels);
    bySeries.set(metadata, acc);
  }
  if (acc !== null) acc.push(rel, size);
}

/**
 * The stats path of count-like operations without pipeline or unwrap (see statsPathApplies): the
 * same samples accumulateEntries makes, from a block's timestamps, line sizes and metadata alone. `bytes`: the value is
 * the line's UTF-8 size (bytes_over_time, bytes_rate), else 1. `counts.bytes` adds UTF-8 sizes
 * here (the entry path adds UTF-16 lengths; equal for ASCII lines).
 */
export function accumulateStats(
  block: BlockStatsLike,
  st: StreamState,
  extractor: SampleExtractor,
  series: SeriesSet,
  base: bigint,
  last: bigint,
  counts: { lines: number; bytes: number },
): void {
  const { ts, sizes, metadata } = block;
  const n = ts.length;
  const bySeries = new Map<Labels | undefined, SeriesSamples | null>();
  let acc: SeriesSamples | undefined;
  let lines = 0;
  let bytes = 0;
  for (let j = 0; j < n; j++) {
    const t = ts[j]!;
    if (t <= base || t > last) continue;
    if (metadata) {
      lines++;
      bytes += sizes[j]!;
      pushWithMetadata(st, extractor, series, bySeries, t, Number(t - base), sizes[j]!, metadata[j]);
      continue;
    }
    if (acc === undefined) {
      acc = streamSeries(st, extractor, series, t);
      if (acc === undefined) return;
    }
    lines++;
    const size = sizes[j]!;
    bytes += size;
    acc.push(Number(t - base), size);
  }
  counts.lines += lines;
  counts.bytes += bytes;
}

/**
 * accumulateStats for packed timestamps (`first` + exact ns `offsets`, decodeBlockStatsPacked):
 * the same samples, with number arithmetic when every relative time is a safe integer.
 */
export function accumulatePackedStats(
  block: { first: bigint; offsets: Float64Array; sizes: Uint32Array; metadata?: Array<Labels | undefined> | undefined },
  st: StreamState,
  extractor: SampleExtractor,
  series: SeriesSet,
  base: bigint,
  last: bigint,
  counts: { lines: number; bytes: number },
): void {
  const { first, offsets, sizes, metadata } = block;
  const n = offsets.length;
  const f = first - base;
  const span = last - base;
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  if (n === 0 || f > limit || -f > limit || span > limit || -span > limit || f + BigInt(offsets[n - 1]!) > limit) {
    const ts: bigint[] = new Array(n);
    for (let i = 0; i < n; i++) ts[i] = first + BigInt(offsets[i]!);
    accumulateStats({ ts, sizes, metadata }, st, extractor, series, base, last, counts);
    return;
  }
  const fn = Number(f);
  const spanN = Number(span);
  const bySeries = new Map<Labels | undefined, SeriesSamples | null>();
  let acc: SeriesSamples | undefined;
  let lines = 0;
  let bytes = 0;
  for (let j = 0; j < n; j++) {
    const rel = fn + offsets[j]!;
    if (rel <= 0 || rel > spanN) continue;
    if (metadata) {
      lines++;
      bytes += sizes[j]!;
      pushWithMetadata(st, extractor, series, bySeries, base + BigInt(rel), rel, sizes[j]!, metadata[j]);
      continue;
    }
    if (acc === undefined) {
      acc = streamSeries(st, extractor, series, base + BigInt(rel));
      if (acc === undefined) return;
    }
    lines++;
    const size = sizes[j]!;
    bytes += size;
    acc.push(rel, size);
  }
  counts.lines += lines;
  counts.bytes += bytes;
}

/**
 * One output series' samples in arrival order; or, for count-like operations given their window
 * parameters (`lines`), only the difference arrays of ./range-functions.ts LineWindows.
 */
export class SeriesSamples {
  private t: number[] = [];
  private v: number[] = [];
  private inOrder = true;
  private readonly windows: LineWindows | undefined;
  constructor(
    readonly labels: Labels,
    private readonly keepValues: boolean,
    lines?: WindowParams,
  ) {
    this.windows = lines ? new LineWindows(lines) : undefined;
  }

  push(t: number, v: number): void {
    if (this.windows !== undefined) return this.windows.add(t, v);
    const n = this.t.length;
    if (n > 0 && t < this.t[n - 1]!) this.inOrder = false;
    this.t.push(t);
    if (this.keepValues) this.v.push(v);
  }

  /** Appends samples (or adds the difference arrays) from a worker. */
  append(w: WireSeries): void {
    if (w.windows !== undefined) {
      if (this.windows === undefined) throw new Error('a worker sent line windows to a series that keeps samples');
      this.windows.merge(w.windows);
      return;
    }
    const n = w.t.length;
    for (let i = 0; i < n; i++) this.push(w.t[i]!, this.keepValues ? w.v[i]! : 0);
  }

  /** The samples as arrays to post to another thread (in arrival order); empties this series. */
  toWire(): WireSeries {
    if (this.windows !== undefined) {
      return { labels: this.labels, t: new Float64Array(0), v: new Float64Array(0), windows: { hits: this.windows.hits, sums: this.windows.sums } };
    }
    const w: WireSeries = { labels: this.labels, t: Float64Array.from(this.t), v: Float64Array.from(this.v) };
    this.t = [];
    this.v = [];
    return w;
  }

  /** Count-like operations straight from the samples in arrival order (see evaluateLineWindows). */
  evaluateUnordered(p: WindowParams): Float64Array {
    if (this.windows !== undefined) return this.windows.finish();
    const r = evaluateLineWindows(this.t, this.v, this.t.length, p);
    this.t = [];
    this.v = [];
    return r;
  }

  /** The samples sorted by time; equal times keep arrival order (block order, then append order). */
  sorted(): SortedSamples {
    const n = this.t.length;
    const t = new Float64Array(n);
    const v = new Float64Array(this.keepValues ? n : 0);
    if (this.inOrder) {
      t.set(this.t);
      if (this.keepValues) v.set(this.v);
    } else {
      const idx = Array.from({ length: n }, (_, i) => i);
      const ts = this.t;
      idx.sort((a, b) => ts[a]! - ts[b]! || a - b);
      for (let i = 0; i < n; i++) {
        t[i] = ts[idx[i]!]!;
        if (this.keepValues) v[i] = this.v[idx[i]!]!;
      }
    }
    this.t = [];
    this.v = [];
    return { t, v };
  }
}

export class SeriesSet {
  /** With `lines`, every series keeps LineWindows instead of samples (count-like operations only). */
  private readonly map = new Map<string, SeriesSamples>();
  // Series by label object: the sample extractor hands out one object per group, so most lookups
  // need no key. Only the object a series was made with is kept, weakly.
  private readonly byObject = new WeakMap<Labels, SeriesSamples>();
  constructor(
    private readonly maxSeries: number | undefined,
    private readonly keepValues: boolean,
    private readonly lines?: WindowParams,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(labels: Labels): SeriesSamples {
    const known = this.byObject.get(labels);
    if (known !== undefined) return known;
    const key = seriesKey(labels);
    let s = this.map.get(key);
    if (s === undefined) {
      if (this.maxSeries !== undefined && this.maxSeries > 0 && this.map.size >= this.maxSeries) {
        // Loki's wording for its max_query_series limit.
        throw new LogwharfError('query_limit', `maximum of series (${this.maxSeries}) reached for a single query`);
      }
      s = new SeriesSamples(labels, this.keepValues, this.lines);
      this.map.set(key, s);
      this.byObject.set(labels, s);
    }
    return s;
  }

  merge(w: WireSeries): void {
    this.get(w.labels).append(w);
  }

  all(): IterableIterator<SeriesSamples> {
    return this.map.values();
  }

  toWire(): WireSeries[] {
    return [...this.map.values()].map((s) => s.toWire());
  }
}

function seriesKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  let s = '';
  for (const k of keys) s += k + '\u0000' + labels[k] + '\u0001';
  return s;
}

/**
 * The series every metadata-free entry of a stream falls into: an empty pipeline keeps every line
 * and yields the stream's labels, which the extractor groups. Undefined when the stream yields none.
 */
function streamSeries(st: StreamState, extractor: SampleExtractor, series: SeriesSet, t: bigint): SeriesSamples | undefined {
  const r = st.pipeline.process(t, '', undefined);
  if (r === null) return undefined;
  const sample = extractor.extract(t, r);
  if (sample === null) return undefined;
  return seriesOf(st, series, sample.labels);
}
