/**
 * Decoding blocks and running the log pipeline over them. The in-process scanner here is the
 * reference; ./worker-scanner.ts runs the same `scanEntries` in worker threads so large queries use
 * every core.
 */
import type { Entry, Labels } from '../../api/model.js';
import type { BlockRef, StoreReader, StreamInfo } from '../../store/store.js';
import type { PipelineStage } from '../../logql/syntax/ast.js';
import type { Pipeline, StreamPipeline } from '../../logql/pipeline/types.js';
import { compilePipeline } from '../../logql/pipeline/compile.js';
import { isDamagedBlock } from '../../store/damaged-block.js';

export interface ScannedEntry {
  streamId: number;
  ts: bigint;
  line: string;
  /** Final labels after the pipeline. */
  labels: Labels;
  /** The entry's structured metadata as stored. */
  metadata?: Labels;
}

export interface ScanRequest {
  refs: BlockRef[];
  streams: Map<number, StreamInfo>;
  stages: PipelineStage[];
  from: bigint;
  to: bigint;
  /** Within one block at most `limit` entries can matter for the direction; 0 = no limit (metric use). */
  limit: number;
  direction: 'forward' | 'backward';
  /** The query's deadline: aborting stops the scan (and the workers running it). */
  signal?: AbortSignal;
}

export interface ScanResult {
  entries: ScannedEntry[];
  /** Raw bytes of lines examined. */
  bytes: number;
  /** Lines examined. */
  lines: number;
  /** Blocks skipped because they are damaged (issue #8); the rest was scanned. */
  damaged?: Array<{ ref: BlockRef; reason: string }>;
  /** Of those, the ones read from in-memory head blocks (Loki's ingester share in query stats). */
  headBytes?: number;
  headLines?: number;
}

export interface BlockScanner {
  scan(req: ScanRequest): Promise<ScanResult>;
  close(): Promise<void>;
}

/**
 * What one scan read, added up block by block (or result by result, when a scan was split over
 * workers): lines and bytes examined, the in-memory heads' share of them, and the blocks skipped as
 * damaged. The one place a ScanResult is assembled.
 */
export class ScanTally {
  readonly entries: ScannedEntry[] = [];
  private bytes = 0;
  private lines = 0;
  private headBytes = 0;
  private headLines = 0;
  private readonly damaged: NonNullable<ScanResult['damaged']> = [];

  /** One block scanned with scanEntries (its entries already in `entries`). */
  block(ref: BlockRef, read: { bytes: number; lines: number }): void {
    this.bytes += read.bytes;
    this.lines += read.lines;
    if (ref.location.kind === 'head') {
      this.headBytes += read.bytes;
      this.headLines += read.lines;
    }
  }

  /** One block skipped because it does not decode. */
  skip(ref: BlockRef, reason: string): void {
    this.damaged.push({ ref, reason });
  }

  /** A part of the scan done elsewhere (a worker's result). */
  merge(r: ScanResult): void {
    for (const e of r.entries) this.entries.push(e);
    this.bytes += r.bytes;
    this.lines += r.lines;
    this.headBytes += r.headBytes ?? 0;
    this.headLines += r.headLines ?? 0;
    for (const d of r.damaged ?? []) this.damaged.push(d);
  }

  result(): ScanResult {
    const r: ScanResult = { entries: this.entries, bytes: this.bytes, lines: this.lines, headBytes: this.headBytes, headLines: this.headLines };
    if (this.damaged.length > 0) r.damaged = this.damaged;
    return r;
  }
}

/** Runs the pipeline over one block's decoded entries, newest first for backward queries. */
export function scanEntries(
  entries: Entry[],
  streamId: number,
  sp: StreamPipeline,
  from: bigint,
  to: bigint,
  limit: number,
  backward: boolean,
  out: ScannedEntry[],
): { bytes: number; lines: number } {
  let bytes = 0;
  let lines = 0;
  let found = 0;
  const n = entries.length;
  for (let k = 0; k < n; k++) {
    const e = entries[backward ? n - 1 - k : k]!;
    if (e.ts < from || e.ts >= to) continue;
    lines++;
    bytes += e.line.length;
    const r = sp.process(e.ts, e.line, e.metadata);
    if (r === null) continue;
    const s: ScannedEntry = { streamId, ts: e.ts, line: r.line, labels: r.labels };
    if (e.metadata) s.metadata = e.metadata;
    out.push(s);
    if (limit > 0 && ++found >= limit) break;
  }
  return { bytes, lines };
}

/** Pipelines are compiled once per query (stages array identity) and bound once per stream. */
export class PipelineCache {
  private readonly compiled = new WeakMap<PipelineStage[], { pipeline: Pipeline; perStream: Map<number, StreamPipeline> }>();

  forStream(stages: PipelineStage[], stream: StreamInfo): StreamPipeline {
    let c = this.compiled.get(stages);
    if (!c) this.compiled.set(stages, (c = { pipeline: compilePipeline(stages), perStream: new Map() }));
    let sp = c.perStream.get(stream.id);
    if (!sp) c.perStream.set(stream.id, (sp = c.pipeline.forStream(stream.labels)));
    return sp;
  }
}

export function createLocalScanner(store: StoreReader): BlockScanner {
  const cache = new PipelineCache();
  return {
    async scan(req) {
      const tally = new ScanTally();
      // A damaged block is skipped (the store quarantines it); the query answers with the rest.
      const decoded = await Promise.all(
        req.refs.map((r) =>
          store.readBlock(r).catch((e: unknown) => {
            if (!isDamagedBlock(e)) throw e;
            tally.skip(r, e.message);
            return [];
          }),
        ),
      );
      for (let i = 0; i < req.refs.length; i++) {
        const ref = req.refs[i]!;
        const stream = req.streams.get(ref.streamId);
        if (!stream) continue;
        const sp = cache.forStream(req.stages, stream);
        tally.block(ref, scanEntries(decoded[i]!, ref.streamId, sp, req.from, req.to, req.limit, req.direction === 'backward', tally.entries));
      }
      return tally.result();
    },
    async close() {},
  };
}
