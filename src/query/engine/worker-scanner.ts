/**
 * A BlockScanner that spreads blocks over worker threads, so decompression and the pipeline of a
 * large query use every core. Blocks still in the in-memory head are scanned on the calling thread
 * (they are small and already decoded); sealed blocks go to the workers as plain BlockRefs, and each
 * worker reads and decodes its file regions itself (./scan-worker.ts).
 */
import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../../util/spawn-worker.js';
import type { BlockRef, Store } from '../../store/store.js';
import type { BlockScanner, ScanRequest, ScanResult, ScannedEntry } from './block-scanner.js';
import { createLocalScanner } from './block-scanner.js';
import type { WorkerJob, WorkerReply } from './scan-worker.js';

interface PendingJob {
  resolve: (r: ScanResult) => void;
  reject: (e: Error) => void;
}

class ScanWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, PendingJob>();
  private nextId = 1;
  load = 0;

  constructor(onFatal: (w: ScanWorker, e: Error) => void) {
    this.worker = spawnModuleWorker(import.meta.url, 'scan-worker');
    this.worker.unref();
    this.worker.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.load--;
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result!);
    });
    this.worker.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      onFatal(this, e);
    });
  }

  run(job: Omit<WorkerJob, 'id'>): Promise<ScanResult> {
    const id = this.nextId++;
    this.load++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...job, id } satisfies WorkerJob);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export function createWorkerScanner(store: Store, workers: number): BlockScanner {
  const local = createLocalScanner(store);
  let pool: ScanWorker[] = [];
  const replace = (w: ScanWorker) => {
    pool = pool.filter((x) => x !== w);
  };
  const ensurePool = () => {
    while (pool.length < workers) pool.push(new ScanWorker(replace));
  };

  return {
    async scan(req: ScanRequest): Promise<ScanResult> {
      const fileRefs: BlockRef[] = [];
      const headRefs: BlockRef[] = [];
      for (const r of req.refs) (r.location.kind === 'file' ? fileRefs : headRefs).push(r);
      // Small jobs are cheaper on this thread than a round trip to a worker.
      if (fileRefs.length < 2) return local.scan(req);
      ensurePool();
      const parts: BlockRef[][] = pool.map(() => []);
      fileRefs.forEach((r, i) => parts[i % parts.length]!.push(r));
      const streams: WorkerJob['streams'] = {};
      for (const r of fileRefs) {
        const s = req.streams.get(r.streamId);
        if (s) streams[r.streamId] = s.labels;
      }
      const jobs = parts
        .map((refs, i) => ({ refs, w: pool[i]! }))
        .filter((p) => p.refs.length > 0)
        .map((p) =>
          p.w.run({ refs: p.refs, streams, stages: req.stages, from: req.from, to: req.to, limit: req.limit, direction: req.direction }),
        );
      if (headRefs.length > 0) jobs.push(local.scan({ ...req, refs: headRefs }));
      const results = await Promise.all(jobs);
      const entries: ScannedEntry[] = [];
      let bytes = 0;
      let lines = 0;
      const damaged: NonNullable<ScanResult['damaged']> = [];
      for (const r of results) {
        for (const e of r.entries) entries.push(e);
        bytes += r.bytes;
        lines += r.lines;
        for (const d of r.damaged ?? []) {
          // Workers cannot reach the store: it quarantines what they found damaged.
          store.reportDamagedBlock?.(d.ref, d.reason);
          damaged.push(d);
        }
      }
      return damaged.length > 0 ? { entries, bytes, lines, damaged } : { entries, bytes, lines };
    },
    async close() {
      const p = pool;
      pool = [];
      await Promise.all(p.map((w) => w.terminate()));
    },
  };
}
