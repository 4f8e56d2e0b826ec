/**
 * A range aggregation job, run in a query worker (./query-worker.ts) for ./range-agg.ts: reads
 * sealed block regions from their files (head blocks arrive with their entries), decodes them, runs
 * the pipeline and the sample extractor, and answers each series' samples as typed arrays
 * (transferred, not copied: see rangeAggTransfer).
 */
import type { Transferable } from 'node:worker_threads';
import { readRegion } from '../../util/read-region.js';
import type { Labels } from '../../api/model.js';
import { compilePipeline } from '../../logql/pipeline/compile.js';
import type { RangeAggregationExpr } from '../../logql/syntax/ast.js';
import { decodeBlockPayload, decodeBlockStatsPacked, isSplitRegion, splitStatsLength, SPLIT_HEADER, STATS_PROBE_BYTES } from '../../store/block-codec.js';
import type { BlockRef } from '../../store/store.js';
import { accumulateEntries, accumulatePackedStats, accumulateStats, SeriesSet, type StreamState, type WireSeries } from './range-accumulate.js';
import { createSampleExtractor } from './sample-extractor.js';

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
}

export interface RangeAggReply {
  series: WireSeries[];
  lines: number;
  bytes: number;
  /** Of lines and bytes, those from in-memory head blocks. */
  headLines: number;
  headBytes: number;
}

export function runRangeAggJob(job: RangeAggJob): RangeAggReply {
  const pipeline = compilePipeline(job.expr.range.log.pipeline);
  const extractor = createSampleExtractor(job.expr);
  const series = new SeriesSet(job.maxSeries, extractor.needsValues);
  const states = new Map<number, StreamState>();
  const counts = { lines: 0, bytes: 0 };
  const head = { lines: 0, bytes: 0 };
  for (const ref of job.refs) {
    let st = states.get(ref.streamId);
    if (!st) {
      const labels = job.streams[ref.streamId] ?? {};
      states.set(ref.streamId, (st = { labels, pipeline: pipeline.forStream(labels), lastLabels: undefined, lastSeries: undefined }));
    }
    if (ref.location.kind === 'head') {
      const l0 = counts.lines;
      const b0 = counts.bytes;
      accumulateEntries(ref.location.entries, st, extractor, series, job.base, job.last, counts);
      head.lines += counts.lines - l0;
      head.bytes += counts.bytes - b0;
      continue;
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
  }
  return { series: series.toWire(), lines: counts.lines, bytes: counts.bytes, headLines: head.lines, headBytes: head.bytes };
}

/** The reply's sample arrays, moved to the pool's thread instead of copied. */
export function rangeAggTransfer(reply: RangeAggReply): Transferable[] {
  const list: Transferable[] = [];
  for (const s of reply.series) list.push(s.t.buffer as ArrayBuffer, s.v.buffer as ArrayBuffer);
  return list;
}
