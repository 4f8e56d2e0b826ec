/**
 * The stats path of range aggregations (./range-agg.ts `statsPathApplies`) over an in-memory head:
 * the samples accumulateStats (./range-accumulate.ts) makes of a sealed block's stats, made from the
 * head's columns (src/store/head-columns.ts) — times as exact number offsets, UTF-8 line sizes,
 * metadata as set ids — so a count over fresh data reads no line, makes no bigint per entry and
 * looks up one series per distinct metadata set, not per entry.
 */
import type { Labels } from '../../api/model.js';
import type { HeadColumns } from '../../store/head-columns.js';
import type { SeriesSamples, SeriesSet, StreamState } from './range-accumulate.js';
import type { SampleExtractor } from './sample-extractor.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Adds the head's entries in (base, last] to their series: the value is the line's UTF-8 size
 * (used by bytes_over_time, bytes_rate; the count operations count samples). Adds to `counts` the
 * entries in range and their UTF-8 sizes, as accumulateStats does.
 */
export function accumulateHeadStats(
  c: HeadColumns,
  st: StreamState,
  extractor: SampleExtractor,
  series: SeriesSet,
  base: bigint,
  last: bigint,
  counts: { lines: number; bytes: number },
): void {
  const { ts, sizes, offsets, metadata } = c;
  // Time order: the entries in range are one run, found by binary search.
  const lo = firstAfter(ts, base);
  const hi = firstAfter(ts, last);
  if (lo >= hi) return;
  const f = ts[0]! - base;
  // Relative times as numbers when they are safe integers (as accumulatePackedStats decides).
  const fast = offsets !== undefined && f <= MAX_SAFE && -f <= MAX_SAFE && f + BigInt(offsets[hi - 1]!) <= MAX_SAFE;
  const fn = Number(f);
  const ids = metadata?.ids;
  // The series of each metadata set id (0: none); null when the stream yields no sample.
  const bySet: Array<SeriesSamples | null | undefined> = [];
  let bytes = 0;
  for (let j = lo; j < hi; j++) {
    const id = ids === undefined ? 0 : ids[j]!;
    let acc = bySet[id];
    if (acc === undefined) acc = bySet[id] = seriesOf(st, extractor, series, ts[j]!, id === 0 ? undefined : metadata!.sets[id - 1]);
    const size = sizes[j]!;
    bytes += size;
    if (acc !== null) acc.push(fast ? fn + offsets![j]! : Number(ts[j]! - base), size);
  }
  counts.lines += hi - lo;
  counts.bytes += bytes;
}

/** Index of the first timestamp after `t` (ts ascending). */
function firstAfter(ts: BigInt64Array, t: bigint): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The series an entry with this metadata falls into: no pipeline, so the labels decide it alone. */
function seriesOf(st: StreamState, extractor: SampleExtractor, series: SeriesSet, t: bigint, metadata: Labels | undefined): SeriesSamples | null {
  const r = st.pipeline.process(t, '', metadata);
  const sample = r === null ? null : extractor.extract(t, r);
  return sample === null ? null : series.get(sample.labels);
}
