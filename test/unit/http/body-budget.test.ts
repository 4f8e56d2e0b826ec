/**
 * The in-flight body budget and the buffers it keeps for push bodies (issue #12, stop 18): a body's
 * buffer given back is the next one's, within bounds, and the kept buffers go once no body asks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BodyBudget, REUSED_BODY_MAX_BYTES, REUSED_BUFFERS_MAX, REUSED_BYTES_MAX } from '../../../src/http/body-budget.js';
import { waitFor } from '../../helpers/wait-for.js';

const MB = 1024 * 1024;

test('a buffer given back is reused for the next body of about its size', () => {
  const budget = new BodyBudget(64 * MB, 0);
  const a = budget.buffer(1_200_000);
  assert.ok(a.length >= 1_200_000);
  budget.reuse(a);
  assert.deepEqual(budget.reusable, { buffers: 1, bytes: a.length });
  const b = budget.buffer(1_100_000);
  assert.equal(b, a, 'the kept buffer serves a slightly smaller body');
  assert.equal(budget.reusable.buffers, 0);
  // Not while in use: a second body at the same time gets a buffer of its own.
  const c = budget.buffer(1_100_000);
  assert.notEqual(c, a);
});

test('a much larger kept buffer is not handed to a small body, nor a smaller one to a large body', () => {
  const budget = new BodyBudget(64 * MB, 0);
  const big = budget.buffer(4 * MB);
  budget.reuse(big);
  const small = budget.buffer(100_000);
  assert.notEqual(small, big);
  assert.ok(small.length < 2 * 100_000 + 64 * 1024);
  budget.reuse(small);
  const large = budget.buffer(5 * MB);
  assert.notEqual(large, small);
  assert.notEqual(large, big);
});

test('the kept buffers are bounded in number and bytes, and bodies above the bound are never kept', () => {
  const budget = new BodyBudget(256 * MB, 0);
  const many = Array.from({ length: REUSED_BUFFERS_MAX + 3 }, () => budget.buffer(MB));
  for (const b of many) budget.reuse(b);
  assert.equal(budget.reusable.buffers, REUSED_BUFFERS_MAX);
  assert.ok(budget.reusable.bytes <= REUSED_BYTES_MAX);

  const other = new BodyBudget(256 * MB, 0);
  const huge = other.buffer(REUSED_BODY_MAX_BYTES + 1);
  assert.equal(huge.length, REUSED_BODY_MAX_BYTES + 1);
  other.reuse(huge);
  assert.equal(other.reusable.buffers, 0);
  const big = Array.from({ length: 3 }, () => other.buffer(REUSED_BODY_MAX_BYTES));
  for (const b of big) other.reuse(b);
  assert.ok(other.reusable.bytes <= REUSED_BYTES_MAX, `${other.reusable.bytes} bytes kept`);
});

test('kept buffers are dropped once no body has asked for one for a while, and kept while bodies keep coming', async () => {
  const budget = new BodyBudget(64 * MB, 50);
  budget.reuse(budget.buffer(MB));
  assert.equal(budget.reusable.buffers, 1);
  await waitFor('the kept buffer dropped after an idle while', () => budget.reusable.buffers === 0);

  // A body every few ms: the buffer stays for as long as they come.
  const busy = new BodyBudget(64 * MB, 200);
  busy.reuse(busy.buffer(MB));
  const until = Date.now() + 600;
  let kept = true;
  await waitFor('600 ms of bodies', () => {
    const b = busy.buffer(MB);
    kept &&= busy.reusable.buffers === 0;
    busy.reuse(b);
    return Date.now() > until;
  }, { intervalMs: 5 });
  assert.equal(busy.reusable.buffers, 1, 'still kept right after the last body');
  assert.ok(kept);
});

test('the byte budget itself is unchanged: take past the limit is a 503 with Retry-After', () => {
  const budget = new BodyBudget(10);
  budget.take(6);
  assert.throws(() => budget.take(5), (e: Error & { status?: number; retryAfterSeconds?: number }) => /server busy/.test(e.message));
  budget.give(6);
  budget.take(10);
  assert.equal(budget.inFlight, 10);
});
