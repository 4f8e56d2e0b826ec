import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorkerPool, type WorkerPool } from '../../../src/util/worker-pool.js';
import { spawnModuleWorker } from '../../../src/util/spawn-worker.js';
import type { FixtureJob } from './pool-fixture-worker.js';
import { ManualClock } from '../../helpers/manual-clock.js';

type Reply = { v: number; thread: number };

function pool(size: number, extra: Partial<Parameters<typeof createWorkerPool>[0]> = {}): WorkerPool<FixtureJob, Reply> {
  return createWorkerPool<FixtureJob, Reply>({
    size,
    name: 'fixture',
    spawn: () => spawnModuleWorker(import.meta.url, 'pool-fixture-worker'),
    toError: (e) => Object.assign(new Error(e.message), { code: e.code }),
    ...extra,
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
    ac.abort(new Error('timed out'));
    await assert.rejects(stuck, /timed out/);
    // The spinning job never ends, so the queued one can only answer once its worker is terminated
    // and replaced: a pool that waited for it would time this test out. No wall-clock bound here
    // (a replacement worker's start took over a second on a loaded machine).
    assert.equal((await queued).v, 9, 'the innocent job ran on the replacement');
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

test('a job that outgrows its worker\'s heap limit fails with the pool\'s error; jobs queued behind it run on a fresh worker', async () => {
  const p = pool(1, {
    spawn: () => spawnModuleWorker(import.meta.url, 'pool-fixture-worker', { maxOldGenerationSizeMb: 16 }),
    outOfMemory: () => new Error('over the fixture budget'),
  });
  try {
    const first = (await p.run({ op: 'echo', v: 1 })).thread;
    const hog = p.run({ op: 'hog' });
    const queued = p.run({ op: 'echo', v: 5 });
    await assert.rejects(hog, /over the fixture budget/);
    const after = await queued;
    assert.equal(after.v, 5, 'the innocent job ran');
    assert.notEqual(after.thread, first, 'on a fresh worker');
  } finally {
    await p.close();
  }
});

test('workers report their heap; an idle worker is stopped after idleTimeoutMs and started again by the next job', async () => {
  const clock = new ManualClock(0);
  const p = pool(2, { idleTimeoutMs: 30_000, timers: clock });
  try {
    assert.equal(p.workers(), 0, 'started on first use');
    const [a, b] = await Promise.all([p.run({ op: 'wait', ms: 20, v: 1 }), p.run({ op: 'wait', ms: 20, v: 2 })]);
    assert.notEqual(a.thread, b.thread);
    assert.equal(p.workers(), 2);
    assert.ok(p.heapBytes() > 1024 * 1024, `heap reported: ${p.heapBytes()}`);
    await clock.advance(29_999);
    assert.equal(p.workers(), 2, 'not yet idle long enough');
    // A job on one worker resets its idle time; the other goes.
    const c = await p.run({ op: 'echo', v: 3 });
    await clock.advance(1);
    assert.equal(p.workers(), 1);
    assert.equal(p.heapBytes() > 0, true);
    await clock.advance(30_000);
    assert.equal(p.workers(), 0, 'both stopped');
    assert.equal(p.heapBytes(), 0, 'a stopped worker holds no heap');
    const d = await p.run({ op: 'echo', v: 4 });
    assert.equal(d.v, 4);
    assert.ok(![a.thread, b.thread, c.thread].includes(d.thread), 'a new thread');
  } finally {
    await p.close();
  }
});
