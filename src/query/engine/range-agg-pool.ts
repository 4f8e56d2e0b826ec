/**
 * A pool of worker threads for range aggregations (./range-agg-worker.ts): decompression and the
 * pipeline of a large metric query then use every core. Create one per process and pass it to
 * createRangeAggregator as `pool`; close it on shutdown.
 */
import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../../util/spawn-worker.js';
import { LogwharfError, type ErrorCode } from '../../api/errors.js';
import type { RangeAggJob, RangeAggReply } from './range-agg-worker.js';

export interface RangeAggPool {
  readonly size: number;
  run(job: Omit<RangeAggJob, 'id'>): Promise<RangeAggReply>;
  close(): Promise<void>;
}

interface Pending {
  resolve: (r: RangeAggReply) => void;
  reject: (e: Error) => void;
}

class PoolWorker {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  load = 0;

  constructor(onExit: (w: PoolWorker) => void) {
    this.worker = spawnModuleWorker(import.meta.url, 'range-agg-worker');
    this.worker.unref();
    this.worker.on('message', (m: RangeAggReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.load--;
      if (m.error) {
        const code = m.error.code as ErrorCode | undefined;
        p.reject(code ? new LogwharfError(code, m.error.message) : new Error(m.error.message));
      } else p.resolve(m);
    });
    const fail = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      onExit(this);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`range aggregation worker exited with code ${code}`)));
  }
}

export function createRangeAggPool(size: number): RangeAggPool {
  let workers: PoolWorker[] = [];
  let nextId = 1;
  const drop = (w: PoolWorker) => {
    workers = workers.filter((x) => x !== w);
  };
  return {
    size,
    run(job) {
      while (workers.length < size) workers.push(new PoolWorker(drop));
      // The least loaded worker.
      const w = workers.reduce((a, b) => (b.load < a.load ? b : a));
      const id = nextId++;
      w.load++;
      return new Promise((resolve, reject) => {
        w.pending.set(id, { resolve, reject });
        w.worker.postMessage({ ...job, id } satisfies RangeAggJob);
      });
    },
    async close() {
      const ws = workers;
      workers = [];
      await Promise.all(ws.map((w) => w.worker.terminate()));
    },
  };
}
