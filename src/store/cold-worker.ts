/** Worker-thread side of ./cold-pool.ts: builds cold blocks (./cold-build.ts) and answers them, payloads transferred. */
import { parentPort } from 'node:worker_threads';
import { buildColdPayload, type ColdBuildJob, type ColdBuildReply } from './cold-build.js';

parentPort?.on('message', (job: ColdBuildJob) => {
  try {
    const result = buildColdPayload(job.level, job.payloads);
    const transfer = result.payload.byteLength === result.payload.buffer.byteLength ? [result.payload.buffer as ArrayBuffer] : [];
    parentPort!.postMessage({ id: job.id, result } satisfies ColdBuildReply, transfer);
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: (e as Error).message } satisfies ColdBuildReply);
  }
});
