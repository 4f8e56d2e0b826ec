/**
 * The worker-thread side of ./worker-pool.ts: answers each `{ id, job }` with `{ id, result }`, or
 * `{ id, error }` when the handler throws (with the error's `code` when it has one, so the pool can
 * rebuild a typed error on the other side), and the thread's V8 heap size after it (the pool's
 * heapBytes(), a metric of the query workers' memory).
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, type Transferable } from 'node:worker_threads';
import type { JobReply } from './worker-pool.js';

/** `transfer` lists the result's buffers to move instead of copy. */
export function serveJobs<J, R>(handle: (job: J) => R | Promise<R>, transfer?: (result: R) => Transferable[]): void {
  const port = parentPort;
  if (!port) return;
  port.on('message', async (m: { id: number; job: J }) => {
    let reply: JobReply<R>;
    let list: Transferable[] | undefined;
    try {
      const result = await handle(m.job);
      reply = { id: m.id, result };
      list = transfer?.(result);
    } catch (e) {
      const err = e as Error & { code?: unknown };
      reply = { id: m.id, error: typeof err.code === 'string' ? { message: err.message, code: err.code } : { message: err.message } };
    }
    reply.heap = getHeapStatistics().total_heap_size;
    port.postMessage(reply, list);
  });
}
