import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorkerPool, type WorkerPool } from '../../../src/util/worker-pool.js';
import { spawnModuleWorker } from '../../../src/util/spawn-worker.js';
import type { FixtureJob } from './pool-fixture-worker.js';

type Reply = { v: number; thread: number };

function pool(size: number): WorkerPool<FixtureJob, Reply> {
  return createWorkerPool<FixtureJob, Reply>({
    size,
    name: 'fixture',
    spawn: () => spawnModuleWorker(import.meta.url, 'pool-fixture-worker'),
    toError: (e) => Object.assign(new Error(e.message), { code: e.code }),
  });
}

test('jobs get their own replies, spread over the least loaded workers', async () => {
  const p = pool(2);
  try {
    const rs = await Promise.all([1, 2, 3, 4].map((v) => p.run({ op: 'wait', ms: 50, v })));
    assert.deepEqual(rs.map((r) => r.v), [1, 2, 3, 4]);
    assert.equal(new Set(rs.map((r) => r.thread)).size, 2, 'both workers used');
  } finally {
    await p.close();
  }
});

test('an error in a job rejects that job with its code; the worker keeps serving', async () => {
  const p = pool(1);
  try {
    await assert.rejects(p.run({ op: 'throw', code: 'bad_request' }), (e: Error & { code?: string }) => e.message === 'bad job' && e.code === 'bad_request');
    assert.equal((await p.run({ op: 'echo', v: 7 })).v, 7);
  } finally {
    await p.close();
  }
});

test('a worker that exits fails its jobs and is replaced on the next job', async () => {
  const p = pool(1);
  try {
    const first = (await p.run({ op: 'echo', v: 1 })).thread;
    await assert.rejects(p.run({ op: 'exit' }), /fixture worker exited with code 3/);
    const again = await p.run({ op: 'echo', v: 2 });
    assert.equal(again.v, 2);
    assert.notEqual(again.thread, first);
  } finally {
    await p.close();
  }
});

test('aborting a job stuck in a loop terminates its worker promptly; queued jobs move to a fresh worker', async () => {
  const p = pool(1);
  try {
    const ac = new AbortController();
    const stuck = p.run({ op: 'spin' }, { signal: ac.signal });
    // Queued behind the spinning job on the only worker.
    const queued = p.run({ op: 'echo', v: 9 });
    const t0 = performance.now();
    ac.abort(new Error('timed out'));
    await assert.rejects(stuck, /timed out/);
    assert.equal((await queued).v, 9, 'the innocent job ran on the replacement');
    assert.ok(performance.now() - t0 < 1000, 'within a second');
    await assert.rejects(p.run({ op: 'echo', v: 1 }, { signal: AbortSignal.abort(new Error('already')) }), /already/);
  } finally {
    await p.close();
  }
});

test('close rejects running jobs and the pool restarts on use', async () => {
  const p = pool(1);
  const spinning = p.run({ op: 'spin' });
  await p.close();
  await assert.rejects(spinning, /fixture pool closed/);
  assert.equal((await p.run({ op: 'echo', v: 3 })).v, 3);
  await p.close();
});

test('a job that cannot be sent rejects without holding a worker', async () => {
  const p = pool(1);
  try {
    await assert.rejects(p.run({ op: 'echo', v: (() => 1) as unknown as number }), /could not be cloned/);
    assert.equal((await p.run({ op: 'echo', v: 4 })).v, 4);
  } finally {
    await p.close();
  }
});
