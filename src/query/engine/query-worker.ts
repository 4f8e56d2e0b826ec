/** The worker-thread side of ./query-pool.ts: runs scan and range aggregation jobs. */
import { serveJobs } from '../../util/worker-serve.js';
import type { QueryJob, QueryReply } from './query-pool.js';
import { runScanJob } from './scan-job.js';
import { rangeAggTransfer, runRangeAggJob, type RangeAggReply } from './range-agg-job.js';

serveJobs<QueryJob, QueryReply>(
  (job) => (job.kind === 'scan' ? runScanJob(job) : runRangeAggJob(job)),
  (reply) => ('series' in reply ? rangeAggTransfer(reply as RangeAggReply) : []),
);
