/**
 * A scan job, run in a query worker (./query-worker.ts) for ./worker-scanner.ts: reads sealed block
 * regions from their files (head blocks arrive as columns, whose lines are decoded here), decodes them and runs the
 * pipeline, answering the matching entries. Lines are made a piece at a time
 * (../../store/block-pieces.ts), so a block's strings never all live at once (issue #12). Pipelines are compiled once per distinct stage list and
 * cached for the worker's life (queries repeat).
 *
 * A job answers at most `limit` entries, the newest (backward) or oldest (forward): each block may
 * give up to `limit`, but only the job's best `limit` can make the query's cut, so the rest is
 * dropped here instead of being copied to the calling thread (issue #12: bounded result building).
 */
import { readRegion } from '../../util/read-region.js';
import type { Entry, Labels } from '../../api/model.js';
import { decodeBlockPieces, forEachPiece, type BlockPieces } from '../../store/block-pieces.js';
import type { BlockRef } from '../../store/store.js';
import type { PipelineStage } from '../../logql/syntax/ast.js';
import { decodeBlockPayload } from '../../store/block-codec.js';
import { columnsEntries, columnsRange, type HeadColumns } from '../../store/head-columns.js';
import { compilePipeline } from '../../logql/pipeline/compile.js';
import type { Pipeline, StreamPipeline } from '../../logql/pipeline/types.js';
import { ScanTally, scanEntries, type ScanResult, type ScannedEntry } from './block-scanner.js';

export interface ScanJob {
  refs: BlockRef[];
  streams: Record<number, Labels>;
  stages: PipelineStage[];
  from: bigint;
  to: bigint;
  limit: number;
  direction: 'forward' | 'backward';
}

const pipelines = new Map<string, { pipeline: Pipeline; perStream: Map<string, StreamPipeline> }>();

function streamPipeline(stages: PipelineStage[], labels: Labels): StreamPipeline {
  const key = JSON.stringify(stages);
  let c = pipelines.get(key);
  if (!c) {
    if (pipelines.size > 64) pipelines.clear();
    pipelines.set(key, (c = { pipeline: compilePipeline(stages), perStream: new Map() }));
  }
  const lk = JSON.stringify(labels);
  let sp = c.perStream.get(lk);
  if (!sp) c.perStream.set(lk, (sp = c.pipeline.forStream(labels)));
  return sp;
}

export function runScanJob(job: ScanJob): ScanResult {
  const tally = new ScanTally();
  const backward = job.direction === 'backward';
  // Once `limit` entries are held, the time an entry must reach to make the cut (the limit-th
  // newest, or oldest, so far): blocks and pieces wholly beyond it are not read, as
  // ./log-query.ts skips batches. Entries at that very time may still make it (stable order).
  let bound: bigint | undefined;
  for (const ref of job.refs) {
    if (bound !== undefined && (backward ? ref.maxTs < bound : ref.minTs > bound)) continue;
    const loc = ref.location;
    const sp = streamPipeline(job.stages, job.streams[ref.streamId] ?? {});
    if (loc.kind === 'head') scanHead(loc.columns, ref, sp, job, tally, bound);
    else {
      const region = readRegion(loc.path, loc.offset, loc.length);
      let block: BlockPieces | Entry[];
      try {
        block = decodeBlockPieces(region) ?? decodeBlockPayload(region);
      } catch (e) {
        // Damaged (issue #8): skipped here, reported to the store by the calling thread.
        tally.skip(ref, (e as Error).message);
        continue;
      }
      if (Array.isArray(block)) tally.block(ref, scanEntries(block, ref.streamId, sp, job.from, job.to, job.limit, job.direction === 'backward', tally.entries));
      else scanBlockPieces(block, ref, sp, job, tally, bound);
    }
    if (job.limit > 0 && tally.entries.length >= job.limit) {
      keepBest(tally.entries, job.limit, job.direction);
      bound = tally.entries[job.limit - 1]!.ts;
    }
  }
  if (job.limit > 0 && tally.entries.length > job.limit) keepBest(tally.entries, job.limit, job.direction);
  return tally.result();
}

/**
 * Scans one block's entries a piece at a time (../../store/block-pieces.ts): `piece(lo, hi)` makes
 * the entries of a piece, scanEntries runs the pipeline over them, and the next piece is made only
 * if the block's `limit` is not reached yet and the piece can hold an entry that makes the job's
 * cut (`bound`), so the lines examined are at most those of a whole-block scan.
 */
function scanPieces(
  lo: number,
  hi: number,
  piece: (lo: number, hi: number) => Entry[],
  tsAt: (i: number) => bigint,
  bound: bigint | undefined,
  ref: BlockRef,
  sp: StreamPipeline,
  job: ScanJob,
  tally: ScanTally,
): void {
  const backward = job.direction === 'backward';
  const start = tally.entries.length;
  const read = { bytes: 0, lines: 0 };
  forEachPiece(lo, hi, backward, (a, b) => {
    // A piece wholly beyond the job's bound (entries in time order): none of it, nor of the rest, can make the cut.
    if (bound !== undefined && (backward ? tsAt(b - 1) < bound : tsAt(a) > bound)) return false;
    const left = job.limit > 0 ? job.limit - (tally.entries.length - start) : 0;
    const r = scanEntries(piece(a, b), ref.streamId, sp, job.from, job.to, left, backward, tally.entries);
    read.bytes += r.bytes;
    read.lines += r.lines;
    return job.limit === 0 || tally.entries.length - start < job.limit;
  });
  tally.block(ref, read);
}

function scanBlockPieces(b: BlockPieces, ref: BlockRef, sp: StreamPipeline, job: ScanJob, tally: ScanTally, bound: bigint | undefined): void {
  const { first, offsets, metadata } = b;
  const entries = (lo: number, hi: number): Entry[] => {
    const lines = b.lines(lo, hi);
    const out: Entry[] = new Array(hi - lo);
    for (let i = lo; i < hi; i++) {
      const e: Entry = { ts: first + BigInt(offsets[i]!), line: lines[i - lo]! };
      const m = metadata?.[i];
      if (m) e.metadata = m;
      out[i - lo] = e;
    }
    return out;
  };
  scanPieces(0, offsets.length, entries, (i) => first + BigInt(offsets[i]!), bound, ref, sp, job, tally);
}

/**
 * A head's entries this scan can examine, decoded from its columns a piece at a time: only those
 * in [from, to), and without a pipeline (every line kept) only the `limit` nearest the direction's
 * start, which are all scanEntries would look at (the same lines, so the same stats). `newest
 * 1000` over a big head decodes 1000 lines, not the head.
 */
function scanHead(c: HeadColumns, ref: BlockRef, sp: StreamPipeline, job: ScanJob, tally: ScanTally, bound: bigint | undefined): void {
  let [lo, hi] = columnsRange(c, job.from, job.to);
  if (job.stages.length === 0 && job.limit > 0 && hi - lo > job.limit) {
    if (job.direction === 'backward') lo = hi - job.limit;
    else hi = lo + job.limit;
  }
  scanPieces(lo, hi, (a, b) => columnsEntries(c, a, b), (i) => c.ts[i]!, bound, ref, sp, job, tally);
}

/**
 * Keeps the `limit` entries that sort first for the direction. The sort is stable, as the calling
 * thread's (./log-query.ts), so among equal timestamps the same entries survive as without it.
 */
function keepBest(entries: ScannedEntry[], limit: number, direction: ScanJob['direction']): void {
  entries.sort(direction === 'backward' ? (a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0) : (a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  entries.length = limit;
}
