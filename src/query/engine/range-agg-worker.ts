/**
 * Worker-thread side of ./range-agg-pool.ts: reads sealed block regions from their files, decodes
 * them, runs the pipeline and the sample extractor, and answers each series' samples as typed
 * arrays (transferred, not copied).
 */
import { readRegion } from '../../util/read-region.js';
import { parentPort } from 'node:worker_threads';
import type { Labels } from '../../api/model.js';
import { isLogwharfError } from '../../api/errors.js';
import { compilePipeline } from '../../logql/pipeline/compile.js';
import type { RangeAggregationExpr } from '../../logql/syntax/ast.js';
import { decodeBlockPayload, decodeBlockStatsPacked, isSplitRegion, splitStatsLength, SPLIT_HEADER, STATS_PROBE_BYTES } from '../../store/block-codec.js';
import type { BlockRef } from '../../store/store.js';
import { accumulateEntries, accumulatePackedStats, accumulateStats, SeriesSet, type StreamState, type WireSeries } from './range-accumulate.js';
import { createSampleExtractor } from './sample-extractor.js';

export interface RangeAggJob {
  id: number;
  /** Sealed ('file') blocks only. */
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
}

export interface RangeAggReply {
  id: number;
  series: WireSeries[];
  lines: number;
  bytes: number;
  error?: { message: string; code?: string };
  /** Blocks that do not decode (issue #8), skipped; the parent thread reports them to the store. */
  damaged?: Array<{ ref: BlockRef; reason: string }>;
}

function run(job: RangeAggJob): RangeAggReply {
  const pipeline = compilePipeline(job.expr.range.log.pipeline);
  const extractor = createSampleExtractor(job.expr);
  const series = new SeriesSet(job.maxSeries, extractor.needsValues);
  const states = new Map<number, StreamState>();
  const counts = { lines: 0, bytes: 0 };
  const damaged: NonNullable<RangeAggReply['damaged']> = [];
  for (const ref of job.refs) {
    if (ref.location.kind !== 'file') continue;
    try {
      let st = states.get(ref.streamId);
      if (!st) {
        const labels = job.streams[ref.streamId] ?? {};
        states.set(ref.streamId, (st = { labels, pipeline: pipeline.forStream(labels), lastLabels: undefined, lastSeries: undefined }));
      }
      const { path, offset, length } = ref.location;
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
            continue;
          }
        }
      }
      const entries = decodeBlockPayload(readRegion(path, offset, length));
      accumulateEntries(entries, st, extractor, series, job.base, job.last, counts);
    } catch (e) {
      // Query errors and file-system errors (a segment compacted away) are not damage.
      if (isLogwharfError(e) || (e as NodeJS.ErrnoException).code !== undefined) throw e;
      damaged.push({ ref, reason: (e as Error).message });
    }
  }
  const reply: RangeAggReply = { id: job.id, series: series.toWire(), lines: counts.lines, bytes: counts.bytes };
  if (damaged.length > 0) reply.damaged = damaged;
  return reply;
}

parentPort?.on('message', (job: RangeAggJob) => {
  let reply: RangeAggReply;
  try {
    reply = run(job);
  } catch (e) {
    const error = isLogwharfError(e) ? { message: e.message, code: e.code } : { message: (e as Error).message };
    reply = { id: job.id, series: [], lines: 0, bytes: 0, error };
  }
  const transfer: ArrayBuffer[] = [];
  for (const s of reply.series) transfer.push(s.t.buffer as ArrayBuffer, s.v.buffer as ArrayBuffer);
  parentPort!.postMessage(reply, transfer);
});
