/**
 * One worker thread that builds cold blocks for one compaction run, terminated when the run ends
 * so the memory of its high-level zstd context goes back to the system (./cold-build.ts says why
 * the work is off the main thread).
 */
import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../util/spawn-worker.js';
import type { ColdBuildJob, ColdBuildReply, ColdBuildResult } from './cold-build.js';

export class ColdWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (r: ColdBuildResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  private start(): Worker {
    const w = spawnModuleWorker(import.meta.url, 'cold-worker');
    w.unref();
    w.on('message', (m: ColdBuildReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined || !m.result) p.reject(new Error(`cold block build failed: ${m.error ?? 'no result'}`));
      else p.resolve(m.result);
    });
    const fail = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.worker = undefined;
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`cold compaction worker exited with ${code}`)));
    return w;
  }

  build(level: number, payloads: Buffer[]): Promise<ColdBuildResult> {
    this.worker ??= this.start();
    const w = this.worker;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, level, payloads } satisfies ColdBuildJob);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
