/**
 * Worker-thread side of ./worker-scanner.ts: reads block regions from their files, decodes them and
 * runs the pipeline, answering the matching entries. Pipelines are compiled once per distinct
 * stage list and cached for the worker's life (queries repeat).
 */
import { readRegion } from '../../util/read-region.js';
import { parentPort } from 'node:worker_threads';
import type { Labels } from '../../api/model.js';
import type { BlockRef } from '../../store/store.js';
import type { PipelineStage } from '../../logql/syntax/ast.js';
import { decodeBlockPayload } from '../../store/block-codec.js';
import { compilePipeline } from '../../logql/pipeline/compile.js';
import type { Pipeline, StreamPipeline } from '../../logql/pipeline/types.js';
import { scanEntries, type ScanResult, type ScannedEntry } from './block-scanner.js';

export interface WorkerJob {
  id: number;
  refs: BlockRef[];
  streams: Record<number, Labels>;
  stages: PipelineStage[];
  from: bigint;
  to: bigint;
  limit: number;
  direction: 'forward' | 'backward';
}

export interface WorkerReply {
  id: number;
  result?: ScanResult;
  error?: string;
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

parentPort?.on('message', (job: WorkerJob) => {
  try {
    const out: ScannedEntry[] = [];
    let bytes = 0;
    let lines = 0;
    const damaged: NonNullable<ScanResult['damaged']> = [];
    for (const ref of job.refs) {
      if (ref.location.kind !== 'file') continue;
      const region = readRegion(ref.location.path, ref.location.offset, ref.location.length);
      let entries;
      try {
        entries = decodeBlockPayload(region);
      } catch (e) {
        // Damaged (issue #8): skipped here, reported to the store by the parent thread.
        damaged.push({ ref, reason: (e as Error).message });
        continue;
      }
      const sp = streamPipeline(job.stages, job.streams[ref.streamId] ?? {});
      const r = scanEntries(entries, ref.streamId, sp, job.from, job.to, job.limit, job.direction === 'backward', out);
      bytes += r.bytes;
      lines += r.lines;
    }
    const result: ScanResult = damaged.length > 0 ? { entries: out, bytes, lines, damaged } : { entries: out, bytes, lines };
    parentPort!.postMessage({ id: job.id, result } satisfies WorkerReply);
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: (e as Error).message } satisfies WorkerReply);
  }
});
