/**
 * The query engine's worker threads: one pool (../../util/worker-pool.ts) running both kinds of
 * query job, log scans (./scan-job.ts) and range aggregations (./range-agg-job.ts), so a process has
 * `query.workers` query threads whatever mix of queries it serves. Create one per process, close it
 * on shutdown. A query's timeout terminates the worker running its job (the pool replaces it).
 *
 * Memory (issue #12, docs/configuration.md `query`): each worker's V8 heap is capped at
 * `query.worker_heap_mb`; a job that needs more fails with a 400 naming the limit (the worker is
 * replaced, the server and the other queries go on) instead of the process growing. Workers idle for
 * `query.worker_idle_timeout` are stopped, so the memory a large query took goes back to the system.
 */
import { setFlagsFromString } from 'node:v8';
import { Counter, Gauge, type Registry } from 'prom-client';
import { spawnModuleWorker } from '../../util/spawn-worker.js';
import { createWorkerPool, type WorkerPool } from '../../util/worker-pool.js';
import { LogwharfError, type ErrorCode } from '../../api/errors.js';
import type { ScanJob } from './scan-job.js';
import type { ScanResult } from './block-scanner.js';
import type { RangeAggJob, RangeAggReply } from './range-agg-job.js';

export type QueryJob = ({ kind: 'scan' } & ScanJob) | ({ kind: 'range' } & RangeAggJob);
export type QueryReply = ScanResult | RangeAggReply;

export type QueryPool = WorkerPool<QueryJob, QueryReply> & {
  /** Head entries (line bytes) one range job may carry: an eighth of a worker's heap (../range-agg.ts). */
  readonly headBytesPerJob?: number;
};

export interface QueryPoolOptions {
  /** Each worker's V8 old generation, MB (query.worker_heap_mb); unset = V8's default. */
  heapMb?: number;
  /** Each worker's V8 young generation, MB (query.worker_young_generation_mb); default WORKER_YOUNG_MB. */
  youngMb?: number;
  /** Stop a worker idle this long (query.worker_idle_timeout); 0 = keep workers. */
  idleTimeoutMs?: number;
  /** Where the pool's metrics go (the server's registry). */
  registry?: Registry;
}

/** The message of a query whose job outgrew a worker's heap. */
export function queryMemoryError(heapMb: number | undefined): LogwharfError {
  const limit = heapMb !== undefined ? `query.worker_heap_mb, ${heapMb} MB` : 'its heap limit';
  return new LogwharfError(
    'query_limit',
    `query exceeds its memory budget: a query worker needed more than ${limit}; narrow the time range or the selector, lower the limit, or raise query.worker_heap_mb`,
  );
}

/**
 * The launcher's --max-semi-space-size=2 keeps the main thread's young generation small, but V8
 * applies the flag to every isolate created later, over a worker's own resourceLimits. The flag is
 * cleared once the main isolate exists (it keeps what it was started with), so workers take
 * `query.worker_young_generation_mb` (WORKER_YOUNG_MB unless given). Workers decode blocks a piece
 * of lines at a time (../../store/block-pieces.ts), so little survives a young collection and 4 MB
 * semi-spaces cost no CPU; when whole blocks were decoded at once, 4 MB made cold queries ~45%
 * dearer than 8 MB (docs/benchmarks.md, "Query-time memory"). Their old generation is what
 * query.worker_heap_mb bounds.
 */
export const WORKER_YOUNG_MB = 12;
let workersTakeDefaultYoungGeneration = false;

export function createQueryPool(size: number, opts: QueryPoolOptions = {}): QueryPool {
  if (!workersTakeDefaultYoungGeneration) {
    setFlagsFromString('--max-semi-space-size=0');
    workersTakeDefaultYoungGeneration = true;
  }
  const young = opts.youngMb ?? WORKER_YOUNG_MB;
  const exceeded = opts.registry
    ? new Counter({
        name: 'logwharf_query_memory_exceeded_total',
        help: 'Query jobs that outgrew a query worker\'s heap (query.worker_heap_mb); each answered 400.',
        registers: [opts.registry],
      })
    : undefined;
  const pool = createWorkerPool<QueryJob, QueryReply>({
    size,
    name: 'query',
    spawn: () =>
      spawnModuleWorker(
        import.meta.url,
        'query-worker',
        opts.heapMb !== undefined ? { maxOldGenerationSizeMb: opts.heapMb, maxYoungGenerationSizeMb: young } : { maxYoungGenerationSizeMb: young },
      ),
    // Query errors (bad regex in a worker, series limit) keep their code and so their HTTP status.
    toError: (e) => (e.code ? new LogwharfError(e.code as ErrorCode, e.message) : new Error(e.message)),
    outOfMemory: () => {
      exceeded?.inc();
      return queryMemoryError(opts.heapMb);
    },
    ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
  });
  const headBytesPerJob = opts.heapMb !== undefined ? (opts.heapMb * 1024 * 1024) / 8 : undefined;
  if (opts.registry) {
    new Gauge({
      name: 'logwharf_query_workers',
      help: 'Query worker threads running now (idle ones are stopped after query.worker_idle_timeout).',
      registers: [opts.registry],
      collect() {
        this.set(pool.workers());
      },
    });
    new Gauge({
      name: 'logwharf_query_worker_heap_bytes',
      help: 'The running query workers\' V8 heaps together, committed bytes, as each reported after its last job.',
      registers: [opts.registry],
      collect() {
        this.set(pool.heapBytes());
      },
    });
  }
  return headBytesPerJob !== undefined ? Object.assign(pool, { headBytesPerJob }) : pool;
}
