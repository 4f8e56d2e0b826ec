/**
 * One worker thread that builds cold blocks for one compaction run, terminated when the run ends
 * so the memory of its high-level zstd context goes back to the system (./cold-build.ts says why
 * the work is off the main thread). A one-worker pool of ../util/worker-pool.ts.
 */
import { spawnModuleWorker } from '../util/spawn-worker.js';
import { createWorkerPool, type WorkerPool } from '../util/worker-pool.js';
import type { ColdBuildJob, ColdBuildResult } from './cold-build.js';

export class ColdWorker {
  private readonly pool: WorkerPool<ColdBuildJob, ColdBuildResult> = createWorkerPool({
    size: 1,
    name: 'cold compaction',
    spawn: () => spawnModuleWorker(import.meta.url, 'cold-worker'),
    toError: (e) => new Error(`cold block build failed: ${e.message}`),
  });

  build(level: number, payloads: Buffer[], columns = false, bloomLongHex = false): Promise<ColdBuildResult> {
    return this.pool.run({ level, payloads, columns, bloomLongHex });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
