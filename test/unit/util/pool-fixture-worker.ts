/** A worker for worker-pool.test.ts: echoes, spins forever, throws with a code, exits, or fills its heap. */
import { threadId } from 'node:worker_threads';
import { serveJobs } from '../../../src/util/worker-serve.js';

export type FixtureJob = { op: 'echo'; v: number } | { op: 'spin' } | { op: 'throw'; code: string } | { op: 'exit' } | { op: 'wait'; ms: number; v: number } | { op: 'hog' };

serveJobs<FixtureJob, { v: number; thread: number }>(async (job) => {
  switch (job.op) {
    case 'echo':
      return { v: job.v, thread: threadId };
    case 'wait':
      // A job that stays pending for a while without blocking the worker (other jobs queue behind it).
      await new Promise((r) => setTimeout(r, job.ms));
      return { v: job.v, thread: threadId };
    case 'spin':
      for (;;);
    case 'throw':
      throw Object.assign(new Error('bad job'), { code: job.code });
    case 'exit':
      process.exit(3);
    case 'hog': {
      // Keeps every string it makes: the heap only grows, until the worker's limit stops it.
      const kept: string[] = [];
      for (let i = 0; ; i++) kept.push(`${i}`.repeat(64) + i);
    }
  }
});
