/**
 * A range aggregation job, run in a query worker (./query-worker.ts) for ./range-agg.ts: reads
 * sealed block regions from their files (head blocks arrive as columns: src/store/head-columns.ts), decodes them, runs
 * the pipeline and the sample extractor a piece of lines at a time (../../store/block-pieces.ts:
 * a block's strings never all live at once, issue #12), and answers each series' samples as typed arrays
 * (transferred, not copied: see rangeAggTransfer).
 */
import type { Transferable } from 'node:worker_threads';
import { readRegion } from '../../util/read-region.js';
import type { Labels } from '../../api/model.js';
import { compilePipeline } from '../../logql/pipeline/compile.js';
import type { RangeAggregationExpr } from '../../logql/syntax/ast.js';
import { decodeBlockPayload, decodeBlockStatsPacked, isSplitRegion, splitStatsLength, SPLIT_HEADER, STATS_PROBE_BYTES } from '../../store/block-codec.js';
import type { BlockRef } from '../../store/store.js';
import { columnsEntries } from '../../store/head-columns.js';
import { accumulateHeadStats } from './head-stats.js';
import type { WindowParams } from './range-functions.js';
import { decodeBlockPacked, type PackedBlock } from '../../store/block-packed.js';
import { decodeBlockPieces, forEachPiece } from '../../store/block-pieces.js';
import { accumulateEntries, accumulatePackedEntries, accumulatePackedStats, accumulateStats, SeriesSet, type StreamState, type WireSeries } from './range-accumulate.js';
import { createSampleExtractor, parserHints, type SampleExtractor } from './sample-extractor.js';
import { isLogwharfError } from '../../api/errors.js';

export interface RangeAggJob {
  refs: BlockRef[];
  streams: Record<number, Labels>;
  expr: RangeAggregationExpr;
  /** Entries in (base, last] count; sample times are relative to base. */
  base: bigint;
  last: bigint;
  maxSeries?: number;
  /**
   * The stats path (statsPathApplies in ./range-agg.ts): read only the timestamps, sizes and
   * metadata of split regions; older blocks are decoded whole.
   */
  stats?: boolean;
  /** Parser hints as the calling thread decided (./sample-extractor.ts `parserHints`). */
  parserHints?: boolean;
  /** Count-like operations: the windows, so series come back as LineWindows, not samples. */
  lines?: WindowParams;
}

export interface RangeAggReply {
  series: WireSeries[];
  lines: number;
  bytes: number;
  /** Of lines and bytes, those from in-memory head blocks. */
  headLines: number;
  headBytes: number;
  /** Blocks that do not decode (issue #8), skipped; the calling thread reports them to the store. */
  damaged?: Array<{ ref: BlockRef; reason: string }>;
}

export function runRangeAggJob(job: RangeAggJob): RangeAggReply {
  const pipeline = compilePipeline(job.expr.range.log.pipeline, { labels: job.parserHints ? parserHints(job.expr) : null });
  const extractor = createSampleExtractor(job.expr);
  // Only templates and unwrap's extraction read an entry's time: otherwise none is made per entry.
  const needTs = pipeline.readsTimestamp || job.expr.range.unwrap !== undefined;
  const series = new SeriesSet(job.maxSeries, extractor.needsValues, job.lines);
  const states = new Map<number, StreamState>();
  const counts = { lines: 0, bytes: 0 };
  const head = { lines: 0, bytes: 0 };
  const damaged: NonNullable<RangeAggReply['damaged']> = [];
  for (const ref of job.refs) {
    let st = states.get(ref.streamId);
    if (!st) {
      const labels = job.streams[ref.streamId] ?? {};
      states.set(ref.streamId, (st = { labels, pipeline: pipeline.forStream(labels), lastLabels: undefined, lastSeries: undefined }));
    }
    if (ref.location.kind === 'head') {
      const l0 = counts.lines;
      const b0 = counts.bytes;
      const cols = ref.location.columns;
      // The stats path reads the head's times and sizes; the calling thread sent no line bytes then.
      if (job.stats) accumulateHeadStats(cols, st, extractor, series, job.base, job.last, counts);
      // A piece at a time (../../store/block-pieces.ts): a head's strings never all live at once.
      else forEachPiece(0, cols.ts.length, false, (lo, hi) => accumulateEntries(columnsEntries(cols, lo, hi), st!, extractor, series, job.base, job.last, counts));
      head.lines += counts.lines - l0;
      head.bytes += counts.bytes - b0;
      continue;
    }
    try {
      accumulateFileBlock(job, ref.location, st, extractor, series, counts, needTs);
    } catch (e) {
      // Query errors and file-system errors (a segment compacted away) are not damage.
      if (isLogwharfError(e) || (e as NodeJS.ErrnoException).code !== undefined) throw e;
      damaged.push({ ref, reason: (e as Error).message });
    }
  }
  const reply: RangeAggReply = { series: series.toWire(), lines: counts.lines, bytes: counts.bytes, headLines: head.lines, headBytes: head.bytes };
  if (damaged.length > 0) reply.damaged = damaged;
  return reply;
}

/** One sealed block: its stats frame when the job allows and the block has one, else the whole payload. */
function accumulateFileBlock(
  job: RangeAggJob,
  loc: { path: string; offset: number; length: number },
  st: StreamState,
  extractor: SampleExtractor,
  series: SeriesSet,
  counts: { lines: number; bytes: number },
  needTs: boolean,
): void {
  const { path, offset, length } = loc;
  if (job.stats) {
    let prefix = readRegion(path, offset, Math.min(length, STATS_PROBE_BYTES));
    if (isSplitRegion(prefix)) {
      const need = SPLIT_HEADER + splitStatsLength(prefix);
      if (need > length) throw new Error(`corrupt block in ${path} at ${offset}: stats frame beyond the block`);
      if (need > prefix.length) prefix = readRegion(path, offset, need);
      const stats = decodeBlockStatsPacked(prefix);
      if (!stats.hasMetadata || stats.metadata) {
        if ('offsets' in stats) accumulatePackedStats(stats, st, extractor, series, job.base, job.last, counts);
        else accumulateStats(stats, st, extractor, series, job.base, job.last, counts);
        return;
      }
    }
  }
  const region = readRegion(path, offset, length);
  const pieces = decodeBlockPieces(region);
  if (pieces !== null) {
    const { first, offsets, metadata } = pieces;
    forEachPiece(0, offsets.length, false, (lo, hi) => {
      const piece: PackedBlock = { first, offsets: offsets.subarray(lo, hi), lines: pieces.lines(lo, hi) };
      if (metadata) piece.metadata = metadata.slice(lo, hi);
      accumulatePackedEntries(piece, st, extractor, series, job.base, job.last, counts, needTs);
    });
    return;
  }
  const packed = decodeBlockPacked(region);
  if (packed !== null) accumulatePackedEntries(packed, st, extractor, series, job.base, job.last, counts, needTs);
  else accumulateEntries(decodeBlockPayload(region), st, extractor, series, job.base, job.last, counts);
}

/** The reply's sample arrays, moved to the pool's thread instead of copied. */
export function rangeAggTransfer(reply: RangeAggReply): Transferable[] {
  const list: Transferable[] = [];
  for (const s of reply.series) {
    list.push(s.t.buffer as ArrayBuffer, s.v.buffer as ArrayBuffer);
    if (s.windows) {
      list.push(s.windows.hits.buffer as ArrayBuffer);
      if (s.windows.sums !== s.windows.hits) list.push(s.windows.sums.buffer as ArrayBuffer);
    }
  }
  return list;
}
