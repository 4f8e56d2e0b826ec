import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeAlignedSteps, stepTime } from '../../../../src/logql/eval/types.js';

const S = 1_000_000_000n;

test('a range query starting between steps is evaluated at whole multiples of the step, as Loki does', () => {
  // start 00:07:13, end 01:00:05, step 7m → 00:07:00 … 01:03:00
  const steps = makeAlignedSteps(433n * S, 3605n * S, 420n * S);
  assert.equal(steps.start, 420n * S);
  assert.equal(steps.end, 3780n * S);
  assert.equal(steps.count, 9);
  assert.equal(stepTime(steps, 1), 840n * S);
});

test('aligned bounds stay as given', () => {
  const steps = makeAlignedSteps(600n * S, 1200n * S, 300n * S);
  assert.deepEqual([steps.start, steps.end, steps.count], [600n * S, 1200n * S, 3]);
});

test('times before 1970 round down too', () => {
  assert.equal(makeAlignedSteps(-13n * S, 0n, 60n * S).start, -60n * S);
});
