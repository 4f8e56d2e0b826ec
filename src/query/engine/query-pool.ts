/**
 * The query engine's worker threads: one pool (../../util/worker-pool.ts) running both kinds of
 * query job, log scans (./scan-job.ts) and range aggregations (./range-agg-job.ts), so a process has
 * `query.workers` query threads whatever mix of queries it serves. Create one per process, close it
 * on shutdown. A query's timeout terminates the worker running its job (the pool replaces it).
 */
import { spawnModuleWorker } from '../../util/spawn-worker.js';
import { createWorkerPool, type WorkerPool } from '../../util/worker-pool.js';
import { LogwharfError, type ErrorCode } from '../../api/errors.js';
import type { ScanJob } from './scan-job.js';
import type { ScanResult } from './block-scanner.js';
import type { RangeAggJob, RangeAggReply } from './range-agg-job.js';

export type QueryJob = ({ kind: 'scan' } & ScanJob) | ({ kind: 'range' } & RangeAggJob);
export type QueryReply = ScanResult | RangeAggReply;

export type QueryPool = WorkerPool<QueryJob, QueryReply>;

export function createQueryPool(size: number): QueryPool {
  return createWorkerPool<QueryJob, QueryReply>({
    size,
    name: 'query',
    spawn: () => spawnModuleWorker(import.meta.url, 'query-worker'),
    // Query errors (bad regex in a worker, series limit) keep their code and so their HTTP status.
    toError: (e) => (e.code ? new LogwharfError(e.code as ErrorCode, e.message) : new Error(e.message)),
  });
}
