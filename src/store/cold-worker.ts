/** Worker-thread side of ./cold-pool.ts: builds cold blocks (./cold-build.ts) and answers them, payloads transferred. */
import { serveJobs } from '../util/worker-serve.js';
import { buildColdPayload, type ColdBuildJob, type ColdBuildResult } from './cold-build.js';

serveJobs<ColdBuildJob, ColdBuildResult>(
  (job) => buildColdPayload(job.level, job.payloads, job.columns, job.bloomLongHex),
  (result) => (result.payload.byteLength === result.payload.buffer.byteLength ? [result.payload.buffer as ArrayBuffer] : []),
);
